"""Secret Manager API v1: secrets (create, get, list with a filter, patch, delete), their
versions (addVersion, get, list, access, disable, enable, destroy) and IAM policies.

Strict about shapes, as the real API is: a field a message does not have, a query parameter
its request does not take, a secret id outside ``[A-Za-z0-9_-]{1,255}``, labels and
annotations outside their rules, a payload over 64 KiB, a missing ``replication`` or
``updateMask``, a filter term it does not understand — each is 400 INVALID_ARGUMENT. Names
are answered with the project's number (``projects/<number>/secrets/<id>``), whichever of
id or number the path gave. A stale etag (a patch, a delete, a policy) is 409 ABORTED.

:meth:`SecretManager.readable_by` is what Cloud Run asks before a revision reads a secret:
the version is enabled and the revision's service account holds
``roles/secretmanager.secretAccessor`` on the secret.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..server import json_response
from .envelope import error
from .state import GoogleState

__all__ = ["SM_ROUTE", "FakeSecret", "FakeSecretVersion", "SecretManager", "as_state_numbers"]

SM_ROUTE = re.compile(
    r"^/v1/projects/(?P<project>[^/]+)/secrets"
    r"(?:/(?P<secret>[^/:]+)(?::(?P<verb>[A-Za-z]+))?"
    r"(?:/versions(?:/(?P<version>[^/:]+)(?::(?P<version_verb>[A-Za-z]+))?)?)?)?$"
)
ACCESSOR = "roles/secretmanager.secretAccessor"
_SECRET_ID = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
_ANNOTATION_KEY = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$")
_SECRET_FIELDS = {
    "name", "replication", "createTime", "labels", "topics", "expireTime", "ttl", "etag",
    "rotation", "versionAliases", "annotations", "versionDestroyTtl",
    "customerManagedEncryption", "tags", "secretType", "policyMember",
}  # fmt: skip
_UPDATABLE = {
    "labels", "annotations", "topics", "rotation", "expireTime", "ttl", "versionAliases",
    "versionDestroyTtl", "customerManagedEncryption",
}  # fmt: skip
_STATES = {"STATE_UNSPECIFIED": 0, "ENABLED": 1, "DISABLED": 2, "DESTROYED": 3}
_SYSTEM_PARAMS = {"$alt", "alt", "$fields", "fields", "key", "prettyPrint", "quotaUser"}
_MAX_PAYLOAD = 64 * 1024
_FILTER_TERM = re.compile(r"^(labels\.[a-z][a-z0-9_-]*)=([a-z0-9_-]*)$|^name:([A-Za-z0-9_-]+)$")


@dataclass
class FakeSecretVersion:
    number: int
    data: bytes = field(repr=False)
    state: str = "ENABLED"

    def to_api(self, secret: str) -> dict[str, Any]:
        return {
            "name": f"{secret}/versions/{self.number}",
            "createTime": "2026-12-07T08:00:00Z",
            "state": self.state,
            "replicationStatus": {"automatic": {}},
            "etag": f'"v{self.number}{self.state[0]}"',
        }


@dataclass
class FakeSecret:
    name: str
    replication: dict[str, Any]
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    etag: str = '"e0"'
    versions: list[FakeSecretVersion] = field(default_factory=list)
    policy: dict[str, Any] = field(default_factory=lambda: {"version": 1, "etag": "ACAB"})

    @property
    def short(self) -> str:
        return self.name.rsplit("/", 1)[1]

    def to_api(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "replication": self.replication,
            "createTime": "2026-12-07T08:00:00Z",
            "etag": self.etag,
        }
        if self.labels:
            body["labels"] = dict(self.labels)
        if self.annotations:
            body["annotations"] = dict(self.annotations)
        return body

    def version(self, wanted: str) -> FakeSecretVersion | None:
        if wanted == "latest":
            return self.versions[-1] if self.versions else None
        return next((v for v in self.versions if str(v.number) == wanted), None)

    def snapshot(self) -> dict[str, Any]:
        """What a test compares (never a payload)."""
        return {
            **self.to_api(),
            "versions": [(v.number, v.state) for v in self.versions],
            "policy": self.policy,
        }


def _map_problem(where: str, value: Any, key: re.Pattern[str], val: re.Pattern[str] | None) -> str:
    if not isinstance(value, dict):
        return f"{where} must be a map"
    for k, v in value.items():
        if (
            not isinstance(v, str)
            or not key.match(str(k))
            or (val is not None and not val.match(v))
        ):
            return f"{where}: invalid entry {str(k)[:40]!r}"
    if where == "labels" and len(value) > 64:
        return "labels: at most 64"
    if where == "annotations" and sum(len(k) + len(v) for k, v in value.items()) >= 16 * 1024:
        return "annotations: the total size must be under 16KiB"
    return ""


def _secret_problem(body: Any, *, creating: bool) -> str:
    if not isinstance(body, dict):
        return "the body must be a Secret object"
    unknown = sorted(set(body) - _SECRET_FIELDS)
    if unknown:
        return f'Invalid JSON payload received. Unknown name "{unknown[0]}"'
    for where, key, val in (
        ("labels", _LABEL_KEY, _LABEL_VALUE),
        ("annotations", _ANNOTATION_KEY, None),
    ):
        if where in body:
            problem = _map_problem(where, body[where], key, val)
            if problem:
                return problem
    if creating:
        replication = body.get("replication")
        if not isinstance(replication, dict) or len(replication) != 1:
            return "Secret.replication is required: exactly one of automatic, userManaged"
        kind, value = next(iter(replication.items()))
        if kind not in ("automatic", "userManaged") or not isinstance(value, dict):
            return f'Invalid JSON payload received. Unknown name "replication.{kind}"'
        if kind == "userManaged" and not value.get("replicas"):
            return "Secret.replication.userManaged.replicas is required"
    return ""


def _query_problem(params: httpx.QueryParams, allowed: set[str]) -> str:
    unknown = sorted(set(params) - allowed - _SYSTEM_PARAMS)
    if unknown:
        return (
            f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot bind query '
            "parameter."
        )
    return ""


def _selected(secret: FakeSecret, text: str) -> bool | None:
    """Whether ``secret`` passes the filter (``a AND b``); None when a term is not understood."""
    if not text.strip():
        return True
    for term in re.split(r"\s+AND\s+", text.strip()):
        match = _FILTER_TERM.match(term.strip())
        if match is None:
            return None
        label, value, name = match.groups()
        if label is not None and secret.labels.get(label.removeprefix("labels.")) != value:
            return False
        if name is not None and name not in secret.name:
            return False
    return True


class SecretManager(GoogleState):
    """Secret Manager's routes over the shared state."""

    def project_number(self, project: str) -> str:
        """The number of a project given by id or number (a stable made-up one)."""
        if project.isdigit():
            return project
        if project not in self.project_numbers:
            self.project_numbers[project] = str(100000000000 + zlib.crc32(project.encode()))
        return self.project_numbers[project]

    def secret(self, project: str, secret_id: str) -> FakeSecret | None:
        return self.secrets.get(f"projects/{self.project_number(project)}/secrets/{secret_id}")

    def value(self, project: str, secret_id: str, version: str = "latest") -> str:
        """A version's value (for a test's own checks; the API answers it to ``:access``)."""
        found = self.secret(project, secret_id)
        held = found.version(version) if found is not None else None
        if held is None:
            raise KeyError(f"{secret_id}/{version}")
        return held.data.decode()

    def readable_by(self, project: str, secret_id: str, version: str, account: str) -> str:
        """Why ``account`` cannot read the version ("" when it can), as Cloud Run says it."""
        found = self.secret(project, secret_id)
        name = f"projects/{self.project_number(project)}/secrets/{secret_id}/versions/{version}"
        held = found.version(version) if found is not None else None
        if found is None or held is None:
            return f"Secret {name} was not found"
        if held.state != "ENABLED":
            return f"Secret version {name} is in {held.state} state"
        if not any(
            b.get("role") == ACCESSOR and f"serviceAccount:{account}" in (b.get("members") or ())
            for b in found.policy.get("bindings") or ()
        ):
            return (
                f"Permission denied on secret: {name} for Revision service account {account}. "
                "The service account used must be granted the 'Secret Manager Secret Accessor' "
                "role (roles/secretmanager.secretAccessor) at the secret, project or higher level."
            )
        return ""

    def _secret_manager(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        project, sid, verb, version, version_verb = match.group(
            "project", "secret", "verb", "version", "version_verb"
        )
        number = self.project_number(project)
        parent = f"projects/{number}"
        method = request.method
        if sid is None:
            if method == "GET":
                return self._list_secrets(request, parent)
            if method == "POST":
                return self._create_secret(request, parent)
            return error(404, "NOT_FOUND", f"no route {method} {request.url.path}")
        if sid is not None and not _SECRET_ID.match(sid):
            return error(400, "INVALID_ARGUMENT", f"invalid secret id {sid[:40]!r}")
        name = f"{parent}/secrets/{sid}"
        secret = self.secrets.get(name)
        if secret is None:
            return error(404, "NOT_FOUND", f"Secret [{name}] not found.")
        path = request.url.path
        if "/versions" in path:
            return self._secret_versions(request, secret, version, version_verb)
        allowed = {
            ("GET", None): set(),
            ("PATCH", None): {"updateMask"},
            ("DELETE", None): {"etag"},
            ("POST", "addVersion"): set(),
            ("GET", "getIamPolicy"): {"options.requestedPolicyVersion"},
            ("POST", "setIamPolicy"): set(),
        }.get((method, verb))
        if allowed is None:
            return error(404, "NOT_FOUND", f"no route {method} {path}")
        refused = _query_problem(request.url.params, allowed)
        if refused:
            return error(400, "INVALID_ARGUMENT", refused)
        if verb == "addVersion":
            return self._add_version(request, secret)
        if verb == "getIamPolicy":
            return json_response(200, secret.policy)
        if verb == "setIamPolicy":
            return self._set_secret_policy(request, secret)
        if method == "GET":
            return json_response(200, secret.to_api())
        if method == "PATCH":
            return self._patch_secret(request, secret)
        etag = request.url.params.get("etag")
        if etag and etag != secret.etag:
            return error(409, "ABORTED", "etag mismatch: the secret was modified")
        del self.secrets[name]
        return json_response(200, {})

    def _list_secrets(self, request: httpx.Request, parent: str) -> httpx.Response:
        params = request.url.params
        refused = _query_problem(params, {"pageSize", "pageToken", "filter"})
        if refused:
            return error(400, "INVALID_ARGUMENT", refused)
        page_text = params.get("pageSize", "0")
        if not page_text.isdigit():
            return error(400, "INVALID_ARGUMENT", "Invalid value at 'page_size' (TYPE_INT32)")
        ours = sorted(
            (s for s in self.secrets.values() if s.name.startswith(f"{parent}/secrets/")),
            key=lambda s: s.name,
        )
        picked = []
        for secret in ours:
            selected = _selected(secret, params.get("filter", ""))
            if selected is None:
                return error(400, "INVALID_ARGUMENT", "Invalid filter")
            if selected:
                picked.append(secret)
        size = min(int(page_text) or 25000, 25000, self.secrets_page_size)
        start = int(params.get("pageToken", "0") or 0)
        page = picked[start : start + size]
        body: dict[str, Any] = {"secrets": [s.to_api() for s in page]}
        if start + size < len(picked):
            body["nextPageToken"] = str(start + size)
        if not params.get("filter"):
            body["totalSize"] = len(picked)
        return json_response(200, body)

    def _create_secret(self, request: httpx.Request, parent: str) -> httpx.Response:
        refused = _query_problem(request.url.params, {"secretId"})
        if refused:
            return error(400, "INVALID_ARGUMENT", refused)
        sid = request.url.params.get("secretId", "")
        if not _SECRET_ID.match(sid):
            return error(400, "INVALID_ARGUMENT", "secret_id is invalid or missing")
        body = json.loads(request.content or b"null")
        refused = _secret_problem(body, creating=True)
        if refused:
            return error(400, "INVALID_ARGUMENT", refused)
        name = f"{parent}/secrets/{sid}"
        if name in self.secrets:
            return error(409, "ALREADY_EXISTS", f"Secret [{name}] already exists.")
        secret = FakeSecret(
            name,
            body["replication"],
            dict(body.get("labels") or {}),
            dict(body.get("annotations") or {}),
            etag=f'"e{next(self._ids)}"',
        )
        self.secrets[name] = secret
        return json_response(200, secret.to_api())

    def _patch_secret(self, request: httpx.Request, secret: FakeSecret) -> httpx.Response:
        mask = request.url.params.get("updateMask", "")
        if not mask:
            return error(400, "INVALID_ARGUMENT", "update_mask is required")
        body = json.loads(request.content or b"null")
        refused = _secret_problem(body, creating=False)
        if refused:
            return error(400, "INVALID_ARGUMENT", refused)
        paths = [p.strip() for p in mask.split(",")]
        bad = [p for p in paths if p not in _UPDATABLE]
        if bad:
            return error(400, "INVALID_ARGUMENT", f"Invalid field mask path: {bad[0]!r}")
        if body.get("etag") and body["etag"] != secret.etag:
            return error(409, "ABORTED", "etag mismatch: the secret was modified")
        for path in paths:
            if path in ("labels", "annotations"):
                setattr(secret, path, dict(body.get(path) or {}))
        secret.etag = f'"e{next(self._ids)}"'
        return json_response(200, secret.to_api())

    def _add_version(self, request: httpx.Request, secret: FakeSecret) -> httpx.Response:
        body = json.loads(request.content or b"null")
        if not isinstance(body, dict) or set(body) - {"payload", "parent"}:
            return error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        payload = body.get("payload")
        if not isinstance(payload, dict) or set(payload) - {"data", "dataCrc32c"}:
            return error(400, "INVALID_ARGUMENT", "payload must be a SecretPayload")
        data = _decoded(payload.get("data", ""))
        if data is None:
            return error(400, "INVALID_ARGUMENT", "Invalid value at 'payload.data' (TYPE_BYTES)")
        checksum = payload.get("dataCrc32c")
        if checksum is not None and str(checksum) != str(_crc32c(data)):
            return error(400, "INVALID_ARGUMENT", "Checksum mismatch: data_crc32c")
        if len(data) > _MAX_PAYLOAD:
            return error(400, "INVALID_ARGUMENT", "Secret Payload cannot be larger than 64KiB.")
        version = FakeSecretVersion(len(secret.versions) + 1, data)
        secret.versions.append(version)
        return json_response(200, version.to_api(secret.name))

    def _secret_versions(
        self, request: httpx.Request, secret: FakeSecret, wanted: str | None, verb: str | None
    ) -> httpx.Response:
        method = request.method
        allowed = {
            ("GET", None, False): {"pageSize", "pageToken", "filter"},
            ("GET", None, True): set(),
            ("GET", "access", True): set(),
            ("POST", "disable", True): set(),
            ("POST", "enable", True): set(),
            ("POST", "destroy", True): set(),
        }.get((method, verb, wanted is not None))
        if allowed is None:
            return error(404, "NOT_FOUND", f"no route {method} {request.url.path}")
        refused = _query_problem(request.url.params, allowed)
        if refused:
            return error(400, "INVALID_ARGUMENT", refused)
        if wanted is None:
            listed = [v.to_api(secret.name) for v in reversed(secret.versions)]
            return json_response(200, {"versions": listed, "totalSize": len(listed)})
        version = secret.version(wanted)
        if version is None:
            return error(
                404, "NOT_FOUND", f"Secret Version [{secret.name}/versions/{wanted}] not found."
            )
        if verb is None:
            return json_response(200, version.to_api(secret.name))
        if verb == "access":
            if version.state != "ENABLED":
                return error(
                    400,
                    "FAILED_PRECONDITION",
                    f"Secret Version [{secret.name}/versions/{version.number}] is in "
                    f"{version.state} state.",
                )
            return json_response(
                200,
                {
                    "name": f"{secret.name}/versions/{version.number}",
                    "payload": {
                        "data": base64.b64encode(version.data).decode(),
                        "dataCrc32c": str(_crc32c(version.data)),
                    },
                },
            )
        if version.state == "DESTROYED":
            return error(400, "FAILED_PRECONDITION", "the version is destroyed")
        version.state = {"disable": "DISABLED", "enable": "ENABLED", "destroy": "DESTROYED"}[verb]
        if version.state == "DESTROYED":
            version.data = b""
        return json_response(200, version.to_api(secret.name))

    def _set_secret_policy(self, request: httpx.Request, secret: FakeSecret) -> httpx.Response:
        body = json.loads(request.content or b"null")
        if not isinstance(body, dict) or set(body) - {"policy", "updateMask"}:
            return error(400, "INVALID_ARGUMENT", "unknown field in SetIamPolicyRequest")
        policy = body.get("policy") or {}
        if set(policy) - {"version", "bindings", "etag", "auditConfigs"}:
            return error(400, "INVALID_ARGUMENT", "unknown field in Policy")
        if policy.get("etag") and policy["etag"] != secret.policy.get("etag"):
            return error(409, "ABORTED", "There were concurrent policy changes.")
        for binding in policy.get("bindings") or ():
            if not str(binding.get("role", "")).startswith("roles/") or any(
                not re.match(r"^(serviceAccount|user|group|domain):.+|^allUsers$", str(m))
                for m in binding.get("members") or ()
            ):
                return error(400, "INVALID_ARGUMENT", "invalid binding in the policy")
        etag = base64.b64encode(b"\x07\x07" + next(self._ids).to_bytes(4, "big")).decode()
        secret.policy = {**policy, "etag": etag, "version": 1}
        return json_response(200, secret.policy)


def _decoded(text: Any) -> bytes | None:
    """Proto3 JSON ``bytes``: base64, standard or URL-safe, padded or not."""
    if not isinstance(text, str):
        return None
    cleaned = text.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        crc = n
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
        table.append(crc)
    return table


_CRC32C = _crc32c_table()


def _crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), as Secret Manager checksums payloads."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def as_state_numbers(payload: Any) -> Any:
    """A Secret Manager answer for ``enum-encoding=int``: version states as numbers."""
    if isinstance(payload, dict):
        return {
            k: _STATES.get(v, v) if k == "state" and isinstance(v, str) else as_state_numbers(v)
            for k, v in payload.items()
        }
    if isinstance(payload, list):
        return [as_state_numbers(v) for v in payload]
    return payload
