"""trust and check for Google: the pool, the provider with its mapping and condition, the
service account's workloadIdentityUser binding and the project roles, as documents and
gcloud commands; check's testIamPermissions against the fake, naming what is missing."""

from __future__ import annotations

import io

import pytest

from pmcp_action.access import AccessMissing
from pmcp_action.ci.base import Platform
from pmcp_action.errors import CredentialExchangeError, PmcpActionError
from pmcp_action.settings.vocabulary import CiSystem
from pmcp_action.targets.google_cloud_run.trust import ROLES, apply, attribute_condition, plan
from pmcp_action.trust.command import run_trust
from pmcp_action.trust.model import Outcome, TrustRequest
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


def _fresh(world: World) -> str:
    """No provider, no binding, no role: only the terminal's own token (an owner's)."""
    world.google.providers.clear()
    world.google.service_accounts.clear()
    world.google.keys.clear()
    world.google.project_numbers[DEMO] = "123456789"
    return world.google.issue_token("owner@example.com")


def test_apply_creates_the_pool_provider_binding_and_roles_once_then_check_and_deploy_pass(
    world: World,
) -> None:
    terminal = _fresh(world)
    inputs = {**OIDC, "gcp-service-account": DEPLOYER}
    request = _request(CiSystem.GITHUB, world.issuer.repository, "main")
    with pytest.raises(PmcpActionError):
        world.target(inputs).check_access()  # nothing trusts the token yet

    target = world.target(inputs, GOOGLE_OAUTH_ACCESS_TOKEN=terminal)
    first = apply(target, request, plan(target, request))

    assert [a.outcome for a in first] == [Outcome.CREATED] * 5, first
    assert world.google.providers[PROVIDER] == {
        "repository": world.issuer.repository,
        "sub": f"repo:{world.issuer.repository}:ref:refs/heads/main",
    }
    assert world.google.service_accounts[DEPLOYER] == PROVIDER
    again = apply(target, request, plan(target, request))
    assert [a.outcome for a in again] == [Outcome.UNCHANGED] * 5, again

    assert world.target(inputs).check_access().identity == DEPLOYER
    image = "us-central1-docker.pkg.dev/demo-project/pmcp/calc@sha256:" + "1" * 64
    assert world.target({**inputs, "image": image}).deploy().version == "calc-00001-x"
    world.assert_no_secret_logged()


def test_apply_reports_a_provider_that_differs_and_leaves_it(world: World) -> None:
    terminal = _fresh(world)
    inputs = {**OIDC, "gcp-service-account": DEPLOYER}
    target = world.target(inputs, GOOGLE_OAUTH_ACCESS_TOKEN=terminal)
    main = _request(CiSystem.GITHUB, "octo/app", "main")
    apply(target, main, plan(target, main))
    release = _request(CiSystem.GITHUB, "octo/app", "release")

    outcomes = apply(target, release, plan(target, release))

    [differs] = [a for a in outcomes if a.outcome is Outcome.DIFFERS]
    assert differs.what == f"the provider {PROVIDER}"
    assert "attributeCondition" in differs.detail and "refs/heads/release" in differs.detail
    assert world.google.providers[PROVIDER]["sub"] == "repo:octo/app:ref:refs/heads/main"


def test_apply_without_terminal_credentials_says_how_to_get_a_token(world: World) -> None:
    target = world.target({**OIDC, "gcp-service-account": DEPLOYER})
    request = _request(CiSystem.GITHUB, "octo/app", "main")

    with pytest.raises(CredentialExchangeError) as refused:
        apply(target, request, plan(target, request))

    assert "gcloud auth print-access-token" in refused.value.diagnostics()
    assert world.google.pools == {}


def test_apply_keeps_conditional_bindings_it_finds_and_writes_them_as_version_3(
    world: World,
) -> None:
    """A project policy with a conditional binding (someone's time-bound access) is read as
    version 3 and written back with its condition, as Google requires; a version 1 read and
    write would be refused, or would lose the condition."""
    terminal = _fresh(world)
    condition = {
        "title": "until-2027",
        "expression": 'request.time < timestamp("2027-01-01T00:00:00Z")',
    }
    timed = {"role": "roles/viewer", "members": ["user:ops@example.com"], "condition": condition}
    world.google.project_policies[DEMO] = {
        "bindings": [*world.google.project_policies.get(DEMO, {}).get("bindings", []), timed],
        "etag": "BwY7",
    }
    inputs = {**OIDC, "gcp-service-account": DEPLOYER}
    target = world.target(inputs, GOOGLE_OAUTH_ACCESS_TOKEN=terminal)
    request = _request(CiSystem.GITHUB, world.issuer.repository, "main")

    applied = apply(target, request, plan(target, request))

    assert [a.outcome for a in applied] == [Outcome.CREATED] * 5, applied
    bindings = world.google.project_policies[DEMO]["bindings"]
    assert timed in bindings
    assert any(b["role"] == "roles/run.admin" and "condition" not in b for b in bindings)
    again = apply(target, request, plan(target, request))
    assert [a.outcome for a in again] == [Outcome.UNCHANGED] * 5, again
