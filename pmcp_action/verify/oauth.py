"""A token for a protected server, the way an MCP client finds one: RFC 9728, RFC 8414, and
the client-credentials grant.

1. The protected-resource metadata: the URL the 401's ``WWW-Authenticate: Bearer
   resource_metadata="…"`` names, else the well-known URIs (path-inserted
   ``/.well-known/oauth-protected-resource/<path>``, then the root one).
2. Its checks: ``resource`` equals the endpoint (RFC 9728 §3.3) and ``authorization_servers``
   is not empty — findings, warnings unless ``verify: strict`` (cargo-pmcp's own OAuth proxy
   serves no metadata at all).
3. The authorization server's metadata (RFC 8414 path-inserted, then OpenID discovery), for
   its ``token_endpoint``.
4. ``grant_type=client_credentials`` with the client id and secret (HTTP Basic, or in the
   form when the server only takes that), the ``scope`` asked for and ``resource`` = the
   endpoint (RFC 8707). The access token is masked the moment it exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import httpx

from ..errors import CredentialExchangeError
from ..rest import RestApi, json_or_none
from .response import auth_param

__all__ = [
    "ClientCredentials",
    "MetadataFinding",
    "OAuthToken",
    "client_credentials_token",
    "metadata_urls",
]

_TIMEOUT = 15.0


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str = field(repr=False)
    scope: str = ""


@dataclass(frozen=True)
class MetadataFinding:
    rule: str
    severity: Literal["failure", "warning"]
    message: str


@dataclass(frozen=True)
class OAuthToken:
    access_token: str = field(repr=False)
    #: Where the protected-resource metadata was found, and the token endpoint used.
    metadata_url: str
    token_endpoint: str
    findings: tuple[MetadataFinding, ...] = ()


def _well_known(url: str, name: str, *, append: bool = False) -> str:
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if append:
        return urlunsplit((parts.scheme, parts.netloc, f"{path}/.well-known/{name}", "", ""))
    return urlunsplit((parts.scheme, parts.netloc, f"/.well-known/{name}{path}", "", ""))


def metadata_urls(endpoint: str, challenge: str) -> list[str]:
    """Where the protected-resource metadata may be, in the order a client tries them."""
    named = auth_param(challenge, "resource_metadata") if challenge else ""
    found = [named] if named else []
    for url in (
        _well_known(endpoint, "oauth-protected-resource"),
        _well_known(urlunsplit(urlsplit(endpoint)._replace(path="")), "oauth-protected-resource"),
    ):
        if url not in found:
            found.append(url)
    return found


def _get_json(api: RestApi, url: str, doing: str) -> dict[str, Any] | None:
    response = api.send("GET", url, doing)
    if response.status_code != 200:
        return None
    body = json_or_none(response)
    return body if isinstance(body, dict) else None


def _refused(message: str, remediation: str) -> CredentialExchangeError:
    error = CredentialExchangeError(message, remediation=remediation)
    error.title = "OAuth for verification failed"
    return error


def client_credentials_token(
    client: httpx.Client,
    endpoint: str,
    challenge: str,
    credentials: ClientCredentials,
    *,
    strict: bool,
    mask: Callable[[str], None],
) -> OAuthToken:
    """A token for ``endpoint`` from its authorization server; raises saying what is missing."""
    api = RestApi(client, "")
    where, issuer, findings = _protected_resource(api, endpoint, challenge, strict=strict)
    server = _authorization_server(api, issuer)
    token = _token(client, server, endpoint, credentials)
    mask(token)
    return OAuthToken(token, where, str(server["token_endpoint"]), findings)


def _protected_resource(
    api: RestApi, endpoint: str, challenge: str, *, strict: bool
) -> tuple[str, str, tuple[MetadataFinding, ...]]:
    """Where the metadata is, the first authorization server, and what is wrong with it."""
    severity: Literal["failure", "warning"] = "failure" if strict else "warning"
    for where in metadata_urls(endpoint, challenge):
        metadata = _get_json(api, where, "reading the protected-resource metadata")
        if metadata is not None:
            break
    else:
        raise _refused(
            f"The server at {endpoint} asks for a token, but publishes no OAuth "
            "protected-resource metadata (RFC 9728): neither its WWW-Authenticate "
            "resource_metadata nor /.well-known/oauth-protected-resource answers, so the "
            "authorization server is unknown.",
            "Give a token in verify-bearer-token instead of client credentials, or serve the "
            "protected-resource metadata.",
        )
    findings: list[MetadataFinding] = []
    resource = metadata.get("resource")
    if resource != endpoint:
        findings.append(
            MetadataFinding(
                "prm-resource",
                severity,
                f"the protected-resource metadata at {where} names the resource "
                f"{str(resource)[:200]!r}, not the endpoint {endpoint} (RFC 9728 §3.3)",
            )
        )
    servers = metadata.get("authorization_servers")
    if not isinstance(servers, list) or not servers or not isinstance(servers[0], str):
        raise _refused(
            f"The protected-resource metadata of {endpoint} at {where} names no authorization "
            "server (authorization_servers is empty).",
            "List the authorization server in authorization_servers, or give a token in "
            "verify-bearer-token.",
        )
    return where, servers[0], tuple(findings)


def _authorization_server(api: RestApi, issuer: str) -> dict[str, Any]:
    """The issuer's metadata (RFC 8414, then OpenID discovery), with a client-credentials
    token endpoint."""
    server: dict[str, Any] | None = None
    for url in (
        _well_known(issuer, "oauth-authorization-server"),
        _well_known(issuer, "openid-configuration"),
        _well_known(issuer, "openid-configuration", append=True),
    ):
        server = _get_json(api, url, f"reading the metadata of the authorization server {issuer}")
        if server is not None:
            break
    token_endpoint = server.get("token_endpoint") if server else None
    if server is None or not isinstance(token_endpoint, str) or not token_endpoint:
        raise _refused(
            f"The authorization server {issuer} publishes no metadata with a token_endpoint "
            "(RFC 8414 or OpenID discovery).",
            "Check the authorization server's issuer URL in the protected-resource metadata.",
        )
    grants = server.get("grant_types_supported")
    if isinstance(grants, list) and "client_credentials" not in grants:
        raise _refused(
            f"The authorization server {issuer} does not offer the client_credentials grant "
            f"(grant_types_supported: {', '.join(str(g) for g in grants)[:200]}).",
            "Enable client credentials for the verifying client, or give a token in "
            "verify-bearer-token.",
        )
    return server


def _token(
    client: httpx.Client, server: dict[str, Any], endpoint: str, credentials: ClientCredentials
) -> str:
    """The access token of a client-credentials grant (HTTP Basic unless the server takes the
    secret only in the form), for ``endpoint`` as the resource."""
    token_endpoint = str(server["token_endpoint"])
    methods = server.get("token_endpoint_auth_methods_supported")
    in_form = (
        isinstance(methods, list)
        and "client_secret_basic" not in methods
        and "client_secret_post" in methods
    )
    form = {"grant_type": "client_credentials", "resource": endpoint}
    if credentials.scope:
        form["scope"] = credentials.scope
    auth: httpx.Auth | Any = httpx.USE_CLIENT_DEFAULT
    if in_form:
        form |= {"client_id": credentials.client_id, "client_secret": credentials.client_secret}
    else:
        auth = httpx.BasicAuth(credentials.client_id, credentials.client_secret)
    response = client.post(
        token_endpoint,
        data=form,
        auth=auth,
        headers={"Accept": "application/json"},
        timeout=_TIMEOUT,
        extensions={"pmcp_doing": f"asking {token_endpoint} for a token (client credentials)"},
    )
    body = json_or_none(response)
    token = body.get("access_token") if isinstance(body, dict) else None
    if response.status_code == 200 and isinstance(token, str) and token:
        return token
    error = body.get("error") if isinstance(body, dict) else None
    described = body.get("error_description") if isinstance(body, dict) else None
    why = f"{error}: {described}" if error and described else str(error or "")
    raise _refused(
        f"The authorization server refused the client credentials (HTTP "
        f"{response.status_code}{', ' + why[:300] if why else ''}).",
        "Check verify-oauth-client-id, verify-oauth-client-secret and verify-oauth-scope "
        "against the client registered with the authorization server.",
    )
