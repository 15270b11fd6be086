"""verify.report: what a verification reports: the curl lines that reproduce a failure,
missing required tools, servers protected by OAuth."""

from __future__ import annotations

import shutil
import subprocess

import httpx
import pytest

from pmcp_action.http import HttpClientFactory
from pmcp_action.verify import (
    curl_command,
    discover_payload,
    initialize_payload,
)
from tests.fakes.mcp_servers import (
    DEFAULT_TOOLS,
    RecordedRequest,
    Reply,
    RunningServer,
    serve_handler,
    spec_handler,
)

from .helpers import TOKEN, FakeTime, run_verify, since


def test_2026_failure_after_discover_gives_stateless_curl_lines(
    http: HttpClientFactory, sse_server: RunningServer
) -> None:
    def handle(request: RecordedRequest) -> Reply:
        if request.rpc_method == "tools/list":
            return 500, {"Content-Type": "text/plain"}, "Internal Server Error"
        forwarded = {k: v for k, v in request.headers.items() if k.startswith(("mcp-", "accept"))}
        forwarded["content-type"] = "application/json"
        answer = httpx.post(sse_server.url, content=request.body, headers=forwarded)
        return answer.status_code, {"Content-Type": answer.headers["content-type"]}, answer.content

    fake = FakeTime()
    with serve_handler(handle) as server:
        result, _ = run_verify(http, server.url, timeout_seconds=4, fake=fake)
        methods = [r.rpc_method for r in server.requests]
    assert result.status == "false"
    assert set(methods) == {"server/discover", "tools/list"}  # no fallback once discover worked
    detail = result.detail
    assert f"Sent: POST {server.url} (JSON-RPC tools/list)" in detail
    assert "HTTP 500, Content-Type text/plain" in detail
    lines = detail.splitlines()
    reproduce = [line for line in lines if line.startswith("Reproduce: ")][0]
    routing = ("-H 'MCP-Protocol-Version: 2026-07-28'", "-H 'Mcp-Method: server/discover'")
    assert reproduce == "Reproduce: " + curl_command(
        server.url, discover_payload(), token=False, extra_headers=routing
    )
    then = [line for line in lines if line.startswith("then ")][0]
    assert "-H 'Mcp-Method: tools/list'" in then
    assert '"method":"tools/list"' in then
    assert "io.modelcontextprotocol/protocolVersion" in then
    assert "Mcp-Session-Id" not in detail


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_curl_line_reproduces_discover(http: HttpClientFactory, sse_server: RunningServer) -> None:
    # The curl line of a failed probe (a server still starting), run against a working server.
    fake = FakeTime()
    with serve_handler(lambda _r: (503, {"Content-Type": "text/plain"}, "starting")) as cold:
        cold_result, _ = run_verify(http, cold.url, timeout_seconds=1, fake=fake)
    line = [x for x in cold_result.detail.splitlines() if x.startswith("Reproduce: ")][0]
    command = line.removeprefix("Reproduce: ").replace(cold.url, sse_server.url)
    done = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=20, check=False
    )
    assert done.returncode == 0, done.stderr
    assert '"supportedVersions":["2026-07-28"]' in done.stdout
    assert '"io.modelcontextprotocol/serverInfo":{"name":"fake-mcp"' in done.stdout


def test_required_tools_present(http: HttpClientFactory, json_server: RunningServer) -> None:
    result, _ = run_verify(http, json_server.url, required_tools=("add", "echo"))
    assert result.status == "true", result.detail


def test_required_tools_missing(http: HttpClientFactory, json_server: RunningServer) -> None:
    result, _ = run_verify(http, json_server.url, required_tools=("echo", "deploy", "rollback"))
    assert result.status == "false"
    assert result.tools == DEFAULT_TOOLS  # what the server did list is still reported
    assert result.tool_count == ""
    assert "deploy, rollback" in result.detail
    assert "echo, add, get_time" in result.detail


def test_protected_without_token_is_skipped(
    http: HttpClientFactory, protected_server: RunningServer
) -> None:
    start = len(protected_server.requests)
    result, _ = run_verify(http, protected_server.url)

    assert result.status == "skipped"
    assert result.protection == "protected"
    assert result.tools == ()
    metadata = f"http://127.0.0.1:{protected_server.port}/.well-known/oauth-protected-resource/mcp"
    assert metadata in result.detail
    assert "HTTP 401" in result.detail
    assert len(since(protected_server, start)) == 1  # no retrying a clear answer


def test_protected_with_token_is_verified(
    http: HttpClientFactory, protected_server: RunningServer
) -> None:
    start = len(protected_server.requests)
    result, logs = run_verify(http, protected_server.url, bearer_token=TOKEN)

    assert result.status == "true", result.detail
    assert result.tools == DEFAULT_TOOLS
    assert result.protection == ""
    seen = since(protected_server, start)
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in seen)
    assert TOKEN not in result.detail
    assert not any(TOKEN in line for line in logs)


def test_protected_in_strict_mode_fails(
    http: HttpClientFactory, protected_server: RunningServer
) -> None:
    result, _ = run_verify(http, protected_server.url, strict=True)
    assert result.status == "false"
    assert result.protection == "protected"
    assert "strict" in result.detail


def test_protected_with_rejected_token(
    http: HttpClientFactory, protected_server: RunningServer
) -> None:
    result, logs = run_verify(http, protected_server.url, bearer_token="wrong-" + TOKEN)
    assert result.status == "skipped"
    assert result.protection == "protected"
    assert "rejected the verify-bearer-token" in result.detail
    assert "invalid_token" in result.detail
    assert TOKEN not in result.detail
    strict, _ = run_verify(http, protected_server.url, bearer_token="wrong-" + TOKEN, strict=True)
    assert strict.status == "false"


def test_failure_after_initialize_gives_a_tools_list_curl(http: HttpClientFactory) -> None:
    def handle(request: RecordedRequest) -> Reply:
        if request.rpc_method == "tools/list":
            return 500, {"Content-Type": "text/plain"}, "Internal Server Error"
        return spec_handler(session_id="abc123")(request)

    fake = FakeTime()
    with serve_handler(handle) as server:
        result, _ = run_verify(http, server.url, timeout_seconds=4, fake=fake)
        deletes = [r for r in server.requests if r.method == "DELETE"]
    assert result.status == "false"
    assert f"Sent: POST {server.url} (JSON-RPC tools/list)" in result.detail
    assert "HTTP 500, Content-Type text/plain" in result.detail
    assert '-H "Mcp-Session-Id: $SESSION_ID"' in result.detail
    assert '"method":"tools/list"' in result.detail
    assert deletes and all(r.headers["mcp-session-id"] == "abc123" for r in deletes)


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_curl_line_reproduces_initialize(sse_server: RunningServer) -> None:
    command = curl_command(sse_server.url, initialize_payload(), token=False)
    done = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=20, check=False
    )
    assert done.returncode == 0, done.stderr
    assert '"serverInfo":{"name":"fake-mcp"' in done.stdout
