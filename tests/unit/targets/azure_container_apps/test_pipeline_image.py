"""The whole program with an image it assembles: the ACR login server (in memory) on the
Azure fake's origin, the base image in a public registry, verification at a local MCP server.

The summary and the outputs say which image source and which registry access were used; the
registry's admin password (the fallback) is in no output, the summary or the report.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pmcp_action.__main__ import main
from tests.fakes.azure_container_apps import (
    EMULATOR_CLIENT,
    EMULATOR_SECRET,
    EMULATOR_SUBSCRIPTION,
    EMULATOR_TENANT,
    FakeAzure,
)
from tests.fakes.mcp_servers import serve_mcp, unused_port
from tests.fakes.oci_registry import FakeOciRegistry
from tests.fakes.server import LoopbackServer, serve
from tests.support.github import parse_github_output
from tests.unit.artifact.oci_image.helpers import HOST_BINARY, seed_base

pytestmark = pytest.mark.timeout(300)

SHA = "0123456789abcdef0123456789abcdef01234567"


@dataclass(frozen=True)
class Emulated:
    fake: FakeAzure
    env: dict[str, str]


@pytest.fixture
def azure() -> Iterator[Emulated]:
    port = unused_port()
    origin = f"http://127.0.0.1:{port}"
    fake = FakeAzure(origin)
    fake.entra.add_app(EMULATOR_CLIENT, EMULATOR_TENANT, secret=EMULATOR_SECRET)
    fake.arm.acr.login_server_for = lambda _name: f"127.0.0.1:{port}"
    public = FakeOciRegistry(auth="none")
    seed_base(public)
    with (
        LoopbackServer(fake, host="127.0.0.1", port=port),
        serve(public) as base_url,
        serve_mcp() as mcp,
    ):
        yield Emulated(
            fake,
            {
                "AZURE_TENANT_ID": EMULATOR_TENANT,
                "AZURE_CLIENT_ID": EMULATOR_CLIENT,
                "AZURE_SUBSCRIPTION_ID": EMULATOR_SUBSCRIPTION,
                "AZURE_CLIENT_SECRET": EMULATOR_SECRET,
                "PMCP_AZURE_LOGIN_URL": origin,
                "PMCP_AZURE_ARM_URL": origin,
                "PMCP_AZURE_APPS_ORIGIN": str(mcp.url).rstrip("/"),
                "PMCP_BASE_IMAGE": str(base_url).split("://", 1)[1].rstrip("/")
                + "/base/debian:bookworm",
                "GITHUB_SHA": SHA,
            },
        )


def _project(root: Path) -> Path:
    (root / ".pmcp").mkdir(parents=True, exist_ok=True)
    (root / ".pmcp" / "deploy.toml").write_text('[server]\nname = "calc"\n', encoding="utf-8")
    binary = root / "target" / "release" / "calc"
    binary.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(HOST_BINARY, binary)
    return root


def run(
    azure: Emulated, gha_files: dict[str, Path], project: Path
) -> tuple[int, str, dict[str, str], str, str]:
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        gha_files[name].write_text("")
    env = {k: str(v) for k, v in gha_files.items()} | {"GITHUB_ACTIONS": "true"}
    env |= azure.env | {
        "INPUT_TARGET": "azure-container-apps",
        "INPUT_WORKING-DIRECTORY": str(project),
        "INPUT_VERIFY-TIMEOUT-SECONDS": "10",
    }
    out = io.StringIO()
    code = main([], environ=env, stdout=out, stderr=io.StringIO())
    outputs = parse_github_output(gha_files["GITHUB_OUTPUT"].read_text())
    summary = gha_files["GITHUB_STEP_SUMMARY"].read_text()
    printed = "\n".join(
        line for line in out.getvalue().splitlines() if not line.startswith("::add-mask::")
    )
    report = Path(outputs["report-path"]).read_text()
    return code, printed, outputs, summary, report


def _app(azure: Emulated) -> dict[str, Any]:
    return next(r for r in azure.fake.arm.resources.values() if r["type"].endswith("containerApps"))


def test_an_assembled_image_deploys_then_is_unchanged(azure, gha_files, tmp_path):
    project = _project(tmp_path)
    code, out, outputs, summary, report = run(azure, gha_files, project)
    assert code == 0, out
    assert outputs["verified"] == "true" and outputs["image-source"] == "assembled"
    assert outputs["registry-access"] == "managed-identity"
    assert outputs["image"].startswith(f"{azure.env['PMCP_AZURE_ARM_URL'][7:]}/calc@sha256:")
    assert "| **Image source** | assembled |" in summary, summary
    assert "| **Registry access** | managed-identity |" in summary
    assert "### Notes" in summary and "with its system-assigned identity" in summary
    assert "assembled onto the base image" in json.loads(report)["notes"][0]

    code, out, again, _, _ = run(azure, gha_files, project)
    assert code == 0, out
    assert again["unchanged"] == "true" and again["image"] == outputs["image"]


def test_the_admin_password_of_the_fallback_is_in_no_output(azure, gha_files, tmp_path):
    azure.fake.arm.acr.refuse_role_assignments = True
    code, out, outputs, summary, report = run(azure, gha_files, _project(tmp_path))
    assert code == 0, out
    assert outputs["registry-access"] == "admin-credentials"
    assert "| **Registry access** | admin-credentials |" in summary
    assert "admin credentials" in out
    [passwords] = azure.fake.arm.acr.passwords.values()
    assert _app(azure)["properties"]["configuration"]["secrets"] == [{"name": "acr-admin-password"}]
    for password in passwords:
        assert password not in out + summary + report + "".join(outputs.values())
    assert EMULATOR_SECRET not in out + summary + report
