"""The REST kit every HTTP target uses: one way to call, read and fail.

- :mod:`.retry_after` — ``Retry-After`` in seconds or as an HTTP date;
- :mod:`.transport` — a transport failure (DNS, refused, reset, TLS, timeout) as a
  :class:`TransportFailure` naming the host, the call and whether it may have happened;
- :mod:`.body` — a successful answer's JSON object, or a named error;
- :mod:`.api` — :class:`RestApi`: a base URL, headers and one provider's error envelope
  (:class:`ErrorEnvelope`), so a target's API client is its calls and nothing else.

The retrying HTTP client (:mod:`pmcp_action.http`) raises :class:`TransportFailure` itself,
so no target catches an httpx error on its own.
"""

from __future__ import annotations

from .api import ErrorEnvelope, RestApi, StatusEnvelope
from .body import json_object, json_or_none
from .retry_after import retry_after_seconds
from .transport import TransportFailure, transport_failure

__all__ = [
    "ErrorEnvelope",
    "RestApi",
    "StatusEnvelope",
    "TransportFailure",
    "json_object",
    "json_or_none",
    "retry_after_seconds",
    "transport_failure",
]
