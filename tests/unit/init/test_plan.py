"""init.plan: which inputs the job gives, under which variable, and what deploy.toml keeps."""

from __future__ import annotations

from pathlib import Path

import yaml

from pmcp_action.init.github import WORKFLOW_PATH
from pmcp_action.init.plan import ci_variable
from pmcp_action.settings.catalogue import catalogue
from pmcp_action.settings.declaration import Fallback, TargetDeclaration
from pmcp_action.settings.spec import InputSpec

from .helpers import cli, write_project


def _given(repo: Path) -> dict[str, str]:
    workflow = yaml.safe_load((repo / WORKFLOW_PATH).read_text())
    given = workflow["jobs"]["deploy"]["steps"][-1]["with"]
    assert isinstance(given, dict)
    return given


def test_a_location_deploy_toml_gives_is_left_to_it(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    project = write_project(
        repo,
        "google-cloud-run",
        tables='[gcp]\nproject_id = "acme-prod"\n',
        files={"Dockerfile": "FROM x\n"},
    )
    assert cli(project)[0] == 0
    given = _given(repo)
    assert "gcp-project" not in given and "acme-prod" not in str(given)
    assert given["gcp-workload-identity-provider"] == "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}"
    assert cli(project, "--force", "--auth", "secrets")[0] == 0
    assert _given(repo)["gcp-credentials-json"] == "${{ secrets.GCP_CREDENTIALS_JSON }}"


def test_the_variable_is_the_targets_own_for_a_shared_input_and_else_the_inputs() -> None:
    cat = catalogue()
    aws = cat.target("aws-lambda")
    google = cat.target("google-cloud-run")
    assert aws is not None and google is not None
    assert ci_variable(aws, cat.input("region")) == ("AWS_REGION", False)
    assert ci_variable(aws, cat.input("role-to-assume")) == ("AWS_ROLE_TO_ASSUME", False)
    assert ci_variable(google, cat.input("gcp-project")) == ("GOOGLE_CLOUD_PROJECT", False)
    lonely = InputSpec("acme-zone", "A zone.")
    declared = TargetDeclaration(id="acme", title="Acme", summary="", inputs=(lonely,))
    assert ci_variable(declared, lonely) == ("ACME_ZONE", True)
    with_fallback = TargetDeclaration(
        id="acme",
        title="Acme",
        summary="",
        inputs=(lonely,),
        fallbacks={"acme-zone": Fallback(env=("ACME_DEFAULT_ZONE",))},
    )
    assert ci_variable(with_fallback, lonely) == ("ACME_DEFAULT_ZONE", False)


def test_optional_server_secrets_are_named_not_required(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    project = write_project(
        repo,
        "cloudflare-workers",
        secrets={"API_KEY": '""', "SENTRY_DSN": "{ required = false }"},
    )
    code, _, err = cli(project)
    assert code == 0, err
    text = (repo / WORKFLOW_PATH).read_text()
    assert "secrets.API_KEY" in text and "secrets.SENTRY_DSN" not in text
    assert "The server's optional secrets, each to add to `secrets:` below once created:" in text
    assert "SENTRY_DSN." in text
