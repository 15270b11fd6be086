"""Reading an HTTP response: its headers, and its body quoted on one line."""

from __future__ import annotations

import httpx

__all__ = [
    "EXCERPT_BYTES",
    "auth_param",
    "describe_response",
    "excerpt",
    "media_type",
]

#: How much of an unexpected body a failure report quotes.
EXCERPT_BYTES = 300

_CONTROL = {c: f"\\x{c:02x}" for c in range(32)} | {10: "\\n", 13: "\\r", 9: "\\t"}


def excerpt(body: bytes) -> str:
    """The start of a body on one line, control characters escaped."""
    text = body[:EXCERPT_BYTES].decode("utf-8", errors="replace").translate(_CONTROL)
    return text + ("…" if len(body) > EXCERPT_BYTES else "")


def describe_response(response: httpx.Response, body: bytes) -> str:
    content_type = response.headers.get("content-type", "") or "(none)"
    text = f"HTTP {response.status_code}, Content-Type {content_type}"
    if body:
        text += f", body (first {EXCERPT_BYTES} bytes): {excerpt(body)}"
    else:
        text += ", empty body"
    return text


def media_type(response: httpx.Response) -> str:
    content_type = str(response.headers.get("content-type", ""))
    return content_type.split(";")[0].strip().lower()


def auth_param(header: str, name: str) -> str:
    """A ``name=value`` parameter of a ``WWW-Authenticate`` challenge (the value bare or
    double-quoted, the name in any case), or ""."""
    lowered = header.lower()
    key = name.lower() + "="
    start = 0
    while (index := lowered.find(key, start)) >= 0:
        start = index + len(key)
        if index > 0 and lowered[index - 1] not in " ,\t":
            continue
        rest = header[start:]
        if rest.startswith('"'):
            end = rest.find('"', 1)
            return rest[1:end] if end > 0 else rest[1:]
        return rest.split(",")[0].strip()
    return ""
