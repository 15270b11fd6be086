"""``auth: ambient``: the Azure identity of the machine or the person, not of a CI job.

Tried in this order, the first that applies is used:

1. a managed identity's local endpoint, when ``IDENTITY_ENDPOINT`` and ``IDENTITY_HEADER``
   are set (App Service, Functions, Container Apps): ``GET <endpoint>?resource=…&
   api-version=2019-08-01`` with the header ``X-IDENTITY-HEADER``;
2. the az CLI's sign-in, when ``az`` is on PATH: ``az account get-access-token --resource
   … -o json``, run with a timeout (a person's ``az login``);
3. the Instance Metadata Service of an Azure VM: ``GET http://169.254.169.254/metadata/
   identity/oauth2/token?api-version=2018-02-01&resource=…`` with ``Metadata: true``
   (:data:`IMDS_URL_ENV` replaces the URL, for a loopback emulator).

``AZURE_CLIENT_ID`` picks a user-assigned managed identity (1 and 3). The token is for the
ARM resource id of ``azure-cloud`` (:attr:`.config.AzureConfig.arm_resource`) and is masked
the moment it is read; no message quotes it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from ...context import RunContext
from ...errors import CredentialExchangeError
from ...rest import RestApi, json_or_none
from ...urls import check_endpoint
from .config import AzureConfig
from .failures import EntraError

__all__ = ["IMDS_URL", "IMDS_URL_ENV", "AmbientToken", "ambient_token"]

IMDS_URL = "http://169.254.169.254/metadata/identity/oauth2/token"
#: Emulators only: a loopback URL replacing :data:`IMDS_URL`.
IMDS_URL_ENV = "PMCP_AZURE_IMDS_URL"
IDENTITY_ENDPOINT_ENV = "IDENTITY_ENDPOINT"
IDENTITY_HEADER_ENV = "IDENTITY_HEADER"
#: The client id of a user-assigned managed identity (the system-assigned one without it).
USER_ASSIGNED_ENV = "AZURE_CLIENT_ID"
#: How long ``az account get-access-token`` may take (it may refresh its token first).
AZ_TIMEOUT_SECONDS = 60.0
_AZ_LOGIN = "Run az login (az account set --subscription <id> picks the subscription)."


@dataclass(frozen=True)
class AmbientToken:
    """An ARM access token from the ambient identity, and whose it is (for the summary)."""

    access_token: str = field(repr=False)
    identity: str
    expires_in: int = 0


class _ManagedIdentityEnvelope:
    """A managed identity endpoint: anything but 200 with an ``access_token`` is a refusal."""

    def __init__(self, where: str) -> None:
        self.where = where

    def failed(self, response: httpx.Response) -> bool:
        body = json_or_none(response)
        return response.status_code != 200 or not (
            isinstance(body, dict) and isinstance(body.get("access_token"), str)
        )

    def error(self, response: httpx.Response, doing: str) -> EntraError:
        body = json_or_none(response)
        said = ""
        if isinstance(body, dict):
            error = body.get("error")
            if isinstance(error, dict):  # the identity endpoint's {"error": {"code", ...}}
                error = error.get("code")
            said = f" ({str(error)[:80]}: {str(body.get('error_description', ''))[:200]})"
        return EntraError(
            f"{doing[:1].upper()}{doing[1:]} failed: HTTP {response.status_code}{said}.",
            status=response.status_code,
            remediation=f"Give the {self.where} a managed identity with a role on the "
            "subscription (or resource group), set AZURE_CLIENT_ID for a user-assigned one, "
            "or run az login and unset IDENTITY_ENDPOINT.",
        )


def _query(
    config: AzureConfig, environ: Mapping[str, str], version: str, resource: str = ""
) -> dict[str, str]:
    query = {"api-version": version, "resource": resource or config.arm_resource}
    user_assigned = environ.get(USER_ASSIGNED_ENV, "").strip()
    if user_assigned:
        query["client_id"] = user_assigned
    return query


def _from_endpoint(
    context: RunContext,
    config: AzureConfig,
    client: httpx.Client,
    endpoint: str,
    secret: str,
    resource: str = "",
) -> AmbientToken:
    context.console.mask(secret)
    url = check_endpoint(endpoint, f"environment variable {IDENTITY_ENDPOINT_ENV}")
    api = RestApi(
        client,
        url,
        envelope=_ManagedIdentityEnvelope("app"),
        headers={"X-IDENTITY-HEADER": secret},
        reach_hint=IDENTITY_ENDPOINT_ENV,
    )
    body = api.call_json(
        "GET",
        url,
        "asking the app's managed identity endpoint for an ARM token",
        params=_query(config, context.environ, "2019-08-01", resource),
    )
    return _token(context, body, "the managed identity (IDENTITY_ENDPOINT)")


def _from_imds(
    context: RunContext, config: AzureConfig, client: httpx.Client, resource: str = ""
) -> AmbientToken:
    given = context.environ.get(IMDS_URL_ENV, "").strip()
    url = check_endpoint(given, f"environment variable {IMDS_URL_ENV}") if given else IMDS_URL
    api = RestApi(
        client,
        url,
        envelope=_ManagedIdentityEnvelope("VM"),
        headers={"Metadata": "true"},
        reach_hint=f"the VM's Instance Metadata Service (no az on PATH); or {IMDS_URL_ENV}",
    )
    body = api.call_json(
        "GET",
        url,
        "asking the VM's Instance Metadata Service for a managed identity's ARM token",
        params=_query(config, context.environ, "2018-02-01", resource),
    )
    return _token(context, body, "the VM's managed identity (IMDS)")


def _token(context: RunContext, body: Mapping[str, Any], whose: str) -> AmbientToken:
    token = str(body["access_token"])  # the envelope refuses an answer without one
    context.console.mask(token)
    client_id = str(body.get("client_id", ""))[:64]
    expires = str(body.get("expires_in", "0"))
    return AmbientToken(
        token,
        f"{whose}{f' client {client_id}' if client_id else ''}",
        int(expires) if expires.isdigit() else 0,
    )


def _from_az(context: RunContext, config: AzureConfig, az: str, resource: str = "") -> AmbientToken:
    resource = resource or config.arm_resource
    command = [az, "account", "get-access-token", "--resource", resource, "-o", "json"]
    try:
        done = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
            command,
            env=dict(context.environ),
            capture_output=True,
            text=True,
            timeout=AZ_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise CredentialExchangeError(
            f"az account get-access-token did not answer within {AZ_TIMEOUT_SECONDS:g} s.",
            remediation="Run it yourself to see why (a proxy, an expired sign-in); " + _AZ_LOGIN,
        ) from exc
    except OSError as exc:
        raise CredentialExchangeError(
            f"az could not be started ({exc.strerror or type(exc).__name__}).",
            remediation="Reinstall the Azure CLI, or use OIDC or azure-client-secret.",
        ) from exc
    try:
        body = json.loads(done.stdout) if done.returncode == 0 else None
    except ValueError:
        body = None
    token = body.get("accessToken") if isinstance(body, dict) else None
    if not isinstance(body, dict) or not isinstance(token, str) or not token:
        said = (done.stderr.strip().splitlines() or [""])[-1][:300]
        raise CredentialExchangeError(
            "The az CLI gave no ARM token (az account get-access-token exited "
            f"{done.returncode}{': ' + said if said else ''}).",
            remediation=_AZ_LOGIN,
        )
    context.console.mask(token)
    subscription = str(body.get("subscription", ""))[:64]
    tenant = str(body.get("tenant", ""))[:64]
    if subscription and config.subscription_id and subscription != config.subscription_id:
        context.console.info(
            f"The az CLI's default subscription is {subscription}; deploying to "
            f"azure-subscription-id {config.subscription_id} with the same sign-in."
        )
    return AmbientToken(token, f"the az CLI's sign-in (tenant {tenant or 'unknown'})")


def ambient_token(
    context: RunContext, config: AzureConfig, client: httpx.Client, resource: str = ""
) -> AmbientToken:
    """A token for ``resource`` (default: ARM's) from the first ambient source that applies
    (see the module's text); ``trust --apply`` asks for Microsoft Graph's too."""
    environ = context.environ
    endpoint = environ.get(IDENTITY_ENDPOINT_ENV, "").strip()
    secret = environ.get(IDENTITY_HEADER_ENV, "").strip()
    if endpoint and secret:
        return _from_endpoint(context, config, client, endpoint, secret, resource)
    az = shutil.which("az", path=environ.get("PATH", ""))
    if az is not None and not environ.get(IMDS_URL_ENV, "").strip():
        return _from_az(context, config, az, resource)
    return _from_imds(context, config, client, resource)
