"""The credential inputs read offline: which way to sign in, a key JSON checked without
quoting it, ambient credentials from the file GOOGLE_APPLICATION_CREDENTIALS names."""

from __future__ import annotations

import json
from pathlib import Path

from pmcp_action.targets.google_cloud_run.credential_inputs import default_audience

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
