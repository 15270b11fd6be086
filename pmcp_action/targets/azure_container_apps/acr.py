"""Azure Container Registry: the registry resource, and a registry login without ``az``.

The registry (``Microsoft.ContainerRegistry/registries/<name>`` in the app's resource
group) is read, and created SKU Basic with the ownership mark when missing (the
provider registered first when it is ``NotRegistered``); an image already in another
registry of the subscription is found by its login server.

The login is what ``az acr login`` does: ``GET https://<login server>/v2/`` names the token
service (``WWW-Authenticate: Bearer realm=…,service=…``); ``POST <realm host>/oauth2/exchange``
(``grant_type=access_token``, the service, the tenant and the Entra ID ARM token) answers an
ACR refresh token, which is the password of the user ``00000000-0000-0000-0000-000000000000``
for the registry's own token service. The Entra ID token is sent only to the login server's
host (or, for an emulator, to loopback). Every token is masked the moment it exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from ... import ownership
from ...artifact.oci_image.model import RegistryLogin
from ...artifact.oci_image.reference import ImageReference
from ...ci.base import Platform
from ...errors import DeployError, RemoteApiError
from ...rest import RestApi, json_object
from ...urls import is_loopback_host
from .arm import Arm
from .declaration import NAME
from .failures import AcrExchangeEnvelope, ArmError

__all__ = [
    "ACR_USER",
    "PROVIDER",
    "REGISTRY_API",
    "Registry",
    "acr_login",
    "ensure_registry",
    "find_registry",
    "read_registry",
]

REGISTRY_API = "2023-07-01"
PROVIDER = "Microsoft.ContainerRegistry"
#: The user name ACR's token service takes with a refresh token as the password.
ACR_USER = "00000000-0000-0000-0000-000000000000"
_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^,\s]*))')
_NAME_TAKEN = ("AlreadyInUse", "RegistryNameNotAvailable", "NameNotAvailable")


@dataclass(frozen=True)
class Registry:
    """A registry as ARM shows it."""

    id: str
    name: str
    login_server: str
    admin_enabled: bool
    #: Created by this run.
    created: bool = False
    managed: bool = False

    @classmethod
    def of(cls, resource: dict[str, Any], *, created: bool = False) -> Registry:
        props = resource.get("properties") or {}
        return cls(
            id=str(resource.get("id") or ""),
            name=str(resource.get("name") or ""),
            login_server=str(props.get("loginServer") or ""),
            admin_enabled=bool(props.get("adminUserEnabled")),
            created=created,
            managed=ownership.is_managed(resource.get("tags")),
        )


def registry_path(arm: Arm, group: str, name: str) -> str:
    return f"{arm.group_path(group)}/providers/{PROVIDER}/registries/{name}"


def read_registry(arm: Arm, group: str, name: str) -> Registry | None:
    found = arm.get(registry_path(arm, group, name), REGISTRY_API, f"reading registry {name}")
    return Registry.of(found) if found is not None else None


def ensure_registry(
    arm: Arm, group: str, name: str, location: str, console: Platform, *, derived: bool
) -> Registry:
    """The registry, created Basic (with the ownership mark) when missing; the LRO awaited."""
    found = read_registry(arm, group, name)
    if found is not None:
        return found
    if arm.provider_state(PROVIDER) == "NotRegistered":
        console.info(
            f"Registering the resource provider {PROVIDER} (first use in this subscription)…"
        )
        arm.register_provider(PROVIDER)
        console.info(f"{PROVIDER} is registered.")
    how = " (derived from the subscription, group and server name)" if derived else ""
    console.info(f"Creating container registry {name}{how}, SKU Basic, in {group}…")
    path = registry_path(arm, group, name)
    body = {
        "location": location,
        "tags": ownership.labels(),
        "sku": {"name": "Basic"},
        "properties": {"adminUserEnabled": False},
    }
    try:
        created = arm.put(path, body, f"creating registry {name}", REGISTRY_API)
    except ArmError as exc:
        if any(code in exc.code for code in _NAME_TAKEN):
            raise DeployError(
                f"The registry name {name} is taken: ACR names are global, and "
                f"{name}.azurecr.io belongs to someone else.",
                target=NAME,
                remediation="Set azure-registry to another name (5 to 50 letters and digits).",
            ) from exc
        raise
    registry = Registry.of(created or arm.get(path, REGISTRY_API, "reading registry") or {})
    console.info(f"Created container registry {name} ({registry.login_server}).")
    return Registry(
        registry.id,
        registry.name or name,
        registry.login_server,
        registry.admin_enabled,
        created=True,
        managed=True,
    )


def find_registry(arm: Arm, login_server: str) -> Registry | None:
    """The subscription's registry with this login server (an image's host)."""
    url: str = arm.sub_path(f"/providers/{PROVIDER}/registries")
    while url:
        what = "listing the container registries"
        data = json_object(arm.call("GET", url, REGISTRY_API, what), what)
        for item in data.get("value") or []:
            if isinstance(item, dict):
                registry = Registry.of(item)
                if registry.login_server.lower() == login_server.lower():
                    return registry
        url = str(data.get("nextLink") or "")
    return None


# --- the login -------------------------------------------------------------------------------


def _challenge(registry: RestApi, host: str) -> tuple[str, str]:
    """The token service's origin and service name from the registry's ``/v2/`` answer."""
    response = registry.send("GET", "/v2/", f"asking the registry {host} how to log in")
    header = response.headers.get("WWW-Authenticate", "")
    scheme, _, rest = header.partition(" ")
    params = {m[1].lower(): m[2] or m[3] for m in _PARAM.finditer(rest)}
    realm = params.get("realm", "") if scheme.lower() == "bearer" else ""
    if not realm:
        return registry.base, host
    parts = urlsplit(realm)
    same = (parts.hostname or "").lower() == host.rsplit(":", 1)[0].lower()
    loopback = is_loopback_host(parts.hostname or "") and is_loopback_host(
        host.rsplit(":", 1)[0].strip("[]")
    )
    if not (same and parts.scheme == "https") and not loopback:
        raise RemoteApiError(
            f"The registry {host} names a token service on another host "
            f"({parts.scheme}://{parts.netloc}); the Entra ID token is not sent there.",
            remediation="Check the registry's login server in the Azure portal.",
        )
    return f"{parts.scheme}://{parts.netloc}", params.get("service") or host


def acr_login(
    client: httpx.Client,
    login_server: str,
    *,
    tenant: str,
    arm_token: str,
    console: Platform,
) -> RegistryLogin:
    """The ACR refresh token for ``login_server`` as a :class:`RegistryLogin`."""
    registry = RestApi(
        client, ImageReference(login_server, "pmcp").base_url, reach_hint="azure-registry"
    )
    origin, service = _challenge(registry, login_server)
    exchange = RestApi(
        client, origin, envelope=AcrExchangeEnvelope(login_server), reach_hint="azure-registry"
    )
    form = {"grant_type": "access_token", "service": service, "access_token": arm_token}
    if tenant:  # optional: auth: ambient may not know it (the token names its own tenant)
        form["tenant"] = tenant
    body = exchange.call_json(
        "POST",
        "/oauth2/exchange",
        f"exchanging the Entra ID token at {login_server}",
        data=form,
    )
    token = str(body["refresh_token"])  # the envelope refuses an answer without one
    console.mask(token)
    return RegistryLogin(
        ACR_USER,
        token,
        source=f"the ACR refresh token of {login_server} (exchanged from the Entra ID token)",
    )
