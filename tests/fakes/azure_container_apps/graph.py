"""Microsoft Graph v1.0, the part ``trust --apply`` calls: an application's federated
identity credentials (list, get by id or name, create; a name or an issuer and subject used
twice is refused as Graph refuses it) and its service principal, for tokens of Graph's
audience. What is created here is what :class:`FakeEntra`'s
token endpoint matches a client assertion against."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx

from ..server import FakeBase, json_response
from .entra import GRAPH_AUDIENCE, FakeEntra, FederatedCredential

__all__ = ["FakeGraph", "credential_id", "service_principal_id"]

_CREDENTIALS = re.compile(
    r"^/v1\.0/applications\(appId='([^']+)'\)/federatedIdentityCredentials(?:/([^/]+))?$"
)
_PRINCIPAL = re.compile(r"^/v1\.0/servicePrincipals\(appId='([^']+)'\)$")
_FIELDS = {"name", "issuer", "subject", "audiences", "description"}
#: Graph requires these of a new credential (``audiences``: exactly one, as Entra ID takes).
_REQUIRED = ("name", "issuer", "subject")


def service_principal_id(client_id: str) -> str:
    """The object id of an app's service principal in this fake (stable per app)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sp:{client_id}"))


def credential_id(issuer: str, subject: str) -> str:
    """The object id of a federated credential in this fake (stable per issuer and subject)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{issuer}|{subject}"))


def _error(status: int, code: str, message: str) -> httpx.Response:
    return json_response(status, {"error": {"code": code, "message": message}})


class FakeGraph(FakeBase):
    """Graph over ``entra``'s apps; any token ``entra`` issued is accepted."""

    name = "graph"

    def __init__(self, entra: FakeEntra) -> None:
        super().__init__()
        self.entra = entra
        #: The credentials' names and descriptions, by app (Entra keeps issuer and subject).
        self.names: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}

    def reset_state(self) -> None:
        self.names = {}

    def snapshot(self) -> dict[str, Any]:
        return {app: sorted(n["name"] for n in names.values()) for app, names in self.names.items()}

    def handle(self, request: httpx.Request) -> httpx.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.entra.issued:
            return _error(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
        if self.entra.audiences.get(token, GRAPH_AUDIENCE) != GRAPH_AUDIENCE:
            return _error(
                401,
                "InvalidAuthenticationToken",
                "Access token validation failure. Invalid audience.",
            )
        path = request.url.path
        principal = _PRINCIPAL.match(path)
        if principal and request.method == "GET":
            client_id = principal[1]
            if client_id not in self.entra.apps:
                return _error(404, "Request_ResourceNotFound", f"'{client_id}' does not exist.")
            return json_response(200, {"id": service_principal_id(client_id), "appId": client_id})
        credentials = _CREDENTIALS.match(path)
        if credentials is None:
            return _error(400, "BadRequest", f"Resource not found for the segment in {path}.")
        app = self.entra.apps.get(credentials[1])
        if app is None:
            return _error(404, "Request_ResourceNotFound", f"'{credentials[1]}' does not exist.")
        names = self.names.setdefault(app.client_id, {})
        listed = [
            {
                "id": credential_id(c.issuer, c.subject),
                "issuer": c.issuer,
                "subject": c.subject,
                "audiences": list(c.audiences),
                **names.get((c.issuer, c.subject), {"name": "", "description": None}),
            }
            for c in app.federated
        ]
        key = credentials[2]
        if key is not None:  # one credential, by its id or its name
            if request.method != "GET":
                return _error(405, "Request_BadRequest", "Method not allowed.")
            found = [c for c in listed if key in (c["id"], c["name"])]
            if not found:
                return _error(404, "Request_ResourceNotFound", f"'{key}' does not exist.")
            return json_response(200, found[0])
        if request.method == "GET":
            return json_response(200, {"value": listed})
        if request.method != "POST":
            return _error(405, "Request_BadRequest", "Method not allowed.")
        body = json.loads(request.content or b"null")
        if (
            not isinstance(body, dict)
            or set(body) - _FIELDS
            or not all(isinstance(body.get(f), str) and body[f] for f in _REQUIRED)
            or len(body["name"]) > 120
            or not isinstance(body.get("audiences"), list)
            or len(body["audiences"]) != 1
        ):
            return _error(400, "Request_BadRequest", "Invalid federated identity credential.")
        if any(n["name"] == body["name"] for n in names.values()) or any(
            (c.issuer, c.subject) == (body.get("issuer"), body.get("subject"))
            for c in app.federated
        ):
            return _error(
                409,
                "Request_BadRequest",
                "FederatedIdentityCredential with the same name or "
                "issuer and subject already exists.",
            )
        app.federated.append(
            FederatedCredential(str(body["issuer"]), str(body["subject"]), tuple(body["audiences"]))
        )
        names[(str(body["issuer"]), str(body["subject"]))] = {
            "name": body["name"],
            "description": body.get("description"),
        }
        made = credential_id(str(body["issuer"]), str(body["subject"]))
        return json_response(201, {"id": made, "description": None, **body})
