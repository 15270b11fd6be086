"""The workflow `pmcp-action init` writes, run end to end under act against the emulators.

init runs on examples/hello-mcp in act's copy of the repository and writes
.github/workflows/pmcp-deploy.yml there, as it would in a user's repository. Under act the
test makes two changes to it, and only these: the pinned `uses:` of the action becomes
`uses: ./` (the action of this checkout, as the repository's own workflows use it), and the
steps before the deploy get `if: ${{ !env.ACT }}` (act cannot fetch actions/checkout and
binds the tree instead; no toolchain for the target's platform is here, so the emulator
writes the stand-in artifact where the build step would). The repository's variables and
secrets the workflow names are given to act as `vars` and `secrets`, from the emulator's own
configuration, and the job's environment holds the rest of it (endpoints, the OIDC issuer)
but not those names: the deploy gets them only through the workflow's `with:`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from pmcp_action.__main__ import main
from pmcp_action.init.github import JOB, WORKFLOW_PATH
from pmcp_action.init.release import action_pin
from tests.act.helpers import RunAct
from tests.fakes.artifacts import LAMBDA_OUTPUT
from tests.fakes.emulators import demo_emulators

pytestmark = [pytest.mark.act, pytest.mark.docker, pytest.mark.timeout(1500)]

PROJECT = "examples/hello-mcp"
_NAMED = re.compile(r"\$\{\{ (secrets|vars)\.([A-Za-z0-9_]+) \}\}")
_DEPLOY_STEP = "      - name: Deploy, and prove it works over MCP\n"


def for_act(text: str) -> str:
    """The workflow as act runs it (see the module's docstring)."""
    pin = action_pin()
    pinned = f"uses: {pin.uses} # {pin.comment}\n"
    assert text.count(pinned) == 1 and text.count(_DEPLOY_STEP) == 1, text
    text = text.replace(pinned, "uses: ./\n")
    before, after = text.split(_DEPLOY_STEP)
    steps = before.count("      - name: ")
    before = before.replace("      - name: ", "      - if: ${{ !env.ACT }}\n        name: ")
    assert steps >= 1 and before.count("if: ${{ !env.ACT }}") == steps
    return before + _DEPLOY_STEP + after


@pytest.fixture
def hello(act_repository: Path) -> Iterator[Path]:
    """The example in act's copy; the workflow and the stand-in artifact removed after."""
    project = act_repository / PROJECT
    yield project
    (act_repository / WORKFLOW_PATH).unlink(missing_ok=True)
    (project / LAMBDA_OUTPUT).unlink(missing_ok=True)


def _init(project: Path, *args: str) -> str:
    err = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        code = main(["init", "--ci", "github", "--force", *args], environ={}, stderr=err)
    assert code == 0, err.getvalue()
    return err.getvalue()


@pytest.mark.parametrize(("target", "auth"), [("pmcp-run", "secrets"), ("aws-lambda", "oidc")])
def test_the_written_workflow_deploys_and_verifies(
    act_run: RunAct, act_repository: Path, hello: Path, target: str, auth: str
) -> None:
    said = _init(hello, "--target", target, "--auth", auth)
    assert f" {WORKFLOW_PATH} in " in said, said
    workflow = act_repository / WORKFLOW_PATH
    written = workflow.read_text()
    workflow.write_text(for_act(written))
    emulator = demo_emulators()[target]
    assert emulator.stand_in is not None
    emulator.stand_in(hello)
    named: dict[str, set[str]] = {"secrets": set(), "vars": set()}
    for kind, name in _NAMED.findall(written):
        named[kind].add(name)
    with emulator.start() as running:
        configured = {**running.env, **running.secrets}
        # The emulator's configuration has a value for every name the workflow uses ...
        assert named["secrets"] | named["vars"] <= set(configured), (named, set(configured))
        run = act_run(
            job=JOB,
            workflow=Path(WORKFLOW_PATH).name,
            event="workflow_dispatch",
            # ... and the job's environment none of them: they reach the deploy by `with:`.
            env={k: v for k, v in running.env.items() if k not in named["vars"]},
            secrets={name: configured[name] for name in named["secrets"]},
            variables={name: configured[name] for name in named["vars"]},
        )
        fakes = dict(running.fakes)
    assert run.exit_code == 0, run.describe()
    outputs = run.outputs("deploy")
    assert outputs["status"] == "success" and outputs["verified"] == "true", outputs
    assert outputs["target"] == target and outputs["server-name"] == "hello-mcp", outputs
    assert outputs["url"].startswith(("http://", "https://")), outputs
    for value in running.secrets.values():
        assert value not in run.text
    if auth == "oidc":
        exchanges = fakes["proxy"].requests_for("AssumeRoleWithWebIdentity")
        assert len(exchanges) == 1, "the job signed in with its OIDC token"
