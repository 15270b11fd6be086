"""pmcp.run's ways of saying no → the program's errors, with the way out named.

Four remote APIs, four envelopes: discovery (anything but 200), the Cognito token endpoint
(an OAuth ``error`` body), AppSync's GraphQL (a 401/403, any other non-200, or a 200 whose
body carries ``errors[]``) and S3's presigned uploads (XML with a ``<Code>``). And what
pmcp.run cannot do at all: roll back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import httpx

from ...errors import CredentialExchangeError, NotSupportedError, RemoteApiError
from ...rest import json_or_none

__all__ = [
    "CHECK_DASHBOARD",
    "CREATE_CLIENT_HELP",
    "DASHBOARD_URL",
    "AppSyncEnvelope",
    "DiscoveryEnvelope",
    "GraphQLAuthError",
    "GraphQLError",
    "S3Envelope",
    "TokenEndpointEnvelope",
    "TokenRefused",
    "client_credentials_refused",
    "graphql_messages",
    "looks_like_unknown_schema",
    "no_rollback",
    "refresh_refused",
    "s3_code",
]

DASHBOARD_URL = "https://pmcp.run/dashboard"
CHECK_DASHBOARD = f"Check the deployment in the pmcp.run dashboard ({DASHBOARD_URL})."

#: How to get credentials for CI; shown with every credential problem.
CREATE_CLIENT_HELP = (
    "For CI, set the secrets pmcp-client-id and pmcp-client-secret (env PMCP_CLIENT_ID / "
    "PMCP_CLIENT_SECRET) to a pmcp.run machine client: a Cognito app client that has a client "
    "secret and the client_credentials OAuth grant enabled (ask the admin of your pmcp.run "
    "organisation to create one; cargo-pmcp uses the same client). Alternatively set "
    "pmcp-access-token (PMCP_ACCESS_TOKEN) to a fresh access token, or pmcp-credentials to the "
    "content of ~/.pmcp/credentials.toml written by `cargo pmcp deploy login --target "
    "pmcp-run`. Set exactly one of the three kinds."
)


def _capital(doing: str) -> str:
    return doing[:1].upper() + doing[1:]


# --- discovery -----------------------------------------------------------------------------
class DiscoveryEnvelope:
    """``/.well-known/pmcp-config`` answers 200 with the document, or it failed."""

    def failed(self, response: httpx.Response) -> bool:
        return response.status_code != 200

    def error(self, response: httpx.Response, doing: str) -> RemoteApiError:
        return RemoteApiError(
            f"Discovery endpoint returned status {response.status_code} ({response.request.url}).",
            status=response.status_code,
            body=response.text[:500],
            remediation="Check that pmcp-api-url (PMCP_API_URL) points at a pmcp.run API; "
            "the default is https://api.pmcp.run.",
        )


# --- the token endpoint --------------------------------------------------------------------
class TokenRefused(RemoteApiError):
    """The token endpoint said no; the caller names the credential kind and its fix."""

    def __init__(self, status: int, error: str, body: str) -> None:
        super().__init__(f"HTTP {status}: {error}", status=status, body=body)
        #: OAuth's ``error`` (and ``error_description``); never a token.
        self.error = error


def _oauth_error(response: httpx.Response) -> str:
    """``error`` (+ description) from an OAuth error body; never echoes tokens."""
    body = json_or_none(response)
    if isinstance(body, dict):
        error = str(body.get("error", ""))
        description = str(body.get("error_description", ""))
        return f"{error}: {description}" if description else error or response.text[:200]
    return response.text[:200]


class TokenEndpointEnvelope:
    """Cognito's ``/oauth2/token``: 200 with the tokens, else an OAuth error body."""

    def failed(self, response: httpx.Response) -> bool:
        return response.status_code != 200

    def error(self, response: httpx.Response, doing: str) -> TokenRefused:
        return TokenRefused(response.status_code, _oauth_error(response), response.text[:200])


def client_credentials_refused(
    refused: TokenRefused, client_id: str, token_url: str
) -> CredentialExchangeError:
    return CredentialExchangeError(
        f"Client credentials authentication failed for client {client_id} at {token_url}: "
        f"HTTP {refused.status} ({refused.error}).",
        remediation="Check that (1) pmcp-client-id and pmcp-client-secret belong to the "
        "same Cognito app client, (2) the app client has the client_credentials grant "
        "enabled, and (3) pmcp-api-url points at the pmcp.run deployment that issued "
        "the client. " + CREATE_CLIENT_HELP,
    )


def refresh_refused(refused: TokenRefused) -> CredentialExchangeError:
    return CredentialExchangeError(
        f"Failed to refresh token: HTTP {refused.status} ({refused.error}).",
        remediation="The refresh token was revoked or has expired (30 days by default). "
        "Log in again with `cargo pmcp deploy login --target pmcp-run` and update the "
        "pmcp-credentials secret. " + CREATE_CLIENT_HELP,
    )


# --- GraphQL -------------------------------------------------------------------------------
_SCHEMA_MARKERS = ("FieldUndefined", "UnknownType", "Validation error")


