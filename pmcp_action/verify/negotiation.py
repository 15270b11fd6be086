"""Which protocol era to speak: the newest the server supports.

Like the ``mcp`` SDK client's ``mode="auto"``, each attempt first probes the
2026-07-28 era with ``server/discover`` and falls back to the ``initialize``
handshake when the answer is not positive evidence of that era:

- a usable DiscoverResult that lists a version this verifier speaks: the
  stateless era, then ``tools/list`` at the newest mutual version;
- ``-32022`` (unsupported protocol version) naming a 2026-07-28-era version
  not tried yet: probe again at it; naming handshake versions: fall back;
  naming only versions already tried or unknown ones: fail at once;
- no answer (refused, reset, timed out) or 429/502/503/504: the server is not
  up yet, which says nothing about its era, so the attempt fails and is
  retried with the probe (the SDK client, which does not retry, treats
  outages the same way: they are never an era verdict);
- anything else (a JSON-RPC error such as "method not found" or "missing
  session", another HTTP error, a body that is not MCP): fall back to the
  handshake in the same attempt. That settles the era for the rest of the
  verification: later attempts go straight to ``initialize``.

When the handshake is answered with ``-32022`` naming a 2026-07-28-era
version (a stateless-only server, seen through a probe that failed oddly),
that is evidence of the stateless era: it is probed again at that version,
once an attempt, and kept to from then on (as the SDK client re-probes once).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from .outcome import AttemptFailed, Listing
from .protocol import (
    LATEST_STATELESS_VERSION,
    STATELESS_PROTOCOL_VERSIONS,
    SUPPORTED_PROTOCOL_VERSIONS,
    supported_versions,
)
from .session import HandshakeSession, StatelessSession
from .transport import Transport

__all__ = ["OUTAGE_STATUSES", "Negotiation", "fallback_reason"]

#: Answers to the probe that mean "not up yet", not "not of that era".
OUTAGE_STATUSES = frozenset({429, 502, 503, 504})
#: Failures of a request the server took but did not answer in time.
_UNANSWERED_KINDS = frozenset({"SSE timeout"})

_OPEN, _HANDSHAKE, _STATELESS = "open", "handshake", "stateless"


def fallback_reason(failure: AttemptFailed) -> str:
    """A short account of a probe answer, e.g. ``HTTP 404: JSON-RPC error -32601: …``."""
    if not failure.problem:
        return failure.kind
    if failure.problem.startswith(failure.kind):
        return failure.problem
    return f"{failure.kind}: {failure.problem}"


class Negotiation:
    """The era state of one verification, and one attempt at a time within it."""

    def __init__(self, make_transport: Callable[[], Transport], log: Callable[[str], None]) -> None:
        self.make_transport = make_transport
        self.log = log
        self.era = _OPEN
        self.version = LATEST_STATELESS_VERSION
        #: The probe answer that sent this verification to the handshake, if one did.
        self.fallback: AttemptFailed | None = None
        #: Kinds of the probe answers that led to the handshake in the last attempt.
        self.fell_back: list[str] = []

    def attempt(self) -> Listing:
        """One attempt in the current era; raises AttemptFailed or Protected."""
        self.fell_back = []
        probed: set[str] = set()
        reprobed = False
        while True:
            if self.era != _HANDSHAKE:
                probed.add(self.version)
                try:
                    listing = StatelessSession(self.make_transport(), self.version).run()
                except AttemptFailed as exc:
                    if exc.after_initialize:  # server/discover worked: the era is settled
                        self.era = _STATELESS
                        raise
                    if not self._after_probe(exc, probed):
                        continue  # probe again, at self.version
                else:
                    self.era = _STATELESS
                    return listing
            try:
                listing = HandshakeSession(self.make_transport()).run()
            except AttemptFailed as exc:
                named = [] if exc.after_initialize else self._untried_stateless(exc, set())
                if not named or reprobed:
                    raise
                self.log(
                    f"MCP verify: initialize was answered with {fallback_reason(exc)}; "
                    f"probing {named[0]} again"
                )
                reprobed = True  # once an attempt: the probe's own failure may have been passing
                self.era, self.version = _STATELESS, named[0]
                continue
            if self.fallback is not None:
                reason = fallback_reason(self.fallback)
                listing = dataclasses.replace(listing, probe_fallback=reason)
            return listing

    def _after_probe(self, exc: AttemptFailed, probed: set[str]) -> bool:
        """Judge a failed probe: False to probe again, True to fall back; raises otherwise."""
        if exc.status is None or exc.status in OUTAGE_STATUSES or exc.kind in _UNANSWERED_KINDS:
            raise exc  # not up yet: retry the probe later
        supported = supported_versions(exc.error)
        if supported is not None:
            untried = self._untried_stateless(exc, probed)
            if untried:
                self.log(f"MCP verify: the server supports {', '.join(supported)}; probing again")
                self.version = untried[0]
                return False
            if set(supported) & set(SUPPORTED_PROTOCOL_VERSIONS):
                return self._fall_back(exc)  # it names handshake versions: positive evidence
            if set(supported) & set(STATELESS_PROTOCOL_VERSIONS):
                exc.problem += (
                    "; it speaks only the stateless protocol era (no initialize handshake), "
                    f"yet it refused this verifier's {exc.stateless_version} request"
                )
            exc.final = True
            raise exc
        if self.era != _OPEN:  # the server named the stateless era before; keep to it
            raise exc
        return self._fall_back(exc)

    def _fall_back(self, exc: AttemptFailed) -> bool:
        self.log(
            f"MCP verify: the {exc.stateless_version} probe (server/discover) got "
            f"{fallback_reason(exc)}; using the initialize handshake"
        )
        self.era = _HANDSHAKE
        self.fallback = exc
        self.fell_back.append(exc.kind)
        return True

    @staticmethod
    def _untried_stateless(exc: AttemptFailed, probed: set[str]) -> list[str]:
        """2026-07-28-era versions a -32022 answer names that this attempt has not probed."""
        supported = supported_versions(exc.error) or []
        return [v for v in STATELESS_PROTOCOL_VERSIONS if v in supported and v not in probed]
