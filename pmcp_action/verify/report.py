"""What a verification reports: the fields of a result, failure details, curl lines."""

from __future__ import annotations

import json
import shlex
from collections import Counter
from typing import Any

from ..result import VerificationStatus
from .negotiation import fallback_reason
from .options import VerifyOptions
from .outcome import AttemptFailed, Listing, Protected
from .protocol import (
    ACCEPT,
    DISCOVER,
    LATEST_PROTOCOL_VERSION,
    discover_payload,
    initialize_payload,
    stateless_headers,
    stateless_params,
)
from .response import auth_param

__all__ = [
    "MAX_NAMES_SHOWN",
    "NEEDS_CREDENTIALS",
    "curl_command",
    "failure_detail",
    "listing_fields",
    "protected_fields",
]

#: Names listed in a report before "and N more".
MAX_NAMES_SHOWN = 40


def _names(names: tuple[str, ...] | list[str]) -> str:
    if not names:
        return "(none)"
    shown = ", ".join(names[:MAX_NAMES_SHOWN])
    if len(names) > MAX_NAMES_SHOWN:
        shown += f" and {len(names) - MAX_NAMES_SHOWN} more"
    return shown


def curl_command(
    url: str, payload: dict[str, Any], *, token: bool, extra_headers: tuple[str, ...] = ()
) -> str:
    """A ready curl line that POSTs ``payload``; a token appears only as ``$TOKEN``."""
    parts = ["curl -sS -X POST", shlex.quote(url)]
    parts.append("-H 'Content-Type: application/json'")
    parts.append(f"-H '{'Accept: ' + ACCEPT}'")
    parts.extend(extra_headers)
    if token:
        parts.append('-H "Authorization: Bearer $TOKEN"')
    parts.append("-d " + shlex.quote(json.dumps(payload, separators=(",", ":"))))
    return " ".join(parts)


def _header_flags(headers: dict[str, str]) -> tuple[str, ...]:
    return tuple(f"-H {shlex.quote(f'{name}: {value}')}" for name, value in headers.items())


def _reproduce(failure: AttemptFailed, token: bool, url: str) -> list[str]:
    """curl lines that replay the failed conversation up to the failed request."""
    version = failure.stateless_version
    if version:
        lines = [
            "Reproduce: "
            + curl_command(
                url,
                discover_payload(version),
                token=token,
                extra_headers=_header_flags(stateless_headers(version, DISCOVER)),
            )
        ]
        if failure.after_initialize:
            followup = {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/list",
                "params": stateless_params(version),
            }
            lines.append(
                "then (each request stands alone; no session): "
                + curl_command(
                    url,
                    followup,
                    token=token,
                    extra_headers=_header_flags(stateless_headers(version, "tools/list")),
                )
            )
        return lines
    lines = ["Reproduce: " + curl_command(url, initialize_payload(), token=token)]
    if failure.after_initialize:
        followup = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}
        negotiated = failure.protocol_version or LATEST_PROTOCOL_VERSION
        lines.append(
            "then, with the Mcp-Session-Id header of that answer (if any): "
            + curl_command(
                url,
                followup,
                token=token,
                extra_headers=(
                    '-H "Mcp-Session-Id: $SESSION_ID"',
                    f"-H 'MCP-Protocol-Version: {negotiated}'",
                ),
            )
        )
    return lines


def listing_fields(
    listing: Listing, options: VerifyOptions, attempts: int, seconds: float
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "server_name": listing.server_name,
        "server_version": listing.server_version,
        "protocol_version": listing.protocol_version,
        "tools": listing.tools,
    }
    tried = f"{attempts} attempt{'s' if attempts != 1 else ''} in {seconds:.1f} s"
    server = f"{listing.server_name} {listing.server_version}".strip() or "The server"
    missing = [name for name in options.required_tools if name not in listing.tools]
    if missing:
        detail = (
            f"{server} at {options.url} answered MCP (protocol {listing.protocol_version}) "
            f"but lacks required tool{'s' if len(missing) != 1 else ''}: {_names(missing)}. "
            f"It lists {len(listing.tools)}: {_names(listing.tools)}."
        )
        if not listing.has_tools_capability:
            detail += " (It declares no tools capability, so tools/list was not called.)"
        return {**fields, "status": VerificationStatus.FAILED, "detail": detail}
    detail = (
        f"{server} at {options.url}: {listing.opened_with} and tools/list OK "
        f"(protocol {listing.protocol_version}, {len(listing.tools)} "
        f"tool{'s' if len(listing.tools) != 1 else ''}; {tried})."
    )
    if not listing.has_tools_capability:
        detail += " The server declares no tools capability; tools/list was not called."
    if listing.probe_fallback:
        detail += (
            f" The 2026-07-28 probe ({DISCOVER}) got {listing.probe_fallback}, so the "
            "initialize handshake was used."
        )
    return {**fields, "status": VerificationStatus.VERIFIED, "detail": detail}


