"""The credential inputs read offline: which way to sign in, a key JSON checked without
quoting it, ambient credentials from the file GOOGLE_APPLICATION_CREDENTIALS names."""

from __future__ import annotations

import json
from pathlib import Path

from pmcp_action.targets.google_cloud_run.credential_inputs import default_audience, well_known_file

from .helpers import OIDC, PROVIDER, problems_text, resolve_config


def test_no_credentials_and_a_bad_key_json(tmp_path: Path) -> None:
    _, problems, _ = resolve_config(tmp_path, {"gcp-project": "demo-project"})
    assert (
        "neither gcp-workload-identity-provider (OIDC) nor gcp-credentials-json"
        in problems_text(problems)
    )

    secret = '{"type": "authorized_user", "refresh_token": "1//very-secret-refresh"}'
    _, problems, log = resolve_config(
        tmp_path / "b", {"gcp-project": "demo-project", "gcp-credentials-json": secret}
    )
    text = problems_text(problems)
    assert "has type 'authorized_user'" in text and "very-secret" not in text + log

    _, problems, _ = resolve_config(
        tmp_path / "c", {"gcp-project": "demo-project", "gcp-credentials-json": "not json at all"}
    )
    assert "is not a JSON object (15 characters)" in problems_text(problems)
    assert "not json" not in problems_text(problems)


def test_a_key_jsons_project_id_is_the_last_fallback(tmp_path: Path) -> None:
    key = json.dumps(
        {
            "type": "service_account",
            "project_id": "key-project",
            "client_email": "d@key-project.iam.gserviceaccount.com",
            "private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        }
    )
    config, problems, _ = resolve_config(tmp_path, {"gcp-credentials-json": key})
    assert problems == [] and config.project == "key-project" and config.mode == "key"


def test_ambient_needs_the_adc_file(tmp_path: Path) -> None:
    _, problems, _ = resolve_config(tmp_path, {**OIDC, "auth": "ambient"})
    assert "GOOGLE_APPLICATION_CREDENTIALS" in problems_text(problems)
    big = tmp_path / "big.json"
    big.write_text(" " * 70000)
    _, problems, _ = resolve_config(
        tmp_path / "b",
        {**OIDC, "auth": "ambient"},
        environ={"GOOGLE_APPLICATION_CREDENTIALS": str(big)},
    )
    assert "holds 70000 bytes" in problems_text(problems)


def test_default_audience():
    assert default_audience(PROVIDER) == f"https://iam.googleapis.com/{PROVIDER}"


#: The Docker action's container, as the runner starts it: the workspace mounted at
#: /github/workspace, RUNNER_TEMP passed as the runner's path (not mounted).
IN_THE_ACTION = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_WORKSPACE": "/github/workspace",
    "RUNNER_TEMP": "/home/runner/work/_temp",
    "PMCP_HOST_WORKSPACE": "/home/runner/work/calc/calc",
}


def test_ambient_reads_a_file_in_the_runners_workspace_at_its_mount(tmp_path: Path) -> None:
    """google-github-actions/auth names the file by the runner's path; the container sees the
    workspace at /github/workspace (a real read there: tests/container)."""
    host = "/home/runner/work/calc/calc/gha-creds-0123.json"
    _, problems, _ = resolve_config(
        tmp_path,
        {**OIDC, "auth": "ambient"},
        environ={**IN_THE_ACTION, "GOOGLE_APPLICATION_CREDENTIALS": host},
    )
    assert (
        f"{host} is not a readable regular file (looked for at "
        "/github/workspace/gha-creds-0123.json in the action's container)"
    ) in problems_text(problems)


def test_ambient_refuses_a_file_the_container_cannot_see(tmp_path: Path) -> None:
    hidden = "/home/runner/work/_temp/creds/adc.json"
    _, problems, _ = resolve_config(
        tmp_path,
        {**OIDC, "auth": "ambient"},
        environ={**IN_THE_ACTION, "GOOGLE_APPLICATION_CREDENTIALS": hidden},
    )
    text = problems_text(problems)
    assert (
        f"environment variable GOOGLE_APPLICATION_CREDENTIALS: {hidden} is in RUNNER_TEMP "
        "(/home/runner/work/_temp), which the action's container does not see"
    ) in text
    assert "write it into the workspace" in text


def test_ambient_finds_gclouds_file_under_cloudsdk_config_else_home(tmp_path: Path) -> None:
    user = {
        "type": "authorized_user",
        "client_id": "764086051850-x.apps.googleusercontent.com",
        "client_secret": "d-FL95Q-not-shown",
        "refresh_token": "1//0g-not-shown",
    }
    gcloud = tmp_path / "gcloud-config"
    gcloud.mkdir()
    (gcloud / "application_default_credentials.json").write_text(json.dumps(user))
    config, problems, log = resolve_config(
        tmp_path / "a",
        {**OIDC, "auth": "ambient"},
        environ={"CLOUDSDK_CONFIG": str(gcloud), "HOME": str(tmp_path / "nobody")},
    )
    assert problems == [] and config.credentials_type == "authorized_user"
    assert config.ambient_file == str(gcloud / "application_default_credentials.json")
    assert "not-shown" not in log
    assert well_known_file({"HOME": "/home/dev"}) == (
        "/home/dev/.config/gcloud/application_default_credentials.json"
    )
    assert well_known_file({}) == ""


def test_ambient_without_any_file_says_how_to_sign_in(tmp_path: Path) -> None:
    _, problems, _ = resolve_config(
        tmp_path, {**OIDC, "auth": "ambient"}, environ={"HOME": str(tmp_path)}
    )
    text = problems_text(problems)
    assert "else gcloud's application_default_credentials.json, and there is neither" in text
    # The test's console is a terminal's (not CI): the person's own sign-in is suggested.
    assert "run gcloud auth application-default login" in text
    assert "google-github-actions" not in text
