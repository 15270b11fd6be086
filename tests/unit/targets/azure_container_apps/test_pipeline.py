"""The whole program against the emulator: verify before traffic, promote, discard."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from pmcp_action.__main__ import main
from tests.fakes.azure_container_apps import EMULATOR, EMULATOR_SECRET
from tests.fakes.mcp_servers import unused_port
from tests.support.github import parse_github_output

pytestmark = pytest.mark.timeout(300)

IMAGE_2 = "ghcr.io/paiml/hello-mcp@sha256:" + "2" * 64


@pytest.fixture
def emulator() -> Any:
    with EMULATOR.start() as running:
        yield running


def _project(root: Path) -> Path:
    (root / ".pmcp").mkdir(parents=True, exist_ok=True)
    (root / ".pmcp" / "deploy.toml").write_text('[server]\nname = "calc"\n', encoding="utf-8")
    return root


def run(emulator: Any, gha_files: dict[str, Path], project: Path, **extra: str):
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        gha_files[name].write_text("")
    env = {k: str(v) for k, v in gha_files.items()} | {"GITHUB_ACTIONS": "true"}
    env |= dict(emulator.env) | dict(emulator.secrets)
    env |= {
        "INPUT_TARGET": "azure-container-apps",
        "INPUT_WORKING-DIRECTORY": str(project),
        "INPUT_VERIFY-TIMEOUT-SECONDS": "20",
    }
    env |= extra
    out = io.StringIO()
    code = main([], environ=env, stdout=out, stderr=io.StringIO())
    outputs = parse_github_output(gha_files["GITHUB_OUTPUT"].read_text())
    summary = gha_files["GITHUB_STEP_SUMMARY"].read_text()
    printed = "\n".join(
        line for line in out.getvalue().splitlines() if not line.startswith("::add-mask::")
    )
    report = Path(outputs["report-path"]).read_text()
    assert EMULATOR_SECRET not in printed + summary + report + "".join(outputs.values())
    return code, printed, outputs, summary, json.loads(report)


def _traffic(emulator: Any) -> list[dict[str, Any]]:
    arm = emulator.fakes["azure-container-apps"].arm
    app = next(r for r in arm.resources.values() if r["type"].endswith("containerApps"))
    return list(app["properties"]["configuration"]["ingress"]["traffic"])


def test_deploy_redeploy_unchanged_and_a_failing_candidate(emulator, gha_files, tmp_path):
    project = _project(tmp_path)
    code, out, outputs, _, _ = run(emulator, gha_files, project)
    assert code == 0, out
    assert outputs["verified"] == "true" and outputs["region"] == "eastus"
    first = outputs["version"]
    assert first.startswith("calc--p") and outputs["image"].endswith("0" * 64)

    code, out, outputs, _, report = run(emulator, gha_files, project, PMCP_IMAGE=IMAGE_2)
    assert code == 0, out
    assert outputs["previous-version"] == first and outputs["unchanged"] == "false"
    second = outputs["version"]
    assert [p["name"] for p in report["phases"]] == [
        "validate",
        "deploy",
        "verify candidate",
        "promote",
        "verify",
    ]
    assert _traffic(emulator) == [{"revisionName": second, "weight": 100}]

    code, _, outputs, _, _ = run(emulator, gha_files, project, PMCP_IMAGE=IMAGE_2)
    assert code == 0 and outputs["unchanged"] == "true"

    dead = f"http://127.0.0.1:{unused_port()}/mcp"
    image_3 = "ghcr.io/paiml/hello-mcp@sha256:" + "3" * 64
    code, out, outputs, _, _ = run(
        emulator, gha_files, project, PMCP_IMAGE=image_3, PMCP_AZURE_APPS_ORIGIN=dead
    )
    assert code == 1, out
    assert outputs["verified"] == "false"
    assert _traffic(emulator) == [{"revisionName": second, "weight": 100}]


def test_a_dockerfile_is_built_in_acr_tasks_and_a_failing_build_changes_nothing(
    emulator, gha_files, tmp_path
):
    project = _project(tmp_path)
    (project / "Dockerfile").write_text("FROM scratch\nCOPY server /server\n")
    (project / "server").write_text("stand-in\n")
    code, out, outputs, summary, _ = run(
        emulator, gha_files, project, PMCP_IMAGE="", GITHUB_SHA="a" * 40
    )
    assert code == 0, out
    assert outputs["image-source"] == "cloud-build" and outputs["verified"] == "true"
    assert "Step 2/2 : COPY server /server" in out  # the build's log, streamed
    served = outputs["image"]
    assert "/calc@sha256:" in served
    arm = emulator.fakes["azure-container-apps"].arm
    assert [r.status for r in arm.tasks.all_runs()] == ["Succeeded"]
    traffic = _traffic(emulator)
    revisions = sum(len(v) for v in arm.revisions.values())

    (project / "Dockerfile").write_text("FROM scratch\nRUN false\n")
    code, out, outputs, summary, _ = run(
        emulator, gha_files, project, PMCP_IMAGE="", GITHUB_SHA="b" * 40
    )
    assert code == 1, out
    assert "::error" in out and "returned a non-zero code: 1" in out + summary
    assert [r.status for r in arm.tasks.all_runs()] == ["Succeeded", "Failed"]
    assert _traffic(emulator) == traffic  # no new revision took any traffic
    assert sum(len(v) for v in arm.revisions.values()) == revisions
    code, _, outputs, _, _ = run(emulator, gha_files, project, INPUT_COMMAND="outputs")
    assert code == 0 and outputs["image"] == served  # the built image still serves
