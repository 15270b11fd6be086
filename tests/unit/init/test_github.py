"""init.github: the workflow for every target and sign-in passes actionlint, holds least
privilege and names only what the declarations name; one target's workflow is a golden."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pmcp_action import __version__
from pmcp_action.init.github import SECRET_DELIMITER, WORKFLOW_PATH
from pmcp_action.init.release import CHECKOUT, action_pin
from pmcp_action.settings.catalogue import catalogue
from pmcp_action.settings.declaration import Fallback
from tests.support.actionlint import actionlint, lint

from .helpers import cli, write_project

GOLDEN = Path(__file__).parent / "golden" / "aws-lambda-oidc.yml"
SERVER_SECRETS = {"API_KEY": '""', "DB_URL": '{ description = "the database" }'}
OPTIONAL = {"TRACE_TOKEN": "{ required = false }"}
_EXPRESSION = re.compile(r"\$\{\{ (secrets|vars)\.([A-Za-z0-9_]+) \}\}")


def _cases() -> list[tuple[str, str]]:
    return [
        (declaration.id, mode)
        for declaration in catalogue().targets
        for mode in (("oidc", "secrets") if declaration.ci.oidc else ("secrets",))
    ]


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    data["on"] = data.pop(True)  # YAML 1.1 reads a bare `on` as true
    return data


def _write(tmp_path: Path, target: str, mode: str) -> Path:
    project = write_project(
        tmp_path / "repo", target, where="servers/weather", secrets=SERVER_SECRETS | OPTIONAL
    )
    declaration = catalogue().target(target)
    assert declaration is not None
    auth = ["--auth", mode] if "auth" in declaration.input_names else []
    code, _, err = cli(project, "--target", target, *auth)
    assert code == 0, err
    return tmp_path / "repo" / WORKFLOW_PATH


@pytest.mark.parametrize(("target", "mode"), _cases())
def test_every_target_and_sign_in_passes_actionlint(tmp_path: Path, target: str, mode: str) -> None:
    binary = actionlint()
    workflow = _write(tmp_path, target, mode)
    done = lint(binary, workflow)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(("target", "mode"), _cases())
def test_least_privilege_pinned_actions_and_names_from_the_declarations(
    tmp_path: Path, target: str, mode: str
) -> None:
    cat = catalogue()
    declaration = cat.target(target)
    assert declaration is not None
    workflow = _load(_write(tmp_path, target, mode))
    assert workflow["permissions"] == {}
    assert workflow["on"] == {"push": {"branches": ["main"]}, "workflow_dispatch": {}}
    job = workflow["jobs"]["deploy"]
    expected = {"contents": "read"} | ({"id-token": "write"} if mode == "oidc" else {})
    assert job["permissions"] == expected
    assert job["concurrency"] == {"group": "pmcp-deploy-weather", "cancel-in-progress": False}
    assert job["environment"] == {
        "name": "production",
        "url": "${{ steps.deploy.outputs.url }}",
    }
    steps = job["steps"]
    assert steps[0]["uses"] == CHECKOUT.uses and steps[0]["with"] == {"persist-credentials": False}
    deploy = steps[-1]
    assert deploy["id"] == "deploy" and deploy["uses"] == action_pin().uses
    given = deploy["with"]
    assert given["target"] == target and given["working-directory"] == "servers/weather"
    # Each input is the program's, each value the variable the program reads it from.
    for name, value in given.items():
        spec = cat.input(name)
        assert name in declaration.input_names or not cat.input_owners.get(name), name
        found = _EXPRESSION.fullmatch(value) if name != "secrets" else None
        if found is None:
            continue
        kind, variable = found.groups()
        assert kind == ("secrets" if spec.secret else "vars"), name
        fallback = declaration.fallbacks.get(name) or Fallback()
        assert variable in (*spec.env, *fallback.env), (name, variable)
        signs_in = declaration.ci.oidc if mode == "oidc" else declaration.ci.secrets
        assert name in signs_in or name in declaration.ci.location, name
    for name in declaration.ci.oidc if mode == "oidc" else declaration.ci.secrets:
        assert name in given, name
    # The server's required secrets, each by name in the heredoc form; the optional one not.
    assert given["secrets"] == "".join(
        f"{n}<<{SECRET_DELIMITER}\n${{{{ secrets.{n} }}}}\n{SECRET_DELIMITER}\n"
        for n in sorted(SERVER_SECRETS)
    )
    text = (tmp_path / "repo" / WORKFLOW_PATH).read_text()
    assert "TRACE_TOKEN" in text.split("\nname:")[0]  # named in the header only
    assert "secrets.TRACE_TOKEN" not in text


def test_the_aws_lambda_workflow_is_the_golden(tmp_path: Path) -> None:
    """A monorepo's server, OIDC, a region not in deploy.toml, two required secrets."""
    repo = tmp_path / "repo"
    project = write_project(repo, "aws-lambda", where="servers/weather", secrets=SERVER_SECRETS)
    (repo / ".git" / "config").write_text(
        '[remote "origin"]\n\turl = git@github.com:acme/weather-mcp.git\n'
    )
    code, _, err = cli(project, "--ci", "github", "--ci-environment", "prod")
    assert code == 0, err
    written = (repo / WORKFLOW_PATH).read_text()
    major = __version__.split(".")[0]
    golden = GOLDEN.read_text().replace("<VERSION>", __version__).replace("<MAJOR>", major)
    assert written == golden


def test_a_dockerfile_leaves_the_image_build_to_the_target(tmp_path: Path) -> None:
    project = write_project(tmp_path / "repo", "google-cloud-run", files={"Dockerfile": "FROM x\n"})
    assert cli(project)[0] == 0
    steps = _load(tmp_path / "repo" / WORKFLOW_PATH)["jobs"]["deploy"]["steps"]
    assert [step["name"] for step in steps[:-1]] == ["Check out"]
