"""``.github/workflows/pmcp-deploy.yml``: build, deploy and verify the project on every push
to the default branch (or by hand), written as text from the plan and read back to check it.

Least privilege (``permissions: {}`` at the top, ``contents: read`` for the job, and
``id-token: write`` only when it signs in with OIDC), actions pinned, one deploy of the
server at a time, the deployment environment with the deployed URL, every credential and
server secret referenced by name from the repository's secrets and variables.
"""

from __future__ import annotations

from collections.abc import Mapping

import yaml

from .. import __version__
from .model import BuildPlan, InitPlan
from .release import CHECKOUT, ActionPin, action_pin
from .yaml_text import Literal, Node, Noted, comment_lines, comment_table, emit, plain

__all__ = ["JOB", "SECRET_DELIMITER", "WORKFLOW_PATH", "render_workflow", "workflow_data"]

WORKFLOW_PATH = ".github/workflows/pmcp-deploy.yml"
#: The job's id, and the heredoc delimiter of each server secret in the secrets input.
JOB = "deploy"
SECRET_DELIMITER = "PMCP_SECRET_EOF"
_RUNNER = "ubuntu-latest"
#: The build, the deploy (its own deadline is timeout-minutes, 15) and verification.
_JOB_MINUTES = 45
_TOOLS = "$RUNNER_TEMP/build-tools"


def _expression(kind: str, name: str) -> str:
    return "${{ " + f"{kind}.{name}" + " }}"


def _build_step(build: BuildPlan) -> dict[str, Node]:
    lines: list[str] = []
    if build.python_tools:
        lines += [
            f'python3 -m venv "{_TOOLS}"',
            f'"{_TOOLS}/bin/pip" install --quiet {" ".join(build.python_tools)}',
            f'export PATH="{_TOOLS}/bin:$PATH"',
        ]
    lines += [*build.setup, *build.commands]
    step: dict[str, Node] = {"name": build.title}
    if build.directory != ".":
        step["working-directory"] = build.directory
    if build.env:
        step["env"] = dict(build.env)
    step["run"] = Literal("".join(f"{line}\n" for line in lines))
    return step


def _secrets_input(names: tuple[str, ...]) -> Literal:
    """Each server secret in the heredoc form, so a value of several lines stays whole."""
    lines = []
    for name in names:
        lines += [f"{name}<<{SECRET_DELIMITER}", _expression("secrets", name), SECRET_DELIMITER]
    return Literal("".join(f"{line}\n" for line in lines))


def _with(plan: InitPlan) -> dict[str, Node]:
    given: dict[str, Node] = {"target": plan.target}
    if plan.working_directory != ".":
        given["working-directory"] = plan.working_directory
    if plan.config:
        given["config"] = plan.config
    if plan.name_given:
        given["server-name"] = plan.server_name
    for value in plan.values:
        given[value.input] = _expression("secrets" if value.secret else "vars", value.variable)
    if plan.secrets:
        given["secrets"] = _secrets_input(plan.secrets)
    return given


def workflow_data(plan: InitPlan, pin: ActionPin | None = None) -> dict[str, Node]:
    """The workflow as data (the text is these, with comments)."""
    pin = pin or action_pin()
    permissions: dict[str, Node] = {"contents": "read"}
    if plan.oidc:
        permissions["id-token"] = Noted("write", "the job's OIDC ID token, for the sign-in")
    steps: list[Node] = [
        {
            "name": "Check out",
            "uses": Noted(f"{CHECKOUT.uses}", CHECKOUT.comment),
            "with": {"persist-credentials": False},
        }
    ]
    if plan.build is not None:
        steps.append(_build_step(plan.build))
    steps.append(
        {
            "name": "Deploy, and prove it works over MCP",
            "id": "deploy",
            "uses": Noted(pin.uses, pin.comment),
            "with": _with(plan),
        }
    )
    job: dict[str, Node] = {
        "name": f"deploy {plan.server_name} to {plan.target}",
        "runs-on": _RUNNER,
        "timeout-minutes": _JOB_MINUTES,
        "permissions": permissions,
        "concurrency": {
            "group": f"pmcp-deploy-{plan.server_name}",
            "cancel-in-progress": False,
        },
        "environment": {
            "name": plan.environment,
            "url": _expression("steps", "deploy.outputs.url"),
        },
        "steps": steps,
    }
    return {
        "name": f"pmcp deploy {plan.server_name}",
        "on": {"push": {"branches": [plan.branch]}, "workflow_dispatch": {}},
        "permissions": {},
        "jobs": {JOB: job},
    }


def _header(plan: InitPlan, version: str) -> list[str]:
    source = plan.config_shown or "the target's defaults (there is no .pmcp/deploy.toml)"
    lines = comment_lines(
        f"Deploys {plan.server_name} to {plan.title} ({plan.target}) with pmcp-deploy-action and "
        f"proves it works over MCP, on every push to {plan.branch} and when run by hand."
    )
    lines += comment_lines(
        f"Written by `pmcp-action init` (pmcp-deploy-action {version}) from {source}; edit it "
        "as you like (`pmcp-action init --force` writes it again)."
    )
    rows = comment_table(plan.to_create())
    if rows:
        lines += ["#"]
        lines += comment_lines(
            "Create these first (Settings → Secrets and variables → Actions, for the repository "
            f"or for its environment {plan.environment}):"
        )
        lines += rows
    if plan.optional_secrets:
        lines += comment_lines(
            "The server's optional secrets, each to add to `secrets:` below once created: "
            + ", ".join(plan.optional_secrets)
            + "."
        )
    lines += ["#"]
    what = (
        f"Then let {plan.title} trust this repository's OIDC tokens"
        if plan.oidc
        else f"Where the {plan.title} credentials come from"
    )
    lines += comment_lines(f"{what}: `{plan.trust_command()}` prints what to set up.")
    return lines


def render_workflow(
    plan: InitPlan, *, pin: ActionPin | None = None, version: str = __version__
) -> str:
    """The workflow's text, checked to read back as :func:`workflow_data`."""
    data = workflow_data(plan, pin)
    body: list[str] = []
    for key, value in data.items():
        body += ["", *emit({key: value})]
    text = "\n".join([*_header(plan, version), *body]) + "\n"
    _check(text, data)
    return text


def _check(text: str, data: Mapping[str, Node]) -> None:
    loaded = yaml.safe_load(text)
    if isinstance(loaded, dict) and True in loaded:  # YAML 1.1 reads a bare `on` as true
        loaded = {("on" if key is True else key): value for key, value in loaded.items()}
    if loaded != plain(data):
        raise ValueError("the workflow written does not read back as the one meant (a bug)")
