"""verify.protocol: the versions and envelope match the installed SDK; JSON-RPC answers that
are not MCP, and protocol versions this client does not speak, are named."""

from __future__ import annotations

import pytest

from pmcp_action.http import HttpClientFactory
from pmcp_action.verify import (
    LATEST_PROTOCOL_VERSION,
    LATEST_STATELESS_VERSION,
    STATELESS_PROTOCOL_VERSIONS,
    SUPPORTED_PROTOCOL_VERSIONS,
    discover_payload,
    initialize_payload,
)
from tests.fakes.mcp_servers import (
    serve_handler,
    serve_static,
    spec_handler,
)

from .helpers import FakeTime, run_verify


def test_protocol_versions_match_the_installed_sdk() -> None:
    from mcp_types.version import (
        HANDSHAKE_PROTOCOL_VERSIONS,
        LATEST_HANDSHAKE_VERSION,
        MODERN_PROTOCOL_VERSIONS,
    )

    assert SUPPORTED_PROTOCOL_VERSIONS == tuple(reversed(HANDSHAKE_PROTOCOL_VERSIONS))
    assert LATEST_PROTOCOL_VERSION == LATEST_HANDSHAKE_VERSION
    assert STATELESS_PROTOCOL_VERSIONS == MODERN_PROTOCOL_VERSIONS
    assert initialize_payload()["params"]["protocolVersion"] == LATEST_PROTOCOL_VERSION


def test_stateless_envelope_matches_the_installed_sdk() -> None:
    import mcp_types
    from mcp.client.session import DISCOVER_TIMEOUT_SECONDS
    from mcp_types.version import LATEST_MODERN_VERSION

    from pmcp_action.verify import protocol
    from pmcp_action.verify.session import PROBE_TIMEOUT

    assert LATEST_STATELESS_VERSION == LATEST_MODERN_VERSION
    assert protocol.PROTOCOL_VERSION_META_KEY == mcp_types.PROTOCOL_VERSION_META_KEY
    assert protocol.CLIENT_INFO_META_KEY == mcp_types.CLIENT_INFO_META_KEY
    assert protocol.CLIENT_CAPABILITIES_META_KEY == mcp_types.CLIENT_CAPABILITIES_META_KEY
    assert protocol.SERVER_INFO_META_KEY == mcp_types.SERVER_INFO_META_KEY
    assert protocol.UNSUPPORTED_PROTOCOL_VERSION == mcp_types.UNSUPPORTED_PROTOCOL_VERSION
    assert PROBE_TIMEOUT == DISCOVER_TIMEOUT_SECONDS
    # The probe is a request the SDK itself accepts as a 2026-07-28 discover.
    mcp_types.DiscoverRequest.model_validate(discover_payload())


def test_older_protocol_version_is_accepted(http: HttpClientFactory) -> None:
    with serve_handler(spec_handler(protocol_version="2024-11-05")) as server:
        result, _ = run_verify(http, server.url)
        listed = server.rpc("tools/list")
    assert result.status == "true", result.detail
    assert result.protocol_version == "2024-11-05"
    assert listed[0].headers["mcp-protocol-version"] == "2024-11-05"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ('{"hello": "world"}', "no JSON-RPC response with id 1"),
        ("{not json", "not valid JSON"),
        ('{"id": 1, "result": {}}', '"jsonrpc": "2.0"'),
        ('{"jsonrpc": "2.0", "id": 1, "result": {"protocolVersion": 5}}', "lacks protocolVersion"),
        (
            '{"jsonrpc": "2.0", "id": 1, "error": {"code": -32603, "message": "boom"}}',
            "JSON-RPC error -32603: boom",
        ),
    ],
)
def test_wrong_json_rpc_is_reported(http: HttpClientFactory, body: str, problem: str) -> None:
    fake = FakeTime()
    with serve_static(body, content_type="application/json") as server:
        result, _ = run_verify(http, server.url, timeout_seconds=5, fake=fake)
    assert result.status == "false"
    assert problem in result.detail
    assert "Content-Type application/json" in result.detail
    assert len(fake.sleeps) >= 1  # retried until the deadline


def test_unknown_protocol_version_fails_at_once(http: HttpClientFactory) -> None:
    fake = FakeTime()
    with serve_handler(spec_handler(protocol_version="2099-01-01")) as server:
        result, _ = run_verify(http, server.url, fake=fake)
    assert result.status == "false"
    assert fake.sleeps == []
    assert "'2099-01-01'" in result.detail
    assert LATEST_PROTOCOL_VERSION in result.detail


def test_a_2026_era_call_that_names_its_target_carries_mcp_name() -> None:
    from pmcp_action.verify.protocol import header_value, stateless_headers

    version = "2026-07-28"
    assert stateless_headers(version, "tools/list", {}) == {
        "MCP-Protocol-Version": version,
        "Mcp-Method": "tools/list",
    }
    assert stateless_headers(version, "tools/call", {"name": "price"})["Mcp-Name"] == "price"
    assert stateless_headers(version, "resources/read", {"uri": "shop://x"})["Mcp-Name"] == (
        "shop://x"
    )
    # Not plain visible ASCII, or looking like the sentinel: base64 in the sentinel.
    assert header_value("café") == "=?base64?Y2Fmw6k=?="
    assert header_value(" padded") == "=?base64?IHBhZGRlZA==?="
    assert header_value("=?base64?x?=") == "=?base64?PT9iYXNlNjQ/eD89?="
