"""One MCP session: initialize → notifications/initialized → tools/list."""

from __future__ import annotations

import json
from typing import Any

from .outcome import AttemptFailed, Listing, Sent
from .protocol import LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS, initialize_payload
from .response import excerpt
from .transport import Transport

__all__ = ["MAX_PAGES", "Session"]

#: tools/list pages followed before giving up on a server that never ends.
MAX_PAGES = 200


class Session:
    """One initialize → tools/list conversation; never retries on its own."""

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
                f"speak (it offered {LATEST_PROTOCOL_VERSION} and accepts "
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
        tools = self.list_tools() if has_tools else ()
        return Listing(listing_name, listing_version, version, tools, has_tools)

    def list_tools(self) -> tuple[str, ...]:
        transport = self.transport
        names: list[str] = []
        cursor: str | None = None
        seen: set[str] = set()
        for _page in range(MAX_PAGES):
            params: dict[str, Any] = {} if cursor is None else {"cursor": cursor}
            result = transport.request("tools/list", params)
            sent = Sent("POST", transport.url, "tools/list")
            tools = result.get("tools")
            if not isinstance(tools, list):
                raise AttemptFailed(
                    sent,
                    transport.last_got,
                    "the tools/list result has no tools array",
                    kind="invalid tools/list result",
                    after_initialize=True,
                )
            for tool in tools:
                if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
                    raise AttemptFailed(
                        sent,
                        transport.last_got,
                        f"a tools/list entry has no name: {excerpt(json.dumps(tool).encode())}",
                        kind="invalid tools/list result",
                        after_initialize=True,
                    )
                names.append(tool["name"])
            next_cursor = result.get("nextCursor")
            if next_cursor is None or next_cursor == "":
                return tuple(names)
            if not isinstance(next_cursor, str) or next_cursor in seen:
                raise AttemptFailed(
                    sent,
                    transport.last_got,
                    "the server's nextCursor is not a string or repeats an earlier one "
                    "(pagination would never end)",
                    kind="invalid tools/list pagination",
                    after_initialize=True,
                )
            seen.add(next_cursor)
            cursor = next_cursor
        raise AttemptFailed(
            Sent("POST", transport.url, "tools/list"),
            f"{MAX_PAGES} pages, {len(names)} tools so far",
            f"tools/list was still paginating after {MAX_PAGES} pages",
            kind="invalid tools/list pagination",
            after_initialize=True,
        )
