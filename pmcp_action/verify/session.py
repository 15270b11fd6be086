"""One MCP conversation in either era; neither retries on its own.

- :class:`HandshakeSession`: initialize → notifications/initialized →
  tools/list (→ DELETE of the session, when the server opened one);
- :class:`StatelessSession`: the 2026-07-28 era's server/discover → tools/list,
  each a self-contained POST carrying the ``_meta`` envelope.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .outcome import AttemptFailed, Listing, Sent
from .protocol import (
    DISCOVER,
    LATEST_PROTOCOL_VERSION,
    SERVER_INFO_META_KEY,
    STATELESS_PROTOCOL_VERSIONS,
    SUPPORTED_PROTOCOL_VERSIONS,
    initialize_payload,
    stateless_params,
)
from .response import excerpt
from .transport import Transport

__all__ = [
    "MAX_PAGES",
    "PROBE_TIMEOUT",
    "HandshakeSession",
    "StatelessSession",
]

#: tools/list pages followed before giving up on a server that never ends.
MAX_PAGES = 200
#: Longest the server/discover probe may take (the SDK client's DISCOVER_TIMEOUT_SECONDS).
PROBE_TIMEOUT = 10.0


class HandshakeSession:
    """One initialize → tools/list conversation of the handshake era."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def run(self) -> Listing:
        try:
            return self._run()
        finally:
            self.transport.close()

    def _run(self) -> Listing:
        transport = self.transport
        init = transport.request("initialize", initialize_payload()["params"])
        sent = Sent("POST", transport.url, "initialize")
        version = init.get("protocolVersion")
        info = init.get("serverInfo")
        capabilities = init.get("capabilities")
        if not isinstance(version, str) or not isinstance(capabilities, dict):
            raise AttemptFailed(
                sent,
                transport.last_got,
                "the initialize result lacks protocolVersion (string) or capabilities (object)",
                kind="invalid initialize result",
            )
        if not isinstance(info, dict) or not isinstance(info.get("name"), str):
            raise AttemptFailed(
                sent,
                transport.last_got,
                "the initialize result lacks serverInfo.name",
                kind="invalid initialize result",
            )
        if version not in SUPPORTED_PROTOCOL_VERSIONS:
            raise AttemptFailed(
                sent,
                transport.last_got,
                f"the server chose protocol version {version!r}, which this verifier does not "
                f"speak through initialize (it offered {LATEST_PROTOCOL_VERSION} and accepts "
                f"{', '.join(SUPPORTED_PROTOCOL_VERSIONS)})",
                kind="unsupported protocol version",
                final=True,
            )
        transport.protocol_version = version
        transport.initialized = True
        server_version = info.get("version")
        listing_name = str(info["name"])
        listing_version = server_version if isinstance(server_version, str) else ""
        transport.log(
            f"MCP verify: initialize OK: {listing_name} {listing_version} (protocol {version}"
            + (", session" if transport.session_id else ", no session")
            + ")"
        )
        transport.notify("notifications/initialized")
        has_tools = capabilities.get("tools") is not None
        tools = list_tools(transport, lambda params: params) if has_tools else ()
        return Listing(listing_name, listing_version, version, tools, has_tools)


