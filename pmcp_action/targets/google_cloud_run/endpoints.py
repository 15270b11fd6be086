"""Where each Google API is: ``https://<service>.googleapis.com``, or one override base URL.

``PMCP_GOOGLE_API_URL`` (an emulator, a proxy) replaces the scheme and host of every
Google API this target calls; the paths are kept, so ``<base>/v1/token`` is STS and
``<base>/v2/projects/…`` is Cloud Run. It must be https unless it points at loopback.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ...errors import Problem
from ...urls import endpoint_problem
from .declaration import GOOGLE_API_URL_ENV

__all__ = ["GOOGLE_API_URL_ENV", "SERVICES", "GoogleEndpoints", "resolve_endpoints"]

#: The services this target calls, by their host label.
SERVICES = (
    "sts",
    "iamcredentials",
    "oauth2",
    "run",
    "artifactregistry",
    "logging",
    "secretmanager",
    "cloudresourcemanager",
    "iam",
)


@dataclass(frozen=True)
class GoogleEndpoints:
    """The base URL of each service (no trailing slash)."""

    override: str = ""

    #: Where the endpoints come from, for a network failure's advice.
    reach_hint = GOOGLE_API_URL_ENV

    def base(self, service: str) -> str:
        if service not in SERVICES:
            raise ValueError(f"unknown Google service {service!r}")
        return self.override or f"https://{service}.googleapis.com"

    def url(self, service: str, path: str) -> str:
        return self.base(service) + "/" + path.lstrip("/")

    def token_uri(self, given: str) -> str:
        """A key file's ``token_uri``: the oauth2 endpoint under an override, else as given."""
        if self.override and given.startswith("https://oauth2.googleapis.com/"):
            return self.override + given.removeprefix("https://oauth2.googleapis.com")
        return given or self.url("oauth2", "/token")


def resolve_endpoints(environ: Mapping[str, str], problems: list[Problem]) -> GoogleEndpoints:
    """The endpoints for this run; a bad override adds a problem and is ignored."""
    override = environ.get(GOOGLE_API_URL_ENV, "").strip().rstrip("/")
    if not override:
        return GoogleEndpoints()
    problem = endpoint_problem(override, f"environment variable {GOOGLE_API_URL_ENV}")
    if problem is not None:
        problems.append(problem)
        return GoogleEndpoints()
    return GoogleEndpoints(override)
