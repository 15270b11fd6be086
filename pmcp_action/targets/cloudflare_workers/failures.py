"""Cloudflare's error envelope → the program's errors, with the way out named."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from ...errors import CredentialExchangeError, RemoteApiError
from ...rest import json_or_none

__all__ = [
    "CloudflareApiError",
    "ERR_NO_SUBDOMAIN",
    "ERR_NOT_FOUND",
    "ERR_SECRETS_CHANGED",
    "ERR_SERVICE_NOT_FOUND",
    "TOKEN_PAGE",
    "CloudflareEnvelope",
    "api_error",
]

ERR_NOT_FOUND = 10007
ERR_SERVICE_NOT_FOUND = 10090
ERR_NO_SUBDOMAIN = 10007
ERR_SECRETS_CHANGED = 10220
_AUTH_CODES = frozenset({1000, 9109, 10000, 10001})
_INVALID_TOKEN_CODES = frozenset({1000, 6003, 6111})

TOKEN_PAGE = "https://dash.cloudflare.com/profile/api-tokens"
_PERMISSION = "Workers Scripts: Edit (an account permission)"


@dataclass(frozen=True)
class ApiErrorItem:
    code: int
    message: str


class CloudflareApiError(RemoteApiError):
    """A Cloudflare API call answered ``success: false`` (or not in the envelope)."""

    title = "Cloudflare API error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None,
        codes: tuple[int, ...] = (),
        body: str = "",
        remediation: str = "",
        details: str = "",
    ) -> None:
        super().__init__(
            message, status=status, body=body, remediation=remediation, details=details
        )
        self.codes = codes

    def has(self, code: int) -> bool:
        return code in self.codes


class CloudflareAuthError(CloudflareApiError, CredentialExchangeError):
    """The token is invalid, expired, or lacks a permission."""

    title = "Cloudflare token refused"


def _items(payload: object) -> list[ApiErrorItem]:
    if not isinstance(payload, dict):
        return []
    found: list[ApiErrorItem] = []
    for item in payload.get("errors") or []:
        if isinstance(item, dict):
            code = item.get("code")
            found.append(
                ApiErrorItem(code if isinstance(code, int) else 0, str(item.get("message", "")))
            )
    return found


def api_error(response: httpx.Response, what: str, *, account_id: str = "") -> CloudflareApiError:
    """The error for a failed call doing ``what`` (e.g. "uploading a new version of x")."""
    doing = what[:1].upper() + what[1:]
    status = response.status_code
    payload = json_or_none(response)
    body = response.text[:500]
    items = _items(payload)
    codes = tuple(item.code for item in items)
    text = "; ".join(f"{item.message} (code {item.code})" for item in items) or f"HTTP {status}"
    where = f" on account {account_id}" if account_id else ""
    if status == 429:
        return CloudflareApiError(
            f"{doing}: Cloudflare rate-limited the call: {text}.",
            status=status,
            codes=codes,
            body=body,
            remediation="The API allows 1200 requests per 5 minutes per token (dashboard and "
            "API together); wait five minutes, and avoid running many deploys with one token "
            "at once.",
        )
    if payload is None:
        return CloudflareApiError(
            f"{doing}: Cloudflare answered HTTP {status} with a body that is not JSON "
            "(a proxy, firewall or WAF page?).",
            status=status,
            body=body,
            remediation="Check cloudflare-api-base-url and any proxy between the runner and "
            "Cloudflare; retry later if Cloudflare reports an incident.",
            details=f"Body (first 500 bytes): {body}",
        )
    if status in (401, 403) or set(codes) & _AUTH_CODES:
        if status == 401 or set(codes) & _INVALID_TOKEN_CODES:
            return CloudflareAuthError(
                f"{doing}: Cloudflare refused the API token: {text}. The token is "
                "invalid, revoked or expired.",
                status=status,
                codes=codes,
                body=body,
                remediation=f"Create a new API token ({TOKEN_PAGE}) with {_PERMISSION} and "
                "store it in the secret behind cloudflare-api-token.",
            )
        return CloudflareAuthError(
            f"{doing}{where}: the API token lacks a permission: {text}.",
            status=status,
            codes=codes,
            body=body,
            remediation=f"Edit the token ({TOKEN_PAGE}): it needs {_PERMISSION} for this "
            "account, and Account Settings: Read to read the workers.dev subdomain.",
        )
    return CloudflareApiError(
        f"{doing}{where} failed: {text}.",
        status=status,
        codes=codes,
        body=body,
        remediation=_remedy(codes, status),
    )


class CloudflareEnvelope:
    """Cloudflare's envelope: a call failed unless it answered ``success: true``."""

    def __init__(self, api: object) -> None:
        #: The API whose ``account_id`` names the account in messages.
        self.api = api

    def failed(self, response: httpx.Response) -> bool:
        if response.status_code in (204, 205) and not response.content:
            return False
        payload = json_or_none(response)
        return not isinstance(payload, dict) or payload.get("success") is not True

    def error(self, response: httpx.Response, doing: str) -> CloudflareApiError:
        return api_error(response, doing, account_id=str(getattr(self.api, "account_id", "")))


def _remedy(codes: tuple[int, ...], status: int) -> str:
    if 10021 in codes:
        return (
            "Cloudflare rejected the Worker itself (a startup error, an unknown binding or a "
            "syntax error in a module); run it locally with `wrangler dev` to see the error."
        )
    if status >= 500:
        return "Cloudflare had a server error; retry the deploy, or check cloudflarestatus.com."
    return "See Cloudflare's message above."
