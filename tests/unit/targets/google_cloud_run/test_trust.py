"""trust and check for Google: the pool, the provider with its mapping and condition, the
service account's workloadIdentityUser binding and the project roles, as documents and
gcloud commands; check's testIamPermissions against the fake, naming what is missing."""

from __future__ import annotations

import io

import pytest

from pmcp_action.access import AccessMissing
from pmcp_action.ci.base import Platform
from pmcp_action.settings.vocabulary import CiSystem
from pmcp_action.targets.google_cloud_run.trust import ROLES, attribute_condition, plan
from pmcp_action.trust.command import run_trust
from pmcp_action.trust.model import TrustRequest
from pmcp_action.trust.subjects import token_source

from .helpers import DEMO, DEPLOYER, OIDC, PROVIDER, World


def _request(
    ci: CiSystem, repository: str, ref: str = "", environment: str = "prod"
) -> TrustRequest:
    source, problems = token_source(
        ci=ci, repository=repository, ref=ref, environment=environment, environ={}, sources={}
    )
    assert source is not None, problems
    return TrustRequest(source)


def test_the_provider_admits_the_repository_s_scope_only(world: World) -> None:
    target = world.target({**OIDC, "gcp-service-account": DEPLOYER})

    made = plan(target, _request(CiSystem.GITHUB, "octo/app", "main"))

    documents = {d.title: d for d in made.documents}
    provider = documents["Workload Identity provider"]
    assert provider.name == PROVIDER
    assert provider.body["attributeCondition"] == (
        "assertion.repository == 'octo/app' && assertion.sub == 'repo:octo/app:ref:refs/heads/main'"
    )
    assert provider.body["oidc"] == {
        "issuerUri": "https://token.actions.githubusercontent.com",
        "allowedAudiences": [f"https://iam.googleapis.com/{PROVIDER}"],
    }
    assert provider.body["attributeMapping"]["attribute.repository"] == "assertion.repository"
    binding = documents["Service account IAM binding"].body["bindings"][0]
    assert binding == {
        "role": "roles/iam.workloadIdentityUser",
        "members": [
            "principalSet://iam.googleapis.com/projects/123456789/locations/global/"
            "workloadIdentityPools/ci-pool/attribute.repository/octo/app"
        ],
    }
    roles = [b["role"] for b in documents["Project IAM bindings"].body["bindings"]]
    assert roles == list(ROLES)
    assert any(
        c.startswith("gcloud iam workload-identity-pools providers create-oidc github")
        for c in made.commands
    )
    assert "--role roles/iam.workloadIdentityUser" in made.commands[3]


def test_a_gitlab_environment_is_a_condition_on_its_claim() -> None:
    request = _request(CiSystem.GITLAB, "grp/app")

    assert attribute_condition(request.source) == (
        "assertion.project_path == 'grp/app' && assertion.environment == 'prod'"
    )


def test_without_a_provider_the_names_are_defaults_with_a_placeholder(world: World) -> None:
    target = world.target({"gcp-project": DEMO})
    out = io.StringIO()

    run_trust(target, _request(CiSystem.GITHUB, "octo/app"), Platform(environ={}, log_stream=out))

    text = out.getvalue()
    assert (
        "projects/PROJECT_NUMBER/locations/global/workloadIdentityPools/pmcp-deploy/providers/github"
        in text
    )
    assert f"pmcp-deploy@{DEMO}.iam.gserviceaccount.com" in text
    assert "Replace PROJECT_NUMBER" in text


def _grant_all(world: World, but: str = "") -> None:
    for role in ROLES:
        if role != but:
            world.google.grant_role(DEMO, role, f"serviceAccount:{DEPLOYER}")


def test_check_passes_when_the_service_account_holds_every_role(world: World) -> None:
    _grant_all(world)
    target = world.target({**OIDC, "gcp-service-account": DEPLOYER})

    result = target.check_access()

    assert result.identity == DEPLOYER
    assert "testIamPermissions" in result.notes[0]
    world.assert_no_secret_logged()


def test_check_names_each_permission_a_missing_role_holds(world: World) -> None:
    _grant_all(world, but="roles/run.admin")
    target = world.target({**OIDC, "gcp-service-account": DEPLOYER})

    with pytest.raises(AccessMissing) as missing:
        target.check_access()

    text = missing.value.diagnostics()
    assert f"run.services.update on projects/{DEMO} (to deploy a revision" in text
    assert "run.services.setIamPolicy" in text and "secretmanager" not in text.split("How")[0]
    assert f"add-iam-policy-binding {DEMO} --member serviceAccount:{DEPLOYER}" in text
    assert world.google.services == {}
