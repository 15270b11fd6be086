"""The fake's contract, checked with the real wrangler as a peer, and served on real workerd."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.cloudflare_workers import ACCOUNT_ID, SUBDOMAIN, TOKEN, FakeCloudflare
from tests.fakes.cloudflare_workers.stand_in import SERVER_NAME, write_bundle
from tests.fakes.npm_tools import NpmTools

pytestmark = pytest.mark.timeout(300)


def wrangler(npm: NpmTools, cwd: Path, base: str, *args: str) -> str:
    env = {
        "PATH": f"{Path(npm.wrangler).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(cwd / ".home"),
        "CLOUDFLARE_API_BASE_URL": f"{base}/client/v4",
        "CLOUDFLARE_API_TOKEN": TOKEN,
        "CLOUDFLARE_ACCOUNT_ID": ACCOUNT_ID,
        "WRANGLER_SEND_METRICS": "false",
        "CI": "true",
        "NO_COLOR": "1",
    }
    done = subprocess.run(
        [str(npm.wrangler), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, f"wrangler {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def mcp(url: str, method: str) -> Any:
    answer = httpx.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": {}}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["result"]


def test_wrangler_deploys_uploads_versions_and_rolls_back_against_the_fake(
    npm: NpmTools, live_fake: tuple[FakeCloudflare, str], tmp_path: Path
):
    fake, base = live_fake
    project = tmp_path / "project"
    write_bundle(project / "build", version="1.0.0")
    (project / "wrangler.toml").write_text(
        'name = "wrangler-peer"\nmain = "build/index.js"\ncompatibility_date = "2024-11-20"\n'
        'workers_dev = true\n[vars]\nGREETING = "hello"\n'
    )
    first = wrangler(npm, project, base, "deploy", "--no-bundle")
    assert f"https://wrangler-peer.{SUBDOMAIN}.workers.dev" in first
    script = fake.script("wrangler-peer")
    assert script is not None and script.subdomain_enabled
    assert len(script.versions) == 1 and script.deployments[-1].versions[0][1] == 100
    uploaded = script.versions[0]
    assert uploaded.modules[uploaded.main_module][0] == "application/javascript+module"
    assert {t for t, _ in uploaded.modules.values()} == {
        "application/javascript+module",
        "application/wasm",
    }
    worker_url = f"{base}/wrangler-peer.{SUBDOMAIN}.workers.dev/mcp"
    assert mcp(worker_url, "initialize")["serverInfo"] == {"name": SERVER_NAME, "version": "1.0.0"}
    tools = [tool["name"] for tool in mcp(worker_url, "tools/list")["tools"]]
    assert tools == ["add", "binding_GREETING"]

    write_bundle(project / "build", version="2.0.0")
    wrangler(npm, project, base, "deploy", "--no-bundle")  # the versions + deployments path
    assert len(script.versions) == 2 and script.live_version() is script.versions[1]
    assert mcp(worker_url, "initialize")["serverInfo"]["version"] == "2.0.0"

    write_bundle(project / "build", version="3.0.0")
    wrangler(npm, project, base, "versions", "upload", "--no-bundle")
    assert len(script.versions) == 3 and script.live_version() is script.versions[1]

    wrangler(npm, project, base, "rollback", "--message", "contract", "-y")
    assert script.live_version() is script.versions[0]
    assert mcp(worker_url, "initialize")["serverInfo"]["version"] == "1.0.0"
    assert fake.errors == []
    assert [r for r in fake.unknown_routes] == []
    deployments = json.loads(json.dumps([d.to_api() for d in script.deployments]))
    assert [d["versions"][0]["percentage"] for d in deployments] == [100, 100, 100]
