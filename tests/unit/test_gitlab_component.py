"""templates/deploy.yml, statically: its variables are the CLI's, its job is GitLab-shaped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pmcp_action.settings.catalogue import catalogue

ROOT = Path(__file__).resolve().parents[2]


def _documents() -> tuple[dict[str, Any], dict[str, Any]]:
    header, jobs = yaml.safe_load_all((ROOT / "templates" / "deploy.yml").read_text())
    return header, jobs


def test_the_spec_declares_the_inputs_the_issue_names():
    header, _ = _documents()
    inputs = header["spec"]["inputs"]
    for name in ("image", "target", "command", "working-directory", "verify", "audience"):
        assert name in inputs, name
        assert inputs[name].get("description"), name
    assert "default" not in inputs["image"]  # required: pin it by digest
    assert inputs["command"]["options"] == ["deploy", "plan", "outputs", "rollback", "destroy"]


def test_each_variable_is_the_environment_variable_of_an_input():
    _, jobs = _documents()
    [job] = jobs.values()
    declared = {env for spec in catalogue().inputs for env in spec.env}
    declared |= {"PMCP_DOTENV_PATH"}
    assert set(job["variables"]) <= declared, set(job["variables"]) - declared


def test_the_job_runs_the_cli_in_the_image_and_publishes_its_reports():
    _, jobs = _documents()
    [job] = jobs.values()
    assert job["image"] == {"name": "$[[ inputs.image ]]", "entrypoint": [""]}
    assert job["id_tokens"] == {
        "$[[ inputs.id-token-variable ]]": {"aud": "$[[ inputs.audience ]]"}
    }
    assert job["script"] == ["pmcp-action $[[ inputs.args ]]"]
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"] == {"dotenv": "$[[ inputs.dotenv ]]"}
    assert job["artifacts"]["paths"] == ["$[[ inputs.report ]]"]
    assert job["environment"]["url"] == "$PMCP_URL"