def looks_like_unknown_schema(messages: Sequence[str]) -> bool:
    """Does the endpoint not know our operation (a stale or partial API)?"""
    return any(marker in message for message in messages for marker in _SCHEMA_MARKERS)


def graphql_messages(body: object) -> list[str]:
    """Every ``errors[].message`` (with its AppSync ``errorType``) of a GraphQL answer."""
    if not isinstance(body, dict):
        return []
    errors = body.get("errors")
    if not isinstance(errors, list):
        return []
    messages: list[str] = []
    for error in errors:
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            kind = error.get("errorType")
            text = error["message"]
            messages.append(f"{kind}: {text}" if isinstance(kind, str) and kind else text)
    return messages


class GraphQLError(RemoteApiError):
    """A GraphQL call failed: a non-200 answer or ``errors[]`` (AppSync answers 200 with them)."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        messages: Sequence[str],
        body: str,
        remediation: str,
        details: str,
    ) -> None:
        super().__init__(
            message, status=status, body=body, remediation=remediation, details=details
        )
        #: The GraphQL error messages, for the client's re-discovery and renewal decisions.
        self.messages = tuple(messages)


class GraphQLAuthError(GraphQLError, CredentialExchangeError):
    """AppSync refused the access token (expired, revoked, for another deployment)."""

    title = CredentialExchangeError.title


class AppSyncEnvelope:
    """AppSync's envelope: anything but a 200 without ``errors[]`` failed."""

    def __init__(self, request_ids: Sequence[str]) -> None:
        #: The request ids seen so far (the client's list), named in every error.
        self.request_ids = request_ids

    def failed(self, response: httpx.Response) -> bool:
        return response.status_code != 200 or bool(graphql_messages(json_or_none(response)))

    def error(self, response: httpx.Response, doing: str) -> GraphQLError:
        status = response.status_code
        messages = graphql_messages(json_or_none(response))
        joined = ", ".join(messages)

        def failure(kind: type[GraphQLError], message: str, remediation: str) -> GraphQLError:
            return kind(
                message,
                status=status,
                messages=messages,
                body=response.text[:1000],
                remediation=remediation,
                details="Request ids: " + ", ".join(self.request_ids[-3:])
                if self.request_ids
                else "",
            )

        if status in (401, 403):
            return failure(
                GraphQLAuthError,
                f"pmcp.run refused the credentials while {doing} (HTTP {status}"
                f"{': ' + joined if joined else ''}).",
                "The token is expired, revoked or for another pmcp.run deployment (check "
                "pmcp-api-url). " + CREATE_CLIENT_HELP,
            )
        if status != 200 and not messages:
            return failure(
                GraphQLError,
                f"{_capital(doing)} failed: pmcp.run's GraphQL API answered HTTP {status}.",
                "Retry later; if it persists, check https://pmcp.run status or contact "
                "pmcp.run support with the request ids below.",
            )
        if looks_like_unknown_schema(messages):
            remediation = (
                "The pmcp.run API does not know this operation. Check pmcp-api-url and "
                "PMCP_RUN_GRAPHQL_URL, or upgrade pmcp-action if pmcp.run changed its API."
            )
        else:
            remediation = (
                "Fix what the messages describe, or contact pmcp.run support with the request "
                "ids below."
            )
        return failure(
            GraphQLError, f"{_capital(doing)} failed with GraphQL errors: {joined}", remediation
        )


# --- presigned S3 uploads ------------------------------------------------------------------
_S3_CODE = re.compile(r"<Code>([^<]{1,100})</Code>")


def s3_code(response: httpx.Response) -> str:
    """S3's error ``<Code>`` (or a short plain-text reason); never the request's URL."""
    match = _S3_CODE.search(response.text)
    if match:
        return match.group(1)
    text = response.text.strip()
    return text[:120] if text and "<" not in text else response.reason_phrase or "error"


class S3Envelope:
    """A presigned PUT answers 2xx, or XML naming S3's error code."""

    def failed(self, response: httpx.Response) -> bool:
        return not 200 <= response.status_code < 300

    def error(self, response: httpx.Response, doing: str) -> RemoteApiError:
        return RemoteApiError(
            f"{_capital(doing)} failed: HTTP {response.status_code} — {s3_code(response)}.",
            status=response.status_code,
            remediation="The presigned URL was refused; if this persists, report it to "
            "pmcp.run (mention the S3 error code).",
        )


# --- what pmcp.run cannot do ---------------------------------------------------------------
def no_rollback(server_name: str, to_version: str) -> NotSupportedError:
    """The refusal of a rollback: pmcp.run keeps no earlier version to switch back to."""
    wanted = f" to {to_version}" if to_version else ""
    return NotSupportedError(
        f"Cannot roll back the pmcp.run deployment of {server_name}{wanted}. pmcp.run has no "
        "rollback operation: it keeps no earlier version this action could switch back to, "
        "and cargo-pmcp's `rollback` is only a link to the dashboard.",
        remediation="Deploy the earlier version again (re-run the workflow on that commit or "
        f"tag), or manage versions in the pmcp.run dashboard ({DASHBOARD_URL}). Set "
        "rollback-on-failure: false for this target.",
    )
