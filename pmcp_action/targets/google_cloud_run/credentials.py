"""Google credentials -> one OAuth access token for cloud-platform, masked at once.

Three ways in (reference: cloud-apis.md §1.1):

- the CI's OIDC token -> STS token exchange (Workload Identity Federation), then
  ``generateAccessToken`` when a service account is to be impersonated;
- a service-account key JSON -> a signed RS256 JWT -> the JWT-bearer grant (signed with the
  pure-Python ``rsa`` package, imported only on this path);
- an ``external_account`` JSON (what google-github-actions/auth writes): its audience,
  token URL, impersonation URL and subject-token source are honoured.

Every token, assertion and key is given to ``mask`` the moment it exists.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ...errors import PmcpActionError, RemoteApiError
from ...oidc import describe_claims_for_error
from .endpoints import GoogleEndpoints
from .failures import oauth_error_text, raise_for_google

__all__ = [
    "CLOUD_PLATFORM",
    "CredentialsError",
    "GoogleToken",
    "default_audience",
    "from_credentials_json",
    "from_oidc",
]

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
_TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
_ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
_JWT = "urn:ietf:params:oauth:token-type:jwt"
_JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"

Mask = Callable[[str], None]


class CredentialsError(PmcpActionError):
    """Google refused the credentials, or they cannot be used."""

    title = "Google credentials refused"


@dataclass(frozen=True)
class GoogleToken:
    """A cloud-platform access token and who it speaks for."""

    access_token: str
    #: The service account, or the federated principal's provider (direct WIF).
    identity: str
    #: "workload-identity", "workload-identity+impersonation", "service-account-key",
    #: "external-account".
    mode: str
    #: A key file's project_id ("" otherwise), a fallback for the project.
    project_id: str = ""

    def __repr__(self) -> str:  # never print the token
        return f"GoogleToken(identity={self.identity!r}, mode={self.mode!r})"


def default_audience(provider: str) -> str:
    """The OIDC audience Google expects by default for a provider resource name."""
    return f"https://iam.googleapis.com/{provider}"


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise RemoteApiError(
            f"{response.request.url.host} answered HTTP {response.status_code} without JSON",
            status=response.status_code,
        )
    return body


def _sts_exchange(
    http: httpx.Client,
    token_url: str,
    *,
    audience: str,
    subject_token: str,
    subject_token_type: str,
    provider_hint: str,
    mask: Mask,
) -> str:
    response = http.post(
        token_url,
        json={
            "grantType": _TOKEN_EXCHANGE,
            "audience": audience,
            "scope": CLOUD_PLATFORM,
            "requestedTokenType": _ACCESS_TOKEN,
            "subjectToken": subject_token,
            "subjectTokenType": subject_token_type,
        },
    )
    if response.status_code >= 400:
        details = ""
        try:
            details = describe_claims_for_error(subject_token)
        except Exception:  # noqa: BLE001 - a non-JWT subject token has no claims to show
            details = ""
        raise CredentialsError(
            f"Google STS refused the CI token for {provider_hint}: {oauth_error_text(response)}",
            remediation=(
                f"the provider {provider_hint} must accept these claims: its issuer URI must be "
                "the token's iss, its allowed audiences must include the token's aud (or leave "
                "them empty and use the default audience), and its attribute condition must "
                "hold for them (e.g. assertion.repository == 'owner/repo')"
            ),
            details=details,
        )
    token = str(_json(response).get("access_token", ""))
    if not token:
        raise RemoteApiError("Google STS answered without access_token")
    mask(token)
    return token


def _impersonate(
    http: httpx.Client,
    url: str,
    federated: str,
    service_account: str,
    provider_hint: str,
    mask: Mask,
    lifetime: int = 3600,
) -> str:
    response = http.post(
        url,
        headers={"Authorization": f"Bearer {federated}"},
        json={"scope": [CLOUD_PLATFORM], "lifetime": f"{lifetime}s"},
    )
    if response.status_code == 403:
        try:
            raise_for_google(response, f"impersonating {service_account}")
        except RemoteApiError as exc:
            raise CredentialsError(
                exc.message,
                remediation=(
                    f"grant the federated principal of {provider_hint} "
                    f"roles/iam.workloadIdentityUser on {service_account}, e.g. for "
                    "principalSet://iam.googleapis.com/<pool>/attribute.repository/<owner/repo>"
                ),
            ) from None
    raise_for_google(response, f"impersonating {service_account}")
    token = str(_json(response).get("accessToken", ""))
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
    federated = _sts_exchange(
        http,
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
        http,
        _impersonation_url(endpoints, service_account),
        federated,
        service_account,
        provider,
        mask,
    )
    return GoogleToken(token, service_account, "workload-identity+impersonation")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _rsa_key(key_pem: str) -> Any:
    """The RSA key of a PEM ``PRIVATE KEY`` (PKCS#8, as Google issues) or ``RSA PRIVATE KEY``."""
    import rsa  # pure Python (with pyasn1): a few hundred kB instead of cryptography's 16 MB
    from pyasn1.codec.der import decoder
    from pyasn1.error import PyAsn1Error

    text = key_pem.strip()
    try:
        if text.startswith("-----BEGIN RSA PRIVATE KEY-----"):
            return rsa.PrivateKey.load_pkcs1(text.encode(), format="PEM")
        if text.startswith("-----BEGIN PRIVATE KEY-----"):
            body = "".join(text.splitlines()[1:-1])
            info, _rest = decoder.decode(base64.b64decode(body, validate=True))
            # PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier, privateKey OCTET STRING }
            if str(info[1][0]) != _RSA_ENCRYPTION:
                raise CredentialsError("the service-account key's private_key is not an RSA key")
            return rsa.PrivateKey.load_pkcs1(bytes(info[2]), format="DER")
    except CredentialsError:
        raise
    except (ValueError, TypeError, IndexError, PyAsn1Error):
        pass
    raise CredentialsError(
        "the service-account key's private_key is not an unencrypted PEM RSA key",
        remediation="create a new JSON key for the service account",
    )


_RSA_ENCRYPTION = "1.2.840.113549.1.1.1"


def sign_jwt(key_pem: str, key_id: str, claims: Mapping[str, Any]) -> str:
    """An RS256 JWT: RSASSA-PKCS1-v1_5 over SHA-256, as RFC 7518 §3.3 defines it."""
    import rsa

    key = _rsa_key(key_pem)
    header = {"alg": "RS256", "typ": "JWT", "kid": key_id}
    signing_input = (
        _b64(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64(json.dumps(dict(claims), separators=(",", ":")).encode())
    )
    signature = rsa.sign(signing_input.encode(), key, "SHA-256")
    return f"{signing_input}.{_b64(signature)}"


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
    response = http.post(token_uri, data={"grant_type": _JWT_BEARER, "assertion": assertion})
    if response.status_code >= 400:
        raise CredentialsError(
            f"Google refused the service-account key of {info['client_email']}: "
            f"{oauth_error_text(response)}",
            remediation=(
                "check that the key was not deleted or disabled and that the runner's clock "
                "is right; better, use Workload Identity Federation"
            ),
        )
    token = str(_json(response).get("access_token", ""))
    if not token:
        raise RemoteApiError("the token endpoint answered without access_token")
    mask(token)
    return GoogleToken(
        token,
        str(info["client_email"]),
        "service-account-key",
        project_id=str(info.get("project_id", "")),
    )


def _subject_token(http: httpx.Client, source: Mapping[str, Any]) -> str:
    fmt = source.get("format") if isinstance(source.get("format"), dict) else {}
    assert isinstance(fmt, dict)
    if source.get("file"):
        text = Path(str(source["file"])).read_text(encoding="utf-8")
    elif source.get("url"):
        headers = source.get("headers") if isinstance(source.get("headers"), dict) else {}
        assert isinstance(headers, dict)
        response = http.get(
            str(source["url"]), headers={str(k): str(v) for k, v in headers.items()}
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
    federated = _sts_exchange(
        http,
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
    token = _impersonate(http, url, federated, service_account, provider, mask, lifetime)
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
    raise CredentialsError(
        f"gcp-credentials-json has type {str(kind)[:40]!r}; expected service_account or "
        "external_account",
        remediation="use a service-account key or a Workload Identity credential configuration",
    )
