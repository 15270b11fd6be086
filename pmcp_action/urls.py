"""The endpoint rule: real endpoints are https; plain http only on loopback."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from .errors import InsecureEndpointError, Problem

__all__ = ["check_endpoint", "endpoint_problem", "is_loopback_host"]


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def endpoint_problem(url: str, where: str) -> Problem | None:
    """Why ``url`` is not an acceptable endpoint, or None when it is."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return Problem(where, f"{url[:80]!r} is not a valid URL", "use https://host/path")
    if parts.scheme not in ("http", "https") or not host:
        return Problem(where, f"{url[:80]!r} is not an http(s) URL", "use https://host/path")
    if parts.scheme == "http" and not is_loopback_host(host):
        return Problem(
            where,
            f"plain http:// to a non-loopback host ({host})",
            "use https://; plain http:// is accepted only for 127.0.0.0/8, ::1 and localhost",
        )
    return None


def check_endpoint(url: str, where: str) -> str:
    """Return ``url`` if acceptable, else raise :class:`InsecureEndpointError`."""
    problem = endpoint_problem(url, where)
    if problem is not None:
        if "plain http://" in problem.what:
            raise InsecureEndpointError.for_url(url, where)
        raise InsecureEndpointError(f"{where}: {problem.what}", remediation=problem.fix)
    return url
