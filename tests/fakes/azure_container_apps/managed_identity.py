"""A machine's Azure identity, as a contract fake: the managed identity endpoints and the az CLI.

- ``GET /metadata/identity/oauth2/token`` — the Instance Metadata Service of a VM
  (``Metadata: true`` required, ``api-version``, ``resource``, an optional ``client_id`` of
  a user-assigned identity), answering Entra's token JSON (``expires_in`` as a string, as
  IMDS sends it) or its error JSON (``invalid_request``, ``invalid_resource``, "Identity not
  found");
- ``GET /msi/token`` — the identity endpoint of App Service and Container Apps
  (``X-IDENTITY-HEADER`` must be the secret of ``IDENTITY_HEADER``, api-version 2019-08-01);
- :func:`install_fake_az` — an ``az`` program on a PATH directory that answers
  ``az account get-access-token --resource <resource> -o json`` as the Azure CLI does, or
  fails as it does before ``az login``.

Every token issued is recorded in the :class:`~.entra.FakeEntra` given, so the fake ARM
accepts it as an Entra token.
"""

from __future__ import annotations

import json
import secrets as _secrets
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from ..server import FakeBase, json_response
from .entra import FakeEntra

__all__ = ["IMDS_PATH", "MSI_PATH", "FakeManagedIdentity", "install_fake_az"]

IMDS_PATH = "/metadata/identity/oauth2/token"
MSI_PATH = "/msi/token"
#: The resource ids Entra knows: ARM and Microsoft Graph (with and without the trailing slash).
_ARM_RESOURCES = (
    "https://management.azure.com/",
    "https://management.azure.com",
    "https://graph.microsoft.com/",
    "https://graph.microsoft.com",
)


class FakeManagedIdentity(FakeBase):
    """A VM's IMDS and an app's identity endpoint, issuing tokens ``entra`` records."""

    name = "managed-identity"

    def __init__(self, entra: FakeEntra, *, header_secret: str = "") -> None:
        super().__init__()
        self.entra = entra
        #: IDENTITY_HEADER's value, which the identity endpoint requires.
        self.header_secret = header_secret or _secrets.token_urlsafe(24)
        #: The client ids of the identities assigned; "system" is the system-assigned one.
        self.identities: dict[str, str] = {"system": "99999999-8888-7777-6666-555555555555"}

    def reset_state(self) -> None:
        with self._lock:
            self.identities = {"system": "99999999-8888-7777-6666-555555555555"}

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"identities": sorted(self.identities)}

    def handle(self, request: httpx.Request) -> httpx.Response:
        path, query = request.url.path, request.url.params
        if request.method != "GET" or path not in (IMDS_PATH, MSI_PATH):
            return json_response(404, {"error": "not_found"})
        if path == IMDS_PATH:
            if request.headers.get("Metadata") != "true":
                return _error(400, "invalid_request", "Required metadata header not specified")
            if query.get("api-version") not in ("2018-02-01", "2019-08-01"):
                return _error(400, "invalid_request", "Invalid api-version")
        else:
            if request.headers.get("X-IDENTITY-HEADER") != self.header_secret:
                return json_response(
                    401, {"error": {"code": "Unauthorized", "message": "Invalid header"}}
                )
            if query.get("api-version") != "2019-08-01":
                return _error(400, "invalid_request", "Invalid api-version")
        resource = query.get("resource", "")
        if resource not in _ARM_RESOURCES:
            return _error(400, "invalid_resource", f"Invalid resource {resource[:100]}")
        wanted = query.get("client_id", "")
        with self._lock:
            known = set(self.identities.values())
            client_id = wanted or self.identities["system"]
            if client_id not in known:
                return _error(400, "invalid_request", "Identity not found")
            token = "eyJ0eXAiOiJKV1QifQ.mi-" + _secrets.token_urlsafe(24)
        self.entra.issued[token] = client_id
        now = int(time.time())
        return json_response(
            200,
            {
                "access_token": token,
                "client_id": client_id,
                "expires_in": "86399",
                "expires_on": str(now + 86399),
                "ext_expires_in": "86399",
                "not_before": str(now),
                "resource": resource,
                "token_type": "Bearer",
            },
        )


def _error(status: int, error: str, description: str) -> httpx.Response:
    return json_response(status, {"error": error, "error_description": description})


_AZ = """\
#!{python}
# A stand-in for the Azure CLI (tests only): account get-access-token, as az 2.x answers it.
import json, sys, time
state = json.loads({state!r})
args = sys.argv[1:]
time.sleep(state["delay"])
if args[:2] != ["account", "get-access-token"]:
    sys.stderr.write("ERROR: fake az knows only account get-access-token\\n")
    sys.exit(2)
if not state["logged_in"]:
    sys.stderr.write("ERROR: Please run 'az login' to setup account.\\n")
    sys.exit(1)
resource = args[args.index("--resource") + 1] if "--resource" in args else ""
if resource not in ("https://management.azure.com/", "https://management.azure.com"):
    sys.stderr.write("ERROR: AADSTS500011: The resource principal was not found.\\n")
    sys.exit(1)
with open(state["log"], "a") as log:
    log.write(json.dumps(args) + "\\n")
print(json.dumps({{
    "accessToken": state["token"],
    "expiresOn": "2030-01-01 00:00:00.000000",
    "expires_on": 1893456000,
    "subscription": state["subscription"],
    "tenant": state["tenant"],
    "tokenType": "Bearer",
}}, indent=2))
"""


def install_fake_az(
    bin_dir: Path,
    entra: FakeEntra,
    *,
    tenant: str,
    subscription: str,
    logged_in: bool = True,
    delay: float = 0.0,
) -> tuple[str, Path]:
    """Write an ``az`` into ``bin_dir`` (put it on PATH); return the token it hands out (which
    ``entra`` knows as a user's) and the file where each call's arguments are logged."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    token = "eyJ0eXAiOiJKV1QifQ.az-" + _secrets.token_urlsafe(24)
    entra.issued[token] = "user@contoso.example"
    log = bin_dir / "az-calls.jsonl"
    state = {
        "token": token,
        "tenant": tenant,
        "subscription": subscription,
        "logged_in": logged_in,
        "delay": delay,
        "log": str(log),
    }
    az = bin_dir / "az"
    az.write_text(_AZ.format(python=sys.executable, state=json.dumps(state)))
    az.chmod(0o755)
    return token, log
