"""The whole program against the Azure fakes: verify before traffic, promote, discard.

Two setups: the emulator (a prebuilt image; an ACR Tasks build), and the fake on its own
origin with the ACR login server (in memory) for an image the program assembles, the base
image in a public registry and verification at a local MCP server. The summary and the
outputs say which image source and which registry access were used; the client secret and
the registry's admin password (the fallback) are in no output, the summary or the report.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pmcp_action.__main__ import main
from tests.fakes.azure_container_apps import (
    EMULATOR_SECRET,
)
from tests.fakes.mcp_servers import unused_port
from tests.support.github import parse_github_output
from tests.unit.artifact.oci_image.helpers import HOST_BINARY

from .helpers import Emulated

pytestmark = pytest.mark.timeout(300)

IMAGE_2 = "ghcr.io/paiml/hello-mcp@sha256:" + "2" * 64


def _project(root: Path) -> Path:
    (root / ".pmcp").mkdir(parents=True, exist_ok=True)
    (root / ".pmcp" / "deploy.toml").write_text('[server]\nname = "calc"\n', encoding="utf-8")
    return root


def run(emulator: Any, gha_files: dict[str, Path], project: Path, **extra: str):
    return run_with(None, emulator, gha_files, project, **extra)


def run_with(
    sleep: Callable[[float], None] | None,
    emulator: Any,
    gha_files: dict[str, Path],
    project: Path,
    **extra: str,
) -> tuple[int, str, dict[str, str], str, Any]:
    """:func:`run` with the program's sleep replaced (``None``: the real one)."""
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
    code = main([], environ=env, stdout=out, stderr=io.StringIO(), sleep=sleep)
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


# --- an assembled image, pushed to the ACR login server on the fake's origin -------------


def _binary_project(root: Path) -> Path:
    (root / ".pmcp").mkdir(parents=True, exist_ok=True)
    (root / ".pmcp" / "deploy.toml").write_text('[server]\nname = "calc"\n', encoding="utf-8")
    binary = root / "target" / "release" / "calc"
    binary.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(HOST_BINARY, binary)
    return root


