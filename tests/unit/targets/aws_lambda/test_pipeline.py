"""Whole runs through ``main``: a failed MCP verification puts alias ``live`` back and
shows what the new version logged; the logs command (moto + real MCP servers)."""

from __future__ import annotations

import io
from pathlib import Path

from pmcp_action.__main__ import main
from tests.fakes.mcp_servers import serve_mcp, serve_static
from tests.support.aws import REGION, elf_bootstrap
from tests.support.github import parse_github_output

from .helpers import write_log_lines

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


def test_a_failed_verification_shows_what_the_new_version_logged(gha_files, tmp_path, moto, aws):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    with serve_mcp(tools=("greet",)) as good:
        assert deploy(gha_files, workspace, moto.url, b"v1", verify_url=good.url)[0] == 0
    write_log_lines(aws, "rollback-demo", "1", ["version 1 is fine"])
    write_log_lines(
        aws,
        "rollback-demo",
        "2",
        [
            "INIT_START Runtime Version: provided:al2023",
            f"thread 'main' panicked: missing API_KEY (key {SECRET_KEY})",
            "END RequestId: 1234",
        ],
    )

    with serve_static("<h1>502 Bad Gateway</h1>", status=200) as broken:
        code, _, _, summary = deploy(gha_files, workspace, moto.url, b"v2", verify_url=broken.url)

    assert code == 1
    assert (
        "<details><summary>Server log: last 3 lines (CloudWatch Logs "
        "/aws/lambda/rollback-demo, version 2)</summary>"
    ) in summary
    assert "thread 'main' panicked: missing API_KEY (key ***)" in summary
    assert "version 1 is fine" not in summary
    assert SECRET_KEY not in summary
    report = __import__("json").loads(
        (gha_files["RUNNER_TEMP"] / "pmcp-deploy-report.json").read_text()
    )
    assert report["logs"]["lines"][0] == "INIT_START Runtime Version: provided:al2023"
    assert SECRET_KEY not in str(report)


def test_the_logs_command_prints_what_the_serving_version_logged(gha_files, tmp_path, moto, aws):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    with serve_mcp(tools=("greet",)) as good:
        assert deploy(gha_files, workspace, moto.url, b"v1", verify_url=good.url)[0] == 0
    write_log_lines(
        aws, "rollback-demo", "1", ["listening on the runtime API", "tools/list answered"]
    )

    code, out, outputs, summary = deploy(gha_files, workspace, moto.url, b"v1", command="logs")

    assert code == 0, out
    assert outputs["status"] == "success" and outputs["command"] == "logs"
    assert "## pmcp deploy — 📜 Server logs" in summary
    assert "  listening on the runtime API" in out and "  tools/list answered" in out
    assert "CloudWatch Logs /aws/lambda/rollback-demo, version 1:" in out


PRICE_SCENARIO = """\
name: Price an apple
steps:
  - name: price
    operation: {type: tool_call, tool: price, arguments: {item: apple, quantity: 2}}
    assertions:
      - {type: equals, path: parsed.total, value: 3.0}
"""


def test_a_failing_scenario_on_the_live_version_puts_the_previous_one_back(
    gha_files, tmp_path, moto, aws
):
    from tests.fakes.mcp_servers import serve_shop_mcp
    from tests.fakes.rust_mcp import rustc_problem, serve_standin

    if rustc_problem():
        import pytest

        pytest.skip(str(rustc_problem()))
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "price.yaml").write_text(PRICE_SCENARIO)
    with serve_shop_mcp(json_response=True) as shop:
        code, _, first, _ = deploy(
            gha_files,
            workspace,
            moto.url,
            b"v1",
            verify_url=shop.url,
            verify_scenarios="price.yaml",
        )
    assert code == 0, first
    assert first["scenarios-passed"] == "1" and first["version"] == "1"

    with serve_standin() as standin:  # the new version: a Rust server without the price tool
        code, out, second, summary = deploy(
            gha_files, workspace, moto.url, b"v2", verify_url=standin, verify_scenarios="price.yaml"
        )
    assert code == 1, out
    assert second["version"] == "2" and second["rolled-back"] == "true"
    assert second["scenarios-failed"] == "1" and second["verified"] == "false"
    alias = aws("lambda").get_alias(FunctionName="rollback-demo", Name="live")
    assert alias["FunctionVersion"] == "1"
    assert "Version 1 serves again" in summary
    assert "scenario 'Price an apple' (price.yaml), steps step 'price' (tool_call price)" in summary
    assert "JSON-RPC error -32601: unknown" in summary


def test_an_oauth_protected_server_is_verified_with_client_credentials(
    gha_files, tmp_path, moto, aws
):
    import base64

    from tests.fakes.oauth_server import FakeAuthorizationServer, serve_protected_mcp

    client_secret = "cc-secret-5e0a9f3b71"
    issuer = FakeAuthorizationServer()
    issuer.clients["ci-verifier"] = client_secret
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "whoami.yaml").write_text(
        "name: Who am I\nsteps:\n  - name: whoami\n    operation: {type: tool_call, tool: whoami}\n"
        "    assertions:\n      - {type: equals, path: result, value: protected}\n"
    )
    with serve_protected_mcp(issuer) as protected:
        code, out, outputs, summary = deploy(
            gha_files,
            workspace,
            moto.url,
            b"v1",
            verify_url=protected.mcp.url,
            verify_oauth_client_id="ci-verifier",
            verify_oauth_client_secret=client_secret,
            verify_oauth_scope="mcp.read",
            verify_scenarios="whoami.yaml",
            verify_checks="conformance",
        )
        # Without credentials the run says what it needs, and does not fail.
        for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
            gha_files[name].write_text("")
        plain_code, plain_out, plain, _ = deploy(
            gha_files, workspace, moto.url, b"v1", verify_url=protected.mcp.url
        )
    assert code == 0, out
    assert outputs["verified"] == "true" and outputs["scenarios-passed"] == "1"
    assert outputs["mcp-server-name"] == "protected-mcp"
    (token,) = issuer.issued
    assert issuer.issued[token]["scope"] == "mcp.read"
    report = (gha_files["RUNNER_TEMP"] / "pmcp-deploy-report.json").read_text()
    printed = "\n".join(line for line in out.splitlines() if not line.startswith("::add-mask::"))
    everything = printed + summary + report + "".join(outputs.values())
    for secret in (client_secret, token, SECRET_KEY):
        assert secret not in everything
        assert base64.b64encode(secret.encode()).decode() not in everything
    assert plain_code == 0 and plain["verified"] == "skipped"
    assert "verify-oauth-client-id and verify-oauth-client-secret" in plain_out