def protected_fields(
    protected: Protected, options: VerifyOptions, *, authorized: bool = False
) -> dict[str, Any]:
    """A server that demanded authorization: skipped, or failed under ``verify: strict`` or
    when the token client credentials got (``authorized``) was refused too."""
    challenge = protected.www_authenticate
    metadata = auth_param(challenge, "resource_metadata") if challenge else ""
    lines: list[str] = []
    if authorized:
        lines.append(
            f"The server at {options.url} refused the token the client credentials got "
            f"(HTTP {protected.status}); tools/list was not checked."
        )
    elif options.bearer_token:
        lines.append(
            f"The server at {options.url} rejected the verify-bearer-token "
            f"(HTTP {protected.status}); tools/list was not checked."
        )
    else:
        lines.append(
            f"The server at {options.url} is protected (HTTP {protected.status}"
            + (", WWW-Authenticate" if challenge else "")
            + "); tools/list was not checked."
        )
    if (options.bearer_token or authorized) and challenge:
        error = auth_param(challenge, "error")
        if error:
            lines.append(f"Its error: {error}.")
    if challenge:
        lines.append(f"WWW-Authenticate: {challenge}")
    if metadata:
        lines.append(f"OAuth protected-resource metadata: {metadata}")
    lines.append(f"Sent: {protected.sent.describe()}")
    lines.append(f"Got: {protected.got}")
    failed = options.strict or authorized
    if options.strict:
        lines.append("verify is strict, so a protected server fails verification.")
    if authorized:
        lines.append(
            "Check verify-oauth-scope: the authorization server issued a token this server "
            "does not accept (a scope or audience it does not grant)."
        )
    elif options.bearer_token:
        lines.append("Give a valid token in verify-bearer-token to verify this server.")
    else:
        lines.append(NEEDS_CREDENTIALS)
    return {
        "status": VerificationStatus.FAILED if failed else VerificationStatus.SKIPPED,
        "protection": "protected",
        "detail": "\n".join(lines),
    }


#: What a protected server needs to be verified, said when none of it was given.
NEEDS_CREDENTIALS = (
    "To verify it, give verify-oauth-client-id and verify-oauth-client-secret (a "
    "client-credentials grant at the authorization server its OAuth metadata names; "
    "verify-oauth-scope if it needs one), or a token in verify-bearer-token; verify: strict "
    "fails a protected server that is not verified."
)


def failure_detail(
    failure: AttemptFailed,
    options: VerifyOptions,
    kinds: list[str],
    attempts: int,
    seconds: float,
    *,
    probe: AttemptFailed | None = None,
    token: bool | None = None,
) -> str:
    """What was sent, what came back, what else failed, and curl lines to replay it.

    ``kinds`` holds the kind of every request that failed; ``probe`` is the
    ``server/discover`` answer that sent the verification to the handshake.
    """
    tried = f"{attempts} attempt{'s' if attempts != 1 else ''} in {seconds:.1f} s"
    if failure.final:
        head = f"MCP verification of {options.url} failed ({tried})."
    else:
        head = (
            f"MCP verification of {options.url} failed: no working answer within "
            f"{options.timeout_seconds:.0f} s ({tried})."
        )
    lines = [head]
    if failure.problem:
        lines.append(f"Problem: {failure.problem}")
    lines.append(f"Sent: {failure.sent.describe()}")
    lines.append(f"Got: {failure.got}")
    if probe is not None and not failure.stateless_version:
        lines.append(
            f"Before it: {probe.sent.describe()} at {probe.stateless_version} got "
            f"{fallback_reason(probe)} ({probe.got}), so the initialize handshake was used."
        )
    if len(kinds) > 1:
        counts = Counter(kinds)
        lines.append("Failed requests: " + ", ".join(f"{n}× {kind}" for kind, n in counts.items()))
    sent_token = bool(options.bearer_token) if token is None else token
    lines.extend(_reproduce(failure, sent_token, options.url))
    return "\n".join(lines)