class StatelessSession:
    """server/discover → tools/list at a 2026-07-28-era version; no session, no initialize."""

    def __init__(self, transport: Transport, version: str) -> None:
        self.transport = transport
        self.version = version

    def run(self) -> Listing:
        transport = self.transport
        transport.stateless_version = self.version
        result = transport.request(DISCOVER, stateless_params(self.version), timeout=PROBE_TIMEOUT)
        sent = Sent("POST", transport.url, DISCOVER)
        supported = result.get("supportedVersions")
        capabilities = result.get("capabilities")
        if (
            not isinstance(supported, list)
            or not all(isinstance(v, str) for v in supported)
            or not isinstance(capabilities, dict)
        ):
            raise AttemptFailed(
                sent,
                transport.last_got,
                "the server/discover result lacks supportedVersions (array of strings) or "
                "capabilities (object)",
                kind="invalid server/discover result",
                stateless_version=self.version,
                status=transport.last_status,
            )
        mutual = [v for v in STATELESS_PROTOCOL_VERSIONS if v in supported]
        if not mutual:
            raise AttemptFailed(
                sent,
                transport.last_got,
                f"server/discover lists only {', '.join(supported) or '(no versions)'}, none of "
                f"the 2026-07-28-era versions this verifier speaks "
                f"({', '.join(STATELESS_PROTOCOL_VERSIONS)})",
                kind="no stateless version in server/discover",
                stateless_version=self.version,
                status=transport.last_status,
            )
        version = mutual[0]
        transport.stateless_version = version
        transport.initialized = True
        name, server_version = _server_info(result)
        transport.log(
            f"MCP verify: server/discover OK: {name or '(unnamed)'} {server_version} "
            f"(protocol {version}, single exchange)"
        )
        has_tools = capabilities.get("tools") is not None
        tools: tuple[str, ...] = ()
        if has_tools:
            pages: list[dict[str, Any]] = []

            def envelope(params: dict[str, Any]) -> dict[str, Any]:
                return stateless_params(version, params)

            tools = list_tools(transport, envelope, pages.append)
            if not name and pages:  # discover's serverInfo stamp is optional; results carry it too
                name, server_version = _server_info(pages[0])
        return Listing(name, server_version, version, tools, has_tools, opened_with=DISCOVER)


def _server_info(result: dict[str, Any]) -> tuple[str, str]:
    """The server's name and version from a 2026-07-28 result's ``_meta`` stamp, or ("", "")."""
    meta = result.get("_meta")
    info = meta.get(SERVER_INFO_META_KEY) if isinstance(meta, dict) else None
    if not isinstance(info, dict) or not isinstance(info.get("name"), str):
        return "", ""
    version = info.get("version")
    return info["name"], version if isinstance(version, str) else ""


def _page_failed(
    transport: Transport, problem: str, kind: str = "invalid tools/list result"
) -> AttemptFailed:
    return AttemptFailed(
        Sent("POST", transport.url, "tools/list"),
        transport.last_got,
        problem,
        kind=kind,
        after_initialize=True,
        stateless_version=transport.stateless_version,
        protocol_version=transport.protocol_version,
        status=transport.last_status,
    )


def list_tools(
    transport: Transport,
    wrap: Callable[[dict[str, Any]], dict[str, Any]],
    seen_page: Callable[[dict[str, Any]], None] = lambda _page: None,
) -> tuple[str, ...]:
    """Every tool name, following ``nextCursor``; ``wrap`` adds the era's envelope to params."""
    names: list[str] = []
    cursor: str | None = None
    seen: set[str] = set()
    for _page in range(MAX_PAGES):
        params: dict[str, Any] = {} if cursor is None else {"cursor": cursor}
        result = transport.request("tools/list", wrap(params))
        seen_page(result)
        result_type = result.get("resultType", "complete")
        if transport.stateless_version and result_type != "complete":
            raise _page_failed(
                transport, f"the tools/list result has resultType {result_type!r}, not 'complete'"
            )
        tools = result.get("tools")
        if not isinstance(tools, list):
            raise _page_failed(transport, "the tools/list result has no tools array")
        for tool in tools:
            if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
                raise _page_failed(
                    transport,
                    f"a tools/list entry has no name: {excerpt(json.dumps(tool).encode())}",
                )
            names.append(tool["name"])
        next_cursor = result.get("nextCursor")
        if next_cursor is None or next_cursor == "":
            return tuple(names)
        if not isinstance(next_cursor, str) or next_cursor in seen:
            raise _page_failed(
                transport,
                "the server's nextCursor is not a string or repeats an earlier one "
                "(pagination would never end)",
                "invalid tools/list pagination",
            )
        seen.add(next_cursor)
        cursor = next_cursor
    failed = _page_failed(
        transport,
        f"tools/list was still paginating after {MAX_PAGES} pages",
        "invalid tools/list pagination",
    )
    failed.got = f"{MAX_PAGES} pages, {len(names)} tools so far"
    raise failed