def run_assembled(
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
    project = _binary_project(tmp_path)
    code, out, outputs, summary, report = run_assembled(azure, gha_files, project)
    assert code == 0, out
    assert outputs["verified"] == "true" and outputs["image-source"] == "assembled"
    assert outputs["registry-access"] == "managed-identity"
    assert outputs["image"].startswith(f"{azure.env['PMCP_AZURE_ARM_URL'][7:]}/calc@sha256:")
    assert "| **Image source** | assembled |" in summary, summary
    assert "| **Registry access** | managed-identity |" in summary
    assert "### Notes" in summary and "with its system-assigned identity" in summary
    assert "assembled onto the base image" in json.loads(report)["notes"][0]

    code, out, again, _, _ = run_assembled(azure, gha_files, project)
    assert code == 0, out
    assert again["unchanged"] == "true" and again["image"] == outputs["image"]


def test_the_admin_password_of_the_fallback_is_in_no_output(azure, gha_files, tmp_path):
    azure.fake.arm.acr.refuse_role_assignments = True
    code, out, outputs, summary, report = run_assembled(azure, gha_files, _binary_project(tmp_path))
    assert code == 0, out
    assert outputs["registry-access"] == "admin-credentials"
    assert "| **Registry access** | admin-credentials |" in summary
    assert "admin credentials" in out
    [passwords] = azure.fake.arm.acr.passwords.values()
    assert _app(azure)["properties"]["configuration"]["secrets"] == [{"name": "acr-admin-password"}]
    for password in passwords:
        assert password not in out + summary + report + "".join(outputs.values())
    assert EMULATOR_SECRET not in out + summary + report


# --- the server's secrets, through the whole program ----------------------------------------

API_KEY = "sk-live-4f1d9c2b7a8e6d3f"
API_KEY_2 = "sk-live-rotated-77a1e0c9"
DB_URL = "postgres://calc:Hunter2-x9@db.internal/calc\nsslmode=require"
VALUES = (API_KEY, API_KEY_2, DB_URL, *DB_URL.splitlines())


def run_secret(emulator: Any, gha_files: dict[str, Path], project: Path, **extra: str):
    """A run (GitHub Actions) whose every output is scanned for every secret value and its
    base64: stdout but the mask commands, stderr, the summary, the report, the outputs."""
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
    out, err = io.StringIO(), io.StringIO()
    code = main([], environ=env, stdout=out, stderr=err)
    outputs = parse_github_output(gha_files["GITHUB_OUTPUT"].read_text())
    summary = gha_files["GITHUB_STEP_SUMMARY"].read_text()
    printed = "\n".join(
        line for line in out.getvalue().splitlines() if not line.startswith("::add-mask::")
    )
    report_path = outputs.get("report-path", "")
    report = Path(report_path).read_text() if report_path else ""
    _scan(printed + err.getvalue() + summary + report + json.dumps(outputs))
    return code, printed + err.getvalue(), outputs, summary, report


def _scan(text: str) -> None:
    for value in VALUES:
        for form in (value, base64.b64encode(value.encode()).decode()):
            assert form not in text, "a secret value (or its base64) was written out"


def _secret_input(**values: str) -> str:
    lines = []
    for name, value in values.items():
        lines += [f"{name}<<EOF", value, "EOF"] if "\n" in value else [f"{name}={value}"]
    return "\n".join(lines)


def _arm(emulator: Any) -> Any:
    return emulator.fakes["azure-container-apps"].arm


def _app_secrets(emulator: Any) -> dict[str, str]:
    arm = _arm(emulator)
    [key] = [k for k in arm.resources if k.endswith("/containerapps/calc")]
    return {n: str(e.get("value")) for n, e in arm.secrets.entries[key].items()}


def test_secrets_set_unchanged_rotated_pruned_planned_and_destroyed(
    emulator: Any, gha_files: dict[str, Path], tmp_path: Path
) -> None:
    project = _project(tmp_path)
    both = _secret_input(API_KEY=API_KEY, DB_URL=DB_URL)
    code, out, outputs, summary, report = run_secret(
        emulator, gha_files, project, INPUT_SECRETS=both
    )
    assert code == 0, out
    assert json.loads(outputs["secrets"]) == {"API_KEY": "set", "DB_URL": "set"}
    assert "| **Secrets** | API_KEY set, DB_URL set |" in summary
    assert json.loads(report)["secrets"] == [
        {"name": "API_KEY", "status": "set"},
        {"name": "DB_URL", "status": "set"},
    ]
    assert _app_secrets(emulator) == {"api-key": API_KEY, "db-url": DB_URL}
    first = outputs["version"]

    code, out, outputs, _, _ = run_secret(emulator, gha_files, project, INPUT_SECRETS=both)
    assert code == 0 and outputs["unchanged"] == "true" and outputs["version"] == first
    assert json.loads(outputs["secrets"]) == {"API_KEY": "unchanged", "DB_URL": "unchanged"}

    # A new API_KEY, DB_URL not given: a new revision, verified at 0 % before it serves.
    code, out, outputs, _, report = run_secret(
        emulator, gha_files, project, INPUT_SECRETS=f"API_KEY={API_KEY_2}"
    )
    assert code == 0, out
    assert outputs["previous-version"] == first and outputs["version"] != first
    assert [p["name"] for p in json.loads(report)["phases"]] == [
        "validate",
        "deploy",
        "verify candidate",
        "promote",
        "verify",
    ]
    assert json.loads(outputs["secrets"]) == {"API_KEY": "set", "DB_URL": "kept"}
    assert _app_secrets(emulator) == {"api-key": API_KEY_2, "db-url": DB_URL}

    code, out, outputs, _, _ = run_secret(
        emulator,
        gha_files,
        project,
        INPUT_SECRETS=f"API_KEY={API_KEY_2}\nTOKEN={API_KEY}",
        INPUT_COMMAND="plan",
        **{"INPUT_PRUNE-SECRETS": "true"},
    )
    assert code == 0, out
    assert "app secret token" in out and "app secret db-url" in out
    assert json.loads(outputs["secrets"]) == {
        "API_KEY": "unchanged",
        "DB_URL": "removed",
        "TOKEN": "set",
    }
    assert "token" not in _app_secrets(emulator)  # plan wrote nothing

    code, out, outputs, _, _ = run_secret(
        emulator,
        gha_files,
        project,
        INPUT_SECRETS=f"API_KEY={API_KEY_2}",
        PMCP_IMAGE=IMAGE_2,
        **{"INPUT_PRUNE-SECRETS": "true"},
    )
    assert code == 0, out
    assert json.loads(outputs["secrets"]) == {"API_KEY": "unchanged", "DB_URL": "removed"}
    assert _app_secrets(emulator) == {"api-key": API_KEY_2}

    code, out, outputs, summary, _ = run_secret(
        emulator,
        gha_files,
        project,
        INPUT_COMMAND="destroy",
        **{"INPUT_CONFIRM-DESTROY": "true"},
    )
    assert code == 0, out
    assert json.loads(outputs["secrets"]) == {"API_KEY": "removed"}
    assert "were app secrets of calc: deleted with it" in out


def test_a_required_secret_from_the_environment_and_refusals_before_any_change(
    emulator: Any, gha_files: dict[str, Path], tmp_path: Path
) -> None:
    project = _project(tmp_path)
    toml = project / ".pmcp" / "deploy.toml"
    toml.write_text('[server]\nname = "calc"\n\n[secrets]\nDB_URL = ""\n', encoding="utf-8")
    code, out, _, summary, _ = run_secret(emulator, gha_files, project)
    assert code == 1 and "requires the secret DB_URL" in out + summary
    assert _arm(emulator).mutations == []

    for bad in (f"_TOKEN={API_KEY}", f"API_KEY={API_KEY}\napi_key={API_KEY_2}"):
        code, out, _, summary, _ = run_secret(
            emulator, gha_files, project, INPUT_SECRETS=bad, DB_URL=DB_URL
        )
        assert code == 1 and "::error" in out, out
        assert _arm(emulator).mutations == []
    assert "would both be the app secret api-key" in out + summary

    code, out, outputs, _, _ = run_secret(emulator, gha_files, project, DB_URL=DB_URL)
    assert code == 0, out
    assert json.loads(outputs["secrets"]) == {"DB_URL": "set"}
    assert _app_secrets(emulator) == {"db-url": DB_URL}
    # Stored now: a later run without the variable keeps it.
    code, out, outputs, _, _ = run_secret(emulator, gha_files, project, PMCP_IMAGE=IMAGE_2)
    assert code == 0 and json.loads(outputs["secrets"]) == {"DB_URL": "kept"}, out


def test_a_gitlab_run_writes_no_secret_into_its_dotenv_report(
    emulator: Any, tmp_path: Path
) -> None:
    project = _project(tmp_path / "project")
    dotenv = tmp_path / "deploy.env"
    env = {"GITLAB_CI": "true", "PMCP_DOTENV_PATH": str(dotenv)}
    env |= dict(emulator.env) | dict(emulator.secrets)
    env |= {
        "INPUT_TARGET": "azure-container-apps",
        "INPUT_WORKING-DIRECTORY": str(project),
        "INPUT_VERIFY-TIMEOUT-SECONDS": "20",
        "INPUT_SECRETS": _secret_input(API_KEY=API_KEY, DB_URL=DB_URL),
    }
    out, err = io.StringIO(), io.StringIO()
    code = main([], environ=env, stdout=out, stderr=err)
    assert code == 0, out.getvalue()
    written = dotenv.read_text()
    assert 'PMCP_OUT_SECRETS={"API_KEY":"set","DB_URL":"set"}' in written
    _scan(written + out.getvalue() + err.getvalue())
