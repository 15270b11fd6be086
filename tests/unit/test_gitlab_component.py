"""templates/deploy.yml, statically: generated from the declarations, its variables the
program's, each target's own audience, every command, one server at a time, the environment's
action per command. The component run in a pipeline: tests/subprocess/test_gitlab_component.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pmcp_action import gitlab_component
from pmcp_action.gitlab_component import (
    ENVIRONMENT_ACTIONS,
    TOKEN_AUDIENCE_VARIABLE,
    render_component,
    token_audience,
)
from pmcp_action.settings.catalogue import catalogue
from pmcp_action.settings.common_outputs import output_variable
from pmcp_action.settings.vocabulary import CLI_ONLY_COMMANDS, COMMANDS, Command

ROOT = Path(__file__).resolve().parents[2]


def _documents() -> tuple[dict[str, Any], dict[str, Any]]:
    header, jobs = yaml.safe_load_all((ROOT / "templates" / "deploy.yml").read_text())
    return header, jobs


def _job() -> dict[str, Any]:
    _, jobs = _documents()
    job = jobs["$[[ inputs.job-name ]]"]
    assert isinstance(job, dict)
    return job


def _stop_job() -> dict[str, Any]:
    _, jobs = _documents()
    job = jobs["$[[ inputs.job-name ]]-stop"]
    assert isinstance(job, dict)
    return job


def test_the_spec_declares_the_inputs_the_issue_names():
    header, _ = _documents()
    inputs = header["spec"]["inputs"]
    for name in ("image", "target", "command", "working-directory", "verify", "audience"):
        assert name in inputs, name
        assert inputs[name].get("description"), name
    assert "default" not in inputs["image"]  # required: pin it by digest
    assert inputs["target"]["options"] == ["", *catalogue().ids]


def test_the_command_options_are_the_programs_commands():
    header, _ = _documents()
    command = header["spec"]["inputs"]["command"]
    offered = [c for c in COMMANDS if c != Command.SERVERS and c not in CLI_ONLY_COMMANDS]
    assert command["options"] == offered
    assert command["options"] == list(gitlab_component.component_commands())
    assert "logs" in command["options"]
    for name in command["options"]:
        assert name in command["description"], name


def test_the_audience_defaults_to_the_targets_own():
    """Empty: each target's default applies (the component once forced AWS's on every one)."""
    header, _ = _documents()
    audience = header["spec"]["inputs"]["audience"]
    assert audience["default"] == ""
    assert "sts.amazonaws.com" not in audience["description"]


def test_each_target_has_a_hidden_job_with_its_declared_audience():
    _, jobs = _documents()
    cat = catalogue()
    for declaration in cat.targets:
        hidden = jobs[f".pmcp-deploy-target-{declaration.id}"]
        expected = token_audience(cat, declaration)
        assert hidden == {"variables": {TOKEN_AUDIENCE_VARIABLE: expected}}, declaration.id
    assert jobs[".pmcp-deploy-target-"]["variables"][TOKEN_AUDIENCE_VARIABLE] == "$CI_SERVER_URL"
    # What GitLab would expand them to is what the targets sign in with.
    assert token_audience(cat, cat.target("aws-lambda")) == "sts.amazonaws.com"
    assert token_audience(cat, cat.target("azure-container-apps")) == "api://AzureADTokenExchange"
    assert token_audience(cat, cat.target("google-cloud-run")) == (
        "https://iam.googleapis.com/${GCP_WORKLOAD_IDENTITY_PROVIDER}"
    )
    assert token_audience(cat, cat.target("pmcp-run")) == "$CI_SERVER_URL"


def test_the_token_asks_for_the_picked_audience_and_a_given_one_wins():
    job = _job()
    assert job["extends"] == [
        ".pmcp-deploy-target-$[[ inputs.target ]]",
        ".pmcp-deploy-command-$[[ inputs.command ]]",
    ]
    assert job["id_tokens"] == {
        "$[[ inputs.id-token-variable ]]": {"aud": f"${TOKEN_AUDIENCE_VARIABLE}"}
    }
    given, otherwise = job["rules"]
    assert given == {
        "if": '"$[[ inputs.audience ]]" != ""',
        "variables": {TOKEN_AUDIENCE_VARIABLE: "$[[ inputs.audience ]]"},
    }
    assert otherwise == {"when": "on_success"}


def test_the_token_audience_variable_is_neither_an_input_nor_an_output():
    cat = catalogue()
    assert TOKEN_AUDIENCE_VARIABLE not in cat.input_variables
    assert TOKEN_AUDIENCE_VARIABLE not in {output_variable(o.name) for o in cat.outputs}


def test_each_variable_is_the_environment_variable_of_an_input():
    job = _job()
    declared = {env for spec in catalogue().inputs for env in spec.env}
    declared |= {"PMCP_DOTENV_PATH"}
    assert set(job["variables"]) <= declared, set(job["variables"]) - declared
    assert job["variables"]["PMCP_SERVER_NAME"] == "$[[ inputs.server-name ]]"
    assert job["variables"]["PMCP_OIDC_AUDIENCE"] == "$[[ inputs.audience ]]"


def test_one_job_at_a_time_acts_on_a_server():
    job = _job()
    assert job["resource_group"] == "pmcp-deploy $[[ inputs.target ]] $[[ inputs.server-name ]]"


def test_the_environment_action_follows_the_command():
    _, jobs = _documents()
    assert set(ENVIRONMENT_ACTIONS) == set(Command)
    assert ENVIRONMENT_ACTIONS[Command.SERVERS] is None  # a listing: a plain script job
    assert ".pmcp-deploy-command-servers" not in jobs
    for command in gitlab_component.component_commands():
        environment = jobs[f".pmcp-deploy-command-{command}"]["environment"]
        action = ENVIRONMENT_ACTIONS[Command(command)]
        assert environment["action"] == action
        # Only a deployment gives the environment its URL: the deployed one.
        url = f"${output_variable('url')}" if action == "start" else None
        assert environment.get("url") == url
    assert ENVIRONMENT_ACTIONS[Command.PLAN] == "prepare"
    assert ENVIRONMENT_ACTIONS[Command.DESTROY] == "stop"
    for command in gitlab_component.component_commands():
        name = jobs[f".pmcp-deploy-command-{command}"]["environment"]["name"]
        review = Command(command) in (Command.PREVIEW, Command.DESTROY_PREVIEW)
        assert name == (
            "review/$[[ inputs.preview-id ]]" if review else "$[[ inputs.environment-name ]]"
        )
    assert "environment" not in _job()  # the command's hidden job names it


def test_a_preview_is_a_review_app_stopped_by_destroy_preview():
    header, jobs = _documents()
    assert header["spec"]["inputs"]["preview-id"]["default"] == "mr-$CI_MERGE_REQUEST_IID"
    preview = jobs[".pmcp-deploy-command-preview"]["environment"]
    assert preview["on_stop"] == "$[[ inputs.job-name ]]-stop"
    stop = _stop_job()
    assert stop["extends"][-1] == ".pmcp-deploy-command-destroy-preview"
    assert jobs[".pmcp-deploy-command-destroy-preview"]["environment"] == {
        "name": "review/$[[ inputs.preview-id ]]",
        "action": "stop",
    }
    assert stop["variables"]["PMCP_DEPLOY_COMMAND"] == "destroy-preview"
    assert stop["variables"]["PMCP_PREVIEW_ID"] == _job()["variables"]["PMCP_PREVIEW_ID"]
    # Only a preview job has the stop job, run by hand (or by GitLab when the MR closes).
    assert stop["rules"][0] == {
        "if": '"$[[ inputs.command ]]" != "preview"',
        "when": "never",
    }
    assert all(rule["when"] == "manual" for rule in stop["rules"][1:])
    assert {k: v for k, v in stop.items() if k not in ("extends", "variables", "rules")} == {
        k: v for k, v in _job().items() if k not in ("extends", "variables", "rules")
    }


def test_a_command_without_an_environment_action_stops_the_generation(monkeypatch):
    partial = {c: a for c, a in ENVIRONMENT_ACTIONS.items() if c is not Command.LOGS}
    monkeypatch.setattr(gitlab_component, "ENVIRONMENT_ACTIONS", partial)
    with pytest.raises(ValueError, match="the command 'logs' has no GitLab environment action"):
        render_component(catalogue())


def test_the_job_runs_the_cli_in_the_image_and_publishes_its_reports():
    job = _job()
    assert job["image"] == {"name": "$[[ inputs.image ]]", "entrypoint": [""]}
    assert job["script"] == ["pmcp-action $[[ inputs.args ]]"]
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"] == {"dotenv": "$[[ inputs.dotenv ]]"}
    assert job["artifacts"]["paths"] == ["$[[ inputs.report ]]"]
