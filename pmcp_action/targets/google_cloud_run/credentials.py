"""Google credentials -> one OAuth access token for cloud-platform, masked at once.

Three ways in:

- the CI's OIDC token -> STS token exchange (Workload Identity Federation), then
  ``generateAccessToken`` when a service account is to be impersonated;
- a service-account key JSON -> a signed RS256 JWT (:mod:`.jwt_signing`) -> the JWT-bearer
  grant;
- an ``external_account`` JSON (what google-github-actions/auth writes): its audience,
  token URL, impersonation URL and subject-token source are honoured;
- an ``authorized_user`` JSON (what ``gcloud auth application-default login`` writes, read
  with ``auth: ambient``) -> the refresh-token grant at its token endpoint.

Every token, assertion and key is given to ``mask`` the moment it exists. The token
endpoints answer in the OAuth envelope, iamcredentials in Google's
(:mod:`.failures`); :func:`sign_in` picks the way the configuration asks for.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from ...errors import RemoteApiError
from ...oidc import describe_claims_for_error
from ...rest import RestApi
from .config import GoogleConfig
from .endpoints import GoogleEndpoints
from .failures import (
    CredentialsError,
    GoogleApiError,
    GoogleEnvelope,
    OAuthEnvelope,
    OAuthRefusal,
)
from .jwt_signing import sign_jwt

if TYPE_CHECKING:
    from ...context import RunContext

__all__ = [
    "CLOUD_PLATFORM",
    "GoogleToken",
    "from_credentials_json",
    "from_oidc",
    "sign_in",
]

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
_TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
_ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
_JWT = "urn:ietf:params:oauth:token-type:jwt"
_JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"

Mask = Callable[[str], None]


@dataclass(frozen=True)
class GoogleToken:
    """A cloud-platform access token and who it speaks for."""

    access_token: str
    #: The service account, or the federated principal's provider (direct WIF).
    identity: str
    #: "workload-identity", "workload-identity+impersonation", "service-account-key",
    #: "external-account", "authorized-user".
    mode: str
    #: A key file's project_id ("" otherwise), a fallback for the project.
    project_id: str = ""

    def __repr__(self) -> str:  # never print the token
        return f"GoogleToken(identity={self.identity!r}, mode={self.mode!r})"


class _TokenApis:
    """The token endpoints (OAuth envelope) and iamcredentials (Google's), over one client.

    Their URLs come from the endpoints or from a credentials file, so each call gives one.
    """

    def __init__(self, http: httpx.Client, endpoints: GoogleEndpoints) -> None:
        hint = endpoints.reach_hint
        self.oauth = RestApi(http, endpoints.base("sts"), envelope=OAuthEnvelope(), reach_hint=hint)
        self.iam = RestApi(
            http, endpoints.base("iamcredentials"), envelope=GoogleEnvelope(), reach_hint=hint
        )


def _sts_exchange(
    apis: _TokenApis,
    token_url: str,
    *,
    audience: str,
    subject_token: str,
    subject_token_type: str,
    provider_hint: str,
    mask: Mask,
) -> str:
    try:
        answer = apis.oauth.call_json(
            "POST",
            token_url,
            f"exchanging the CI token at Google STS for {provider_hint}",
            json={
                "grantType": _TOKEN_EXCHANGE,
                "audience": audience,
                "scope": CLOUD_PLATFORM,
                "requestedTokenType": _ACCESS_TOKEN,
                "subjectToken": subject_token,
                "subjectTokenType": subject_token_type,
            },
        )
    except OAuthRefusal as refused:
        details = ""
        try:
            details = describe_claims_for_error(subject_token)
        except Exception:  # noqa: BLE001 - a non-JWT subject token has no claims to show
            details = ""
        raise CredentialsError(
            f"Google STS refused the CI token for {provider_hint}: {refused.text}",
            remediation=(
                f"the provider {provider_hint} must accept these claims: its issuer URI must be "
                "the token's iss, its allowed audiences must include the token's aud (or leave "
                "them empty and use the default audience), and its attribute condition must "
                "hold for them (e.g. assertion.repository == 'owner/repo')"
            ),
            details=details,
        ) from None
    token = str(answer.get("access_token", ""))
    if not token:
        raise RemoteApiError("Google STS answered without access_token")
    mask(token)
    return token


def _impersonate(
    apis: _TokenApis,
    url: str,
    federated: str,
    service_account: str,
    provider_hint: str,
    mask: Mask,
    lifetime: int = 3600,
) -> str:
    try:
        answer = apis.iam.call_json(
            "POST",
            url,
            f"impersonating {service_account}",
            headers={"Authorization": f"Bearer {federated}"},
            json={"scope": [CLOUD_PLATFORM], "lifetime": f"{lifetime}s"},
        )
    except GoogleApiError as exc:
        if exc.status != 403:
            raise
        raise CredentialsError(
            exc.message,
            remediation=(
                f"grant the federated principal of {provider_hint} "
                f"roles/iam.workloadIdentityUser on {service_account}, e.g. for "
                "principalSet://iam.googleapis.com/<pool>/attribute.repository/<owner/repo>"
            ),
        ) from None
    token = str(answer.get("accessToken", ""))
    if not token:
        raise RemoteApiError("generateAccessToken answered without accessToken")
    mask(token)
    return token


def _impersonation_url(endpoints: GoogleEndpoints, service_account: str) -> str:
    return endpoints.url(
        "iamcredentials",
        f"/v1/projects/-/serviceAccounts/{service_account}:generateAccessToken",
    )


def from_oidc(
    http: httpx.Client,
    endpoints: GoogleEndpoints,
    *,
    provider: str,
    id_token: str,
    service_account: str = "",
    mask: Mask,
) -> GoogleToken:
    """The CI's OIDC token through Workload Identity Federation (and impersonation)."""
    mask(id_token)
    apis = _TokenApis(http, endpoints)
    federated = _sts_exchange(
        apis,
        endpoints.url("sts", "/v1/token"),
        audience=f"//iam.googleapis.com/{provider}",
        subject_token=id_token,
        subject_token_type=_JWT,
        provider_hint=provider,
        mask=mask,
    )
    if not service_account:
        return GoogleToken(federated, f"principal of {provider}", "workload-identity")
    token = _impersonate(
        apis,
        _impersonation_url(endpoints, service_account),
        federated,
        service_account,
        provider,
        mask,
    )
    return GoogleToken(token, service_account, "workload-identity+impersonation")


def _from_key(
    http: httpx.Client,
    endpoints: GoogleEndpoints,
    info: Mapping[str, Any],
    mask: Mask,
    now: float,
) -> GoogleToken:
    missing = [k for k in ("client_email", "private_key") if not info.get(k)]
    if missing:
        raise CredentialsError(
            f"the service-account key JSON has no {', '.join(missing)}",
            remediation="create a new JSON key for the service account",
        )
    mask(str(info["private_key"]))
    token_uri = endpoints.token_uri(str(info.get("token_uri", "")))
    issued = int(now)
    assertion = sign_jwt(
        str(info["private_key"]),
        str(info.get("private_key_id", "")),
        {
            "iss": str(info["client_email"]),
            "scope": CLOUD_PLATFORM,
            "aud": "https://oauth2.googleapis.com/token",
            "iat": issued,
            "exp": issued + 3600,
        },
    )
    mask(assertion)
    try:
        answer = _TokenApis(http, endpoints).oauth.call_json(
            "POST",
            token_uri,
            f"signing in with the service-account key of {info['client_email']}",
            data={"grant_type": _JWT_BEARER, "assertion": assertion},
        )
    except OAuthRefusal as refused:
        raise CredentialsError(
            f"Google refused the service-account key of {info['client_email']}: {refused.text}",
            remediation=(
                "check that the key was not deleted or disabled and that the runner's clock "
                "is right; better, use Workload Identity Federation"
            ),
        ) from None
    token = str(answer.get("access_token", ""))
    if not token:
        raise RemoteApiError("the token endpoint answered without access_token")
    mask(token)
    return GoogleToken(
        token,
        str(info["client_email"]),
        "service-account-key",
        project_id=str(info.get("project_id", "")),
    )


def _from_authorized_user(
    http: httpx.Client, endpoints: GoogleEndpoints, info: Mapping[str, Any], mask: Mask
) -> GoogleToken:
    """A person's Application Default Credentials: their refresh token for an access token."""
    missing = [k for k in ("client_id", "client_secret", "refresh_token") if not info.get(k)]
    if missing:
        raise CredentialsError(
            f"the authorized_user JSON has no {', '.join(missing)}",
            remediation="sign in again with gcloud auth application-default login",
        )
    for secret in (info["client_secret"], info["refresh_token"]):
        mask(str(secret))
    try:
        answer = _TokenApis(http, endpoints).oauth.call_json(
            "POST",
            # Google's endpoint, whatever the file says (google-auth does the same).
            endpoints.token_uri(""),
            "refreshing the Application Default Credentials of gcloud's sign-in",
            data={
                "grant_type": "refresh_token",
                "client_id": str(info["client_id"]),
                "client_secret": str(info["client_secret"]),
                "refresh_token": str(info["refresh_token"]),
            },
            # Refreshing twice is harmless: the grant hands out a new access token each time.
            idempotent=True,
        )
    except OAuthRefusal as refused:
        raise CredentialsError(
            f"Google refused the Application Default Credentials' refresh token: {refused.text}",
            remediation="sign in again with gcloud auth application-default login (a "
            "refresh token ends when the password changes, after a session-length policy, "
            "or when it is revoked)",
        ) from None
    token = str(answer.get("access_token", ""))
    if not token:
        raise RemoteApiError("the token endpoint answered without access_token")
    mask(token)
    return GoogleToken(token, "gcloud's user sign-in", "authorized-user")


def _subject_token(http: httpx.Client, source: Mapping[str, Any]) -> str:
    fmt = source.get("format") if isinstance(source.get("format"), dict) else {}
    assert isinstance(fmt, dict)
    if source.get("file"):
        text = Path(str(source["file"])).read_text(encoding="utf-8")
    elif source.get("url"):
        headers = source.get("headers") if isinstance(source.get("headers"), dict) else {}
        assert isinstance(headers, dict)
        response = RestApi(http, "").send(
            "GET",
            str(source["url"]),
            "reading the external_account credential_source URL",
            headers={str(k): str(v) for k, v in headers.items()},
        )
        if response.status_code >= 400:
            raise CredentialsError(
                f"the external_account credential_source URL answered HTTP {response.status_code}"
            )
        text = response.text
    else:
        raise CredentialsError(
            "the external_account JSON's credential_source has neither file nor url",
            remediation="regenerate it with gcloud iam workload-identity-pools create-cred-config",
        )
    if fmt.get("type") == "json":
        field_name = str(fmt.get("subject_token_field_name", "value"))
        try:
            value = json.loads(text).get(field_name, "")
        except (ValueError, AttributeError):
            value = ""
        return str(value)
    return text.strip()


def _from_external_account(
    http: httpx.Client,
    endpoints: GoogleEndpoints,
    info: Mapping[str, Any],
    mask: Mask,
) -> GoogleToken:
    audience = str(info.get("audience", ""))
    source = info.get("credential_source")
    if not audience or not isinstance(source, dict):
        raise CredentialsError(
            "the external_account JSON needs audience and credential_source",
            remediation="regenerate it with gcloud iam workload-identity-pools create-cred-config",
        )
    subject = _subject_token(http, source)
    if not subject:
        raise CredentialsError("the external_account credential_source gave an empty token")
    mask(subject)
    provider = audience.removeprefix("//iam.googleapis.com/")
    token_url = str(info.get("token_url") or "https://sts.googleapis.com/v1/token")
    if endpoints.override and token_url.startswith("https://sts.googleapis.com/"):
        token_url = endpoints.override + token_url.removeprefix("https://sts.googleapis.com")
    apis = _TokenApis(http, endpoints)
    federated = _sts_exchange(
        apis,
        token_url,
        audience=audience,
        subject_token=subject,
        subject_token_type=str(info.get("subject_token_type") or _JWT),
        provider_hint=provider,
        mask=mask,
    )
    url = str(info.get("service_account_impersonation_url", ""))
    if not url:
        return GoogleToken(federated, f"principal of {provider}", "external-account")
    service_account = url.rpartition("/serviceAccounts/")[2].removesuffix(":generateAccessToken")
    if endpoints.override and url.startswith("https://iamcredentials.googleapis.com/"):
        url = endpoints.override + url.removeprefix("https://iamcredentials.googleapis.com")
    lifetime_info = info.get("service_account_impersonation")
    lifetime = 3600
    if isinstance(lifetime_info, dict):
        lifetime = int(lifetime_info.get("token_lifetime_seconds", 3600))
    token = _impersonate(apis, url, federated, service_account, provider, mask, lifetime)
    return GoogleToken(token, service_account, "external-account")


def from_credentials_json(
    http: httpx.Client,
    endpoints: GoogleEndpoints,
    text: str,
    *,
    mask: Mask,
    now: Callable[[], float] = time.time,
) -> GoogleToken:
    """A service-account key JSON or an external_account JSON -> a token."""
    mask(text)
    try:
        info = json.loads(text)
    except ValueError:
        info = None
    if not isinstance(info, dict):
        raise CredentialsError(
            "gcp-credentials-json is not a JSON object",
            remediation="pass the whole key or credential-configuration file from a secret",
        )
    kind = info.get("type")
    if kind == "service_account":
        return _from_key(http, endpoints, info, mask, now())
    if kind == "external_account":
        return _from_external_account(http, endpoints, info, mask)
    if kind == "authorized_user":
        return _from_authorized_user(http, endpoints, info, mask)
    raise CredentialsError(
        f"the credentials JSON has type {str(kind)[:40]!r}; expected service_account, "
        "external_account or authorized_user",
        remediation="use a service-account key or a Workload Identity credential configuration",
    )


def sign_in(context: RunContext, config: GoogleConfig, client: httpx.Client) -> GoogleToken:
    """A cloud-platform access token for the configured identity (masked)."""
    mask = context.console.mask
    if config.mode == "oidc":
        id_token = context.id_token(config.audience)
        return from_oidc(
            client,
            config.endpoints,
            provider=config.provider,
            id_token=id_token,
            service_account=config.service_account,
            mask=mask,
        )
    if config.mode == "key" and config.credentials_type == "service_account":
        context.console.warning(
            "google-cloud-run signs in with a service-account key. Workload Identity "
            "Federation (gcp-workload-identity-provider) needs no stored key and cannot "
            "leak: set it up and drop gcp-credentials-json.",
            title="Long-lived key",
        )
    token = from_credentials_json(client, config.endpoints, config.credentials_json, mask=mask)
    if config.mode == "ambient":
        context.console.info(
            f"Application Default Credentials ({config.ambient_file[:200]}): {token.identity} "
            f"({token.mode})."
        )
    return token
