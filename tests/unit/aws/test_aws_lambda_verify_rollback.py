"""Issue 5 on aws-lambda: a failed MCP verification puts alias live back (moto + real MCP)."""

from __future__ import annotations

import io
from pathlib import Path

from pmcp_action.__main__ import main
from tests.fakes.mcp_servers import serve_mcp, serve_static
from tests.support.aws import REGION, elf_bootstrap
from tests.support.github import parse_github_output

SECRET_KEY = "moto-secret-key-for-rollback-test"


def deploy(gha_files, workspace: Path, moto_url: str, marker: bytes, **inputs: str):
    bootstrap = workspace / "bootstrap"
    bootstrap.write_bytes(elf_bootstrap(marker))
    bootstrap.chmod(0o755)
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        gha_files[name].write_text("")
    env = {k: str(v) for k, v in gha_files.items()} | {
        "GITHUB_ACTIONS": "true",
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "AKIAROLLBACKTEST0000",
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "INPUT_TARGET": "aws-lambda",
        "INPUT_SERVER-NAME": "rollback-demo",
        "INPUT_REGION": REGION,
        "INPUT_ARTIFACT": "bootstrap",
        "INPUT_WORKING-DIRECTORY": str(workspace),
        "INPUT_VERIFY-TIMEOUT-SECONDS": "3",
    }
    env |= {f"INPUT_{k.upper().replace('_', '-')}": v for k, v in inputs.items()}
    out = io.StringIO()
    code = main([], environ=env, stdout=out, stderr=io.StringIO())
    outputs = parse_github_output(gha_files["GITHUB_OUTPUT"].read_text())
    return code, out.getvalue(), outputs, gha_files["GITHUB_STEP_SUMMARY"].read_text()


def test_failed_verification_moves_live_back_to_the_previous_version(
    gha_files, tmp_path, moto, aws
):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    with serve_mcp(tools=("greet",)) as good:
        code, _, first, _ = deploy(gha_files, workspace, moto.url, b"v1", verify_url=good.url)
    assert code == 0, first
    assert first["verified"] == "true" and first["version"] == "1"

    with serve_static("<h1>502 Bad Gateway</h1>", status=200) as broken:
        code, out, second, summary = deploy(
            gha_files, workspace, moto.url, b"v2", verify_url=broken.url
        )
    assert code == 1
    assert second["version"] == "2" and second["previous-version"] == "1"
    assert second["verified"] == "false" and second["rolled-back"] == "true"
    alias = aws("lambda").get_alias(FunctionName="rollback-demo", Name="live")
    assert alias["FunctionVersion"] == "1"
    assert "Version 1 serves again" in summary
    assert "::error title=Verification failed::" in out
    printed = [line for line in out.splitlines() if not line.startswith("::add-mask::")]
    assert SECRET_KEY not in "\n".join(printed) + summary + "".join(second.values())
