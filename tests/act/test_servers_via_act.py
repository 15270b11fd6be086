"""The two-job fan-out under act (servers-local.yml): `command: servers` lists a monorepo of
two servers as a matrix, and one deploy job per matrix entry deploys it through `uses: ./` to
the pmcp.run emulator and verifies it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.act.helpers import RunAct
from tests.fakes.artifacts import write_stand_in_bootstrap
from tests.fakes.emulators import demo_emulators
from tests.fakes.pmcp_run import DEFAULT_CLIENT_SECRET, FakePmcpRun
from tests.support.repository import REPO_ROOT

pytestmark = [pytest.mark.act, pytest.mark.docker, pytest.mark.timeout(1800)]

WORKFLOW = "servers-local.yml"
EVENT = "workflow_dispatch"
#: The monorepo, relative to the repository act runs on.
MONOREPO = "build/act-monorepo"
SERVERS = ("alpha", "beta")


@pytest.fixture
def monorepo(act_repository: Path) -> Iterator[Path]:
    """Two copies of examples/hello-mcp, each its own server with a stand-in bootstrap."""
    root = act_repository / MONOREPO
    for name in SERVERS:
        project = root / "servers" / name
        shutil.copytree(
            REPO_ROOT / "examples/hello-mcp",
            project,
            ignore=shutil.ignore_patterns("target", "deployment.toml"),
        )
        deploy = project / ".pmcp" / "deploy.toml"
        deploy.write_text(deploy.read_text().replace('name = "hello-mcp"', f'name = "{name}"'))
        write_stand_in_bootstrap(project, name.encode())
    yield root
    shutil.rmtree(root)


def test_a_matrix_of_two_servers_fans_out_to_two_verified_deploys(
    act_run: RunAct, monorepo: Path
) -> None:
    emulator = demo_emulators()["pmcp-run"]
    with emulator.start() as running:
        fake: FakePmcpRun = running.fakes["pmcp-run"]
        run = act_run(
            job="deploy",  # act plans the job with the one it needs (servers) first
            workflow=WORKFLOW,
            event=EVENT,
            env={"DEMO_MONOREPO": MONOREPO, **running.env},
            secrets=running.secrets,
        )
        live = {name: fake.live_deployment(name) for name in SERVERS}

    assert run.exit_code == 0, run.describe()
    matrix = json.loads(run.outputs("servers")["matrix"])
    assert matrix == {
        "include": [
            {
                "server": name,
                "target": "pmcp-run",
                "working_directory": f"{MONOREPO}/servers/{name}",
            }
            for name in SERVERS
        ]
    }
    checked = run.step_stdout("check")
    for name in SERVERS:
        assert f"fanout-check: {name} ok" in checked, checked
        deployment = live[name]
        assert deployment is not None, f"no live deployment of {name}"
    assert DEFAULT_CLIENT_SECRET not in run.text
