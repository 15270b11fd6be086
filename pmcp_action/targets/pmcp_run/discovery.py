"""pmcp.run service discovery: ``GET <api>/.well-known/pmcp-config``.

The discovery document (snake_case JSON) names the Cognito domain and app
client used for tokens and the AppSync GraphQL endpoint. cargo-pmcp caches
it under ``$HOME``; a CI run discovers once per run instead. The variables
``PMCP_RUN_GRAPHQL_URL``, ``PMCP_RUN_COGNITO_DOMAIN`` and
``PMCP_RUN_COGNITO_CLIENT_ID`` override single fields; when all three are
set no discovery request is made at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict

import httpx

from ...errors import ConfigError, RemoteApiError
from ...rest import RestApi
from ...urls import endpoint_problem
from .failures import DiscoveryEnvelope

__all__ = [
    "ENV_COGNITO_CLIENT_ID",
    "ENV_COGNITO_DOMAIN",
    "ENV_GRAPHQL_URL",
    "DISCOVERY_TIMEOUT",
    "DiscoveryDocument",
    "Endpoints",
    "discover",
    "normalize_cognito_domain",
]

ENV_GRAPHQL_URL = "PMCP_RUN_GRAPHQL_URL"
ENV_COGNITO_DOMAIN = "PMCP_RUN_COGNITO_DOMAIN"
ENV_COGNITO_CLIENT_ID = "PMCP_RUN_COGNITO_CLIENT_ID"

DISCOVERY_PATH = "/.well-known/pmcp-config"
#: Seconds a discovery request may take (the connection opens its client with it).
DISCOVERY_TIMEOUT = 10.0


class DiscoveryDocument(TypedDict, total=False):
    """The wire shape of ``/.well-known/pmcp-config`` (all fields optional on the wire)."""

    cognito_client_id: str
    cognito_domain: str
    graphql_url: str
    mcp_url: str
    api_type: str
    version: str


@dataclass(frozen=True)
class Endpoints:
    """Where pmcp.run lives, after discovery and environment overrides."""

    api_url: str
    #: Scheme + host of the Cognito domain, without a trailing slash.
    cognito_origin: str
    cognito_client_id: str
    graphql_url: str
    mcp_url: str = ""
    version: str = ""
    #: Which fields came from environment overrides (for the log).
    overridden: tuple[str, ...] = ()

    @property
    def token_url(self) -> str:
        return f"{self.cognito_origin}/oauth2/token"


def _nonempty(environ: Mapping[str, str], key: str) -> str:
    """An empty or blank override counts as absent (as cargo-pmcp reads them)."""
    return environ.get(key, "").strip()


def normalize_cognito_domain(value: str, where: str) -> str:
    """``auth.example.com`` → ``https://auth.example.com``; keep an explicit scheme.

    Plain ``http://`` is accepted only for loopback hosts (a local emulator).
    """
    text = value.strip().rstrip("/")
    if not text:
        raise ConfigError(
            f"{where} is empty.",
            remediation="pmcp.run's discovery document must name a Cognito domain; set "
            f"{ENV_COGNITO_DOMAIN} to override it.",
        )
    origin = text if "://" in text else f"https://{text}"
    problem = endpoint_problem(origin, where)
    if problem is not None:
        raise ConfigError(f"{where}: {problem.what}.", remediation=problem.fix)
    parts = httpx.URL(origin)
    if parts.path not in ("", "/") or parts.query:
        raise ConfigError(
            f"{where} must be a bare host or an origin, got a URL with a path ({origin}).",
            remediation="Use the Cognito domain only, e.g. auth.example.com.",
        )
    return f"{parts.scheme}://{parts.netloc.decode('ascii')}"


def _checked_url(value: str, where: str) -> str:
    problem = endpoint_problem(value, where)
    if problem is not None:
        raise ConfigError(f"{where}: {problem.what}.", remediation=problem.fix)
    return value


def _fetch_document(client: httpx.Client, api_url: str) -> DiscoveryDocument:
    api = RestApi(
        client, api_url, envelope=DiscoveryEnvelope(), reach_hint="pmcp-api-url, PMCP_API_URL"
    )
    document = api.call_json(
        "GET", DISCOVERY_PATH, f"reading pmcp.run discovery at {api.url(DISCOVERY_PATH)}"
    )
    clean: DiscoveryDocument = {}
    for key in ("cognito_client_id", "cognito_domain", "graphql_url", "mcp_url", "api_type"):
        value = document.get(key)
        if isinstance(value, str):
            clean[key] = value
    version = document.get("version")
    if isinstance(version, (str, int, float)):
        clean["version"] = str(version)
    return clean


def discover(client: httpx.Client, api_url: str, environ: Mapping[str, str]) -> Endpoints:
    """Resolve the pmcp.run endpoints: overrides first, discovery for the rest."""
    graphql_override = _nonempty(environ, ENV_GRAPHQL_URL)
    domain_override = _nonempty(environ, ENV_COGNITO_DOMAIN)
    client_override = _nonempty(environ, ENV_COGNITO_CLIENT_ID)
    overridden = tuple(
        name
        for name, value in (
            (ENV_GRAPHQL_URL, graphql_override),
            (ENV_COGNITO_DOMAIN, domain_override),
            (ENV_COGNITO_CLIENT_ID, client_override),
        )
        if value
    )

    document: DiscoveryDocument = {}
    if not (graphql_override and domain_override and client_override):
        document = _fetch_document(client, api_url)
        api_type = document.get("api_type", "")
        if api_type and api_type != "graphql":
            raise RemoteApiError(
                f'Unsupported API type: "{api_type}". This version of pmcp-action only '
                'supports "graphql".',
                remediation="Upgrade pmcp-action, or point pmcp-api-url at a pmcp.run API "
                "that offers the GraphQL interface.",
            )

    source = f"the discovery document of {api_url}"
    graphql_url = graphql_override or document.get("graphql_url", "")
    domain = domain_override or document.get("cognito_domain", "")
    cognito_client_id = client_override or document.get("cognito_client_id", "")
    missing = [
        name
        for name, value in (("graphql_url", graphql_url), ("cognito_domain", domain))
        if not value
    ]
    if missing:
        raise RemoteApiError(
            f"{source} lacks {', '.join(missing)}.",
            remediation=f"Set {ENV_GRAPHQL_URL} / {ENV_COGNITO_DOMAIN} to override, or check "
            "pmcp-api-url (PMCP_API_URL).",
        )
    graphql_where = ENV_GRAPHQL_URL if graphql_override else f"graphql_url in {source}"
    domain_where = ENV_COGNITO_DOMAIN if domain_override else f"cognito_domain in {source}"
    return Endpoints(
        api_url=api_url,
        cognito_origin=normalize_cognito_domain(domain, domain_where),
        cognito_client_id=cognito_client_id,
        graphql_url=_checked_url(graphql_url, graphql_where),
        mcp_url=document.get("mcp_url", ""),
        version=document.get("version", ""),
        overridden=overridden,
    )
