"""Prove that a deployed MCP server works by speaking MCP to it.

A small client for the MCP streamable HTTP transport, built on the action's
own httpx client (see ``benchmarks/verify_client.md`` for why not the ``mcp``
SDK's client). It speaks the newest era the server supports, as the SDK
client's ``mode="auto"`` does: first the 2026-07-28 revision (``server/discover``
→ ``tools/list``, each one self-contained POST with the ``_meta`` envelope and
``MCP-Protocol-Version`` / ``Mcp-Method`` headers), else the handshake
(``initialize`` → ``notifications/initialized`` → ``tools/list``, with
``Mcp-Session-Id`` echoed back and ``MCP-Protocol-Version`` sent after it).
``tools/list`` follows ``nextCursor``; answers may be JSON or SSE
(``text/event-stream``). A fresh conversation is opened per attempt; attempts
repeat with backoff until the verification deadline, because a freshly
deployed server is often still cold (connection refused, 502/503/504, 429, a
proxy's HTML page).

:func:`verify_server` never raises for anything the server does: it returns a
:class:`~pmcp_action.result.Verification` whose ``detail`` says what was sent,
what came back and how to reproduce it with curl.

Modules, one responsibility each:

- :mod:`.options` — :class:`VerifyOptions`, what to verify;
- :mod:`.protocol` — protocol versions, the client's payloads, JSON-RPC errors;
- :mod:`.sse` — the ``text/event-stream`` parser;
- :mod:`.response` — reading an HTTP response's headers and quoting its body;
- :mod:`.outcome` — what one attempt ends with (listing, failure, protection);
- :mod:`.transport` — JSON-RPC requests over streamable HTTP;
- :mod:`.session` — one conversation: initialize → tools/list, or
  server/discover → tools/list;
- :mod:`.negotiation` — which era to speak, probe first, fallback to the handshake;
- :mod:`.report` — the result's fields, failure details and curl lines;
- :mod:`.timings` — the round trips, their median and longest, and the cold start;
- :mod:`.conversation` — an open conversation for the calls beyond tools/list;
- :mod:`.conformance` — the conformance check's rules;
- :mod:`.apps` — the apps check: the UI resources tools name;
- :mod:`.oauth` — a token by client credentials (RFC 9728, RFC 8414);
- :mod:`.checks` — every check a run asks for, over one verified server;
- this module — the retry loop within the deadline.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from ..deadline import Deadline
from ..errors import PmcpActionError
from ..http import HttpClientFactory, RetryPolicy
from ..redact import Redactor
from ..result import Verification, VerificationStatus
from ..urls import endpoint_problem
from .negotiation import Negotiation
from .options import VerifyOptions
from .outcome import AttemptFailed, Protected
from .protocol import (
    CLIENT_CAPABILITIES,
    LATEST_PROTOCOL_VERSION,
    LATEST_STATELESS_VERSION,
    STATELESS_PROTOCOL_VERSIONS,
    SUPPORTED_PROTOCOL_VERSIONS,
    discover_payload,
    initialize_payload,
)
from .report import curl_command, failure_detail, listing_fields, protected_fields
from .timings import RoundTrips
from .transport import REQUEST_TIMEOUT, Transport

__all__ = [
    "CLIENT_CAPABILITIES",
    "LATEST_PROTOCOL_VERSION",
    "LATEST_STATELESS_VERSION",
    "STATELESS_PROTOCOL_VERSIONS",
    "SUPPORTED_PROTOCOL_VERSIONS",
    "VerifyOptions",
    "curl_command",
    "discover_payload",
    "initialize_payload",
    "verify_server",
]

FIRST_RETRY_DELAY = 1.0
MAX_RETRY_DELAY = 10.0


def verify_server(
    options: VerifyOptions,
    *,
    http: HttpClientFactory,
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = lambda _m: None,
    clock: Callable[[], float] = time.monotonic,
    trips: RoundTrips | None = None,
) -> Verification:
    """Speak MCP to ``options.url`` until it proves itself or the deadline passes.

    Returns status "true" (server/discover or initialize, then tools/list
    worked and every required tool is listed), "false" (with a detail saying
    what was sent, what came back and a curl line to reproduce it) or
    "skipped" (protected by OAuth and no usable token; "false" in strict
    mode). Never raises for the server's behaviour. With ``options.authorize``, a demand
    for authorization is answered once with the token it gives; ``trips`` notes every
    round trip.
    """
    if options.timeout_seconds <= 0:
        raise ValueError("timeout_seconds must be positive")
    redactor = Redactor()
    if options.bearer_token:
        redactor.add(options.bearer_token)
    token = options.bearer_token
    authorized = False

    def say(message: str) -> None:
        log(redactor.redact(message))

    def done(**fields: Any) -> Verification:
        fields["detail"] = redactor.redact(str(fields.get("detail", "")))
        return Verification(url=options.url, **fields)

    problem = endpoint_problem(options.url, "verify URL")
    if problem is not None:
        return done(status=VerificationStatus.FAILED, detail=f"Cannot verify: {problem.render()}.")

    deadline = Deadline(options.timeout_seconds, clock=clock)
    started = clock()
    #: The kind of every request that failed (a probe that led to the handshake included).
    kinds: list[str] = []
    attempts = 0
    failure: AttemptFailed | None = None
    delay = FIRST_RETRY_DELAY
    say(f"MCP verify: {options.url} (deadline {options.timeout_seconds:.0f} s)")
    with http(timeout=REQUEST_TIMEOUT, policy=RetryPolicy(attempts=1)) as client:

        def transport() -> Transport:
            return Transport(
                client,
                options.url,
                token=token,
                budget=deadline.remaining,
                clock=clock,
                log=say,
                trips=trips,
            )

        negotiation = Negotiation(transport, say)

        def pause(why: str, at_least: float | None = None) -> None:
            """Sleep the jittered backoff (or ``at_least``), within the deadline, then double it."""
            nonlocal delay
            wait = delay * random.uniform(0.8, 1.0)
            if at_least is not None:
                wait = max(wait, at_least)
            wait = min(wait, deadline.remaining())
            say(f"MCP verify: attempt {attempts}: {why}; retrying in {wait:.1f} s")
            sleep(wait)
            delay = min(delay * 2, MAX_RETRY_DELAY)

        while True:
            attempts += 1
            try:
                listing = negotiation.attempt()
            except Protected as protected:
                if options.authorize is not None and not authorized and protected.status == 401:
                    authorized = True
                    say(f"MCP verify: HTTP 401; asking for a token ({protected.www_authenticate})")
                    try:
                        token = options.authorize(protected.www_authenticate)
                    except PmcpActionError as exc:
                        return done(
                            status=VerificationStatus.FAILED,
                            protection="protected",
                            detail=f"{exc.message}\nHow to fix: {exc.remediation}",
                        )
                    redactor.add(token)
                    continue
                if options.access_settling and not deadline.expired:
                    # Not an answer yet: the grant that opens the server may still be spreading.
                    pause(f"HTTP {protected.status}, not yet ({options.access_settling})")
                    continue
                fields = protected_fields(protected, options, authorized=authorized)
                if options.access_settling:
                    fields["detail"] += (
                        f"\nIt still answered HTTP {protected.status} after "
                        f"{clock() - started:.0f} s, although {options.access_settling}: the "
                        "grant has not taken effect, or something else (an organization "
                        "policy, ingress settings) keeps the server closed."
                    )
                return done(**fields)
            except AttemptFailed as exc:
                failure = exc
                kinds.extend(negotiation.fell_back)
                kinds.append(exc.kind)
                if exc.final or deadline.expired:
                    break
                pause(f"{exc.sent.describe()}: {exc.problem or exc.got}", exc.retry_after)
                continue
            return done(**listing_fields(listing, options, attempts, clock() - started))
    assert failure is not None
    detail = failure_detail(
        failure,
        options,
        kinds,
        attempts,
        clock() - started,
        probe=negotiation.fallback,
        token=bool(token),
    )
    return done(status=VerificationStatus.FAILED, detail=detail)
