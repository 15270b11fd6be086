"""A stateful contract fake of the Cloudflare Workers API, serving what it stores on workerd.

URL layout (``<base>`` is the scheme and host of each request, so one instance works under
``httpx.MockTransport`` and behind :func:`tests.fakes.server.serve`):

- ``<base>/client/v4/...`` — the API, in Cloudflare's envelope
  (``{"success", "errors", "messages", "result"}``), bearer-token auth:
  ``GET /user/tokens/verify``, ``GET /accounts``, ``GET /accounts/<id>/tokens/verify``,
  ``GET|PUT /accounts/<id>/workers/subdomain``,
  ``GET /accounts/<id>/workers/services/<name>``,
  ``PUT|DELETE /accounts/<id>/workers/scripts/<name>`` (multipart upload + deploy 100 %),
  ``GET|POST|DELETE …/scripts/<name>/subdomain``,
  ``GET|POST …/scripts/<name>/versions``, ``GET …/versions/<id>``,
  ``GET|POST …/scripts/<name>/deployments`` (percentages, at most two versions,
  ``10220`` when secrets changed since the version unless ``?force=true``),
  ``GET|PATCH …/scripts/<name>/script-settings``;
- ``<base>/<host>.workers.dev/<path>`` — the workers.dev zone: ``<script>.<sub>.workers.dev``
  serves the live deployment and ``<version-prefix>-<script>.<sub>.workers.dev`` a version's
  preview, each on a real ``workerd`` started for that version (the action is pointed here
  with ``PMCP_WORKERS_DEV_ORIGIN=<base>``).

Uploads are parsed strictly: the multipart parts, the ``metadata`` fields (unknown ones are
refused, as the API does), ``main_module`` and every import of every JS module resolved to
an uploaded part of the right type. Fault injection: ``fake.faults`` (from
:class:`FakeBase`: 429, 5xx, drops), :meth:`FakeCloudflare.add_token` for invalid, expired
or under-scoped tokens, and ``previews`` to turn preview URLs off for the account.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import httpx

from .emulators import Emulator, EmulatorError, Running
from .server import FakeBase, LoopbackServer, forward, json_response

__all__ = [
    "ACCOUNT_ID",
    "ALL_PERMISSIONS",
    "SUBDOMAIN",
    "TOKEN",
    "FakeCloudflare",
    "Version",
    "WorkerdPool",
]

#: The fake's default account, token and workers.dev subdomain.
ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
TOKEN = "cf-fake-token-5d9a1c7e3b"
SUBDOMAIN = "pmcp-ci"
API_PREFIX = "/client/v4"
#: Permissions of a token, named as the dashboard names them.
WORKERS_EDIT = "Workers Scripts:Edit"
SETTINGS_READ = "Account Settings:Read"
ALL_PERMISSIONS = frozenset({WORKERS_EDIT, SETTINGS_READ})

_METADATA_FIELDS = frozenset(
    {
        "main_module",
        "body_part",
        "compatibility_date",
        "compatibility_flags",
        "bindings",
        "keep_bindings",
        "usage_model",
        "migrations",
        "placement",
        "limits",
        "logpush",
        "tail_consumers",
        "observability",
        "annotations",
        "assets",
        "keep_assets",
        "tags",
        "keep_vars",
        "no_minimal_subrequests",
    }
)
_MODULE_TYPES = frozenset(
    {
        "application/javascript+module",
        "application/javascript",
        "application/wasm",
        "text/plain",
        "application/octet-stream",
        "application/json",
        "application/source-map",
    }
)
_JS = frozenset({"application/javascript+module", "application/javascript"})
_SCRIPT_NAME = re.compile(r"^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def envelope(
    result: Any = None, *, status: int = 200, errors: list[dict[str, Any]] | None = None
) -> httpx.Response:
    return json_response(
        status,
        {"success": not errors, "errors": errors or [], "messages": [], "result": result},
    )


def failure(status: int, code: int, message: str) -> httpx.Response:
    return envelope(None, status=status, errors=[{"code": code, "message": message}])


# --- state ------------------------------------------------------------------------------


@dataclass
class Token:
    value: str
    status: str = "active"
    accounts: tuple[str, ...] = (ACCOUNT_ID,)
    permissions: frozenset[str] = ALL_PERMISSIONS
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass
class Version:
    id: str
    number: int
    main_module: str
    #: Module name -> (content type, bytes).
    modules: dict[str, tuple[str, bytes]]
    bindings: list[dict[str, Any]]
    compatibility_date: str
    compatibility_flags: list[str]
    annotations: dict[str, str]
    source: str
    created_on: str = field(default_factory=_now)

    def secrets(self) -> dict[str, str]:
        return {
            b["name"]: str(b.get("text", ""))
            for b in self.bindings
            if b.get("type") in ("secret_text", "secret_key")
        }

    def to_api(self, *, with_resources: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "number": self.number,
            "metadata": {
                "created_on": self.created_on,
                "modified_on": self.created_on,
                "source": self.source,
                "author_email": "ci@example.com",
                "has_preview": True,
            },
            "annotations": dict(self.annotations),
        }
        if with_resources:
            data["resources"] = {
                "script": {
                    "etag": self.id.replace("-", ""),
                    "handlers": ["fetch"],
                    "last_deployed_from": self.source,
                },
                "script_runtime": {
                    "compatibility_date": self.compatibility_date,
                    "compatibility_flags": list(self.compatibility_flags),
                    "usage_model": "standard",
                },
                "bindings": [
                    {k: v for k, v in b.items() if not (k == "text" and _is_secret(b))}
                    for b in self.bindings
                ],
            }
        return data


def _is_secret(binding: dict[str, Any]) -> bool:
    return binding.get("type") in ("secret_text", "secret_key")


@dataclass
class Deployment:
    id: str
    versions: list[tuple[str, int]]
    annotations: dict[str, str]
    source: str
    strategy: str = "percentage"
    created_on: str = field(default_factory=_now)

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_on": self.created_on,
            "source": self.source,
            "strategy": self.strategy,
            "author_email": "ci@example.com",
            "annotations": dict(self.annotations),
            "versions": [{"version_id": v, "percentage": p} for v, p in self.versions],
        }


@dataclass
class Script:
    name: str
    versions: list[Version] = field(default_factory=list)
    deployments: list[Deployment] = field(default_factory=list)
    subdomain_enabled: bool = False
    previews_enabled: bool = False
    tags: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    last_deployed_from: str = "api"
    created_on: str = field(default_factory=_now)

    def version(self, version_id: str) -> Version | None:
        return next((v for v in self.versions if v.id == version_id), None)

    @property
    def live(self) -> Deployment | None:
        return self.deployments[-1] if self.deployments else None

    def live_version(self) -> Version | None:
        live = self.live
        if live is None:
            return None
        best = max(live.versions, key=lambda item: item[1])
        return self.version(best[0])


@dataclass
class Account:
    id: str
    name: str = "CI account"
    subdomain: str | None = SUBDOMAIN
    scripts: dict[str, Script] = field(default_factory=dict)


# --- the runtime --------------------------------------------------------------------------

_CAPNP_TYPES = {
    "application/javascript+module": "esModule",
    "application/javascript": "commonJsModule",
    "application/wasm": "wasm",
    "text/plain": "text",
    "application/octet-stream": "data",
    "application/json": "json",
}


def _capnp_string(text: str) -> str:
    return json.dumps(text)


class WorkerdPool:
    """One ``workerd serve`` per served version, started on first use, on 127.0.0.1."""

    def __init__(self, workerd: Path) -> None:
        self.workerd = workerd
        self._lock = threading.Lock()
        self._running: dict[str, tuple[subprocess.Popen[bytes], int, Path]] = {}
        self._tmp = tempfile.TemporaryDirectory(prefix="fake-workerd-")

    def port_for(self, version: Version) -> int:
        with self._lock:
            if version.id not in self._running:
                self._running[version.id] = self._start(version)
            return self._running[version.id][1]

    def _start(self, version: Version) -> tuple[subprocess.Popen[bytes], int, Path]:
        root = Path(self._tmp.name) / version.id
        modules: list[str] = []
        ordered = [version.main_module] + [n for n in version.modules if n != version.main_module]
        for index, name in enumerate(ordered):
            content_type, data = version.modules[name]
            kind = _CAPNP_TYPES.get(content_type)
            if kind is None:
                continue
            stored = root / "modules" / f"m{index}"
            stored.parent.mkdir(parents=True, exist_ok=True)
            stored.write_bytes(data)
            modules.append(
                f"(name = {_capnp_string(name)}, {kind} = embed "
                f"{_capnp_string(stored.relative_to(root).as_posix())})"
            )
        bindings = []
        for binding in version.bindings:
            if binding.get("type") in ("plain_text", "secret_text"):
                bindings.append(
                    f"(name = {_capnp_string(binding['name'])}, "
                    f"text = {_capnp_string(str(binding.get('text', '')))})"
                )
            elif binding.get("type") == "json":
                bindings.append(
                    f"(name = {_capnp_string(binding['name'])}, "
                    f"json = {_capnp_string(json.dumps(binding.get('json')))})"
                )
        flags = ", ".join(_capnp_string(f) for f in version.compatibility_flags)
        config = root / "config.capnp"
        config.write_text(
            'using Workerd = import "/workerd/workerd.capnp";\n'
            "const config :Workerd.Config = (\n"
            '  services = [ (name = "main", worker = .mainWorker) ],\n'
            '  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), '
            'service = "main") ],\n'
            ");\n"
            "const mainWorker :Workerd.Worker = (\n"
            f"  modules = [ {', '.join(modules)} ],\n"
            f"  compatibilityDate = {_capnp_string(version.compatibility_date)},\n"
            f"  compatibilityFlags = [ {flags} ],\n"
            f"  bindings = [ {', '.join(bindings)} ],\n"
            ");\n"
        )
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        port = int(listener.getsockname()[1])
        log = root / "workerd.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(self.workerd), "serve", str(config), f"--socket-fd=http={listener.fileno()}"],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                pass_fds=(listener.fileno(),),
            )
        listener.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"workerd exited {process.returncode}:\n{log.read_text()}")
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        return process, port, log

    def log_of(self, version_id: str) -> str:
        running = self._running.get(version_id)
        return running[2].read_text() if running else ""

    def close(self) -> None:
        with self._lock:
            for process, _port, _log in self._running.values():
                process.terminate()
            for process, _port, _log in self._running.values():
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
            self._running.clear()
        self._tmp.cleanup()


# --- multipart ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    content_type: str
    data: bytes


def parse_multipart(content_type: str, body: bytes) -> list[Part]:
    """A strict multipart/form-data parser (binary-safe)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not content_type.startswith("multipart/form-data") or match is None:
        raise ValueError(f"expected multipart/form-data with a boundary, got {content_type!r}")
    delimiter = b"--" + match.group(1).encode()
    pieces = body.split(delimiter)
    if len(pieces) < 3 or not pieces[-1].startswith(b"--"):
        raise ValueError("the multipart body is not terminated by the closing boundary")
    parts: list[Part] = []
    for piece in pieces[1:-1]:
        if not piece.startswith(b"\r\n") or not piece.endswith(b"\r\n"):
            raise ValueError("a multipart part is not framed by CRLF")
        head, separator, data = piece[2:-2].partition(b"\r\n\r\n")
        if not separator:
            raise ValueError("a multipart part has no header block")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = re.search(r'(?:^|;)\s*name="([^"]*)"', disposition)
        filename = re.search(r'filename="([^"]*)"', disposition)
        if not disposition.startswith("form-data") or name is None:
            raise ValueError(f"a part has no form-data name: {disposition!r}")
        parts.append(
            Part(
                name=name.group(1),
                filename=filename.group(1) if filename else None,
                content_type=headers.get("content-type", "text/plain").split(";")[0].strip(),
                data=data,
            )
        )
    return parts


# --- the fake ------------------------------------------------------------------------------


class FakeCloudflare(FakeBase):
    """The Workers API of one or more accounts, with a workers.dev zone on workerd."""

    name = "cloudflare"

    def __init__(self, *, workerd: Path | None = None) -> None:
        super().__init__()
        self.pool = WorkerdPool(workerd) if workerd is not None else None
        self.reset_state()

    def reset_state(self) -> None:
        self.tokens: dict[str, Token] = {TOKEN: Token(TOKEN)}
        self.accounts: dict[str, Account] = {ACCOUNT_ID: Account(ACCOUNT_ID)}
        #: Whether the accounts' version preview URLs work (Cloudflare turns them off for
        #: Workers with Durable Objects, and an account can disable them).
        self.previews = True
        #: Requests answered, by "METHOD route" (for tests and the contract check).
        self.routes: list[str] = []
        self.unknown_routes: list[str] = []

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()

    # --- test helpers ------------------------------------------------------------------
    def add_token(
        self,
        value: str,
        *,
        status: str = "active",
        accounts: tuple[str, ...] = (ACCOUNT_ID,),
        permissions: frozenset[str] = ALL_PERMISSIONS,
    ) -> Token:
        token = Token(value, status=status, accounts=accounts, permissions=permissions)
        self.tokens[value] = token
        return token

    def add_account(self, account_id: str, *, name: str = "other", subdomain: str | None = None):
        self.accounts[account_id] = Account(account_id, name=name, subdomain=subdomain)
        return self.accounts[account_id]

    def script(self, name: str, account: str = ACCOUNT_ID) -> Script | None:
        return self.accounts[account].scripts.get(name)

    def snapshot(self) -> dict[str, Any]:
        return {
            account.id: {
                name: {
                    "versions": [v.id for v in script.versions],
                    "deployments": [d.to_api() for d in script.deployments],
                    "subdomain": script.subdomain_enabled,
                    "previews": script.previews_enabled,
                }
                for name, script in account.scripts.items()
            }
            for account in self.accounts.values()
        }

    # --- dispatch ------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        first = path.lstrip("/").split("/", 1)[0]
        if first.endswith(".workers.dev"):
            return self._workers_dev(request, first, path[len(first) + 1 :] or "/")
        if not path.startswith(API_PREFIX + "/"):
            return failure(404, 7000, f"No route for that URI: {path}")
        route = path[len(API_PREFIX) :]
        with self._lock:
            return self._api(request, route)

    def _api(self, request: httpx.Request, route: str) -> httpx.Response:
        method = request.method
        token = self._token(request)
        if isinstance(token, httpx.Response):
            return token
        parts = route.strip("/").split("/")
        self.routes.append(f"{method} {route}")
        if parts == ["user", "tokens", "verify"] and method == "GET":
            return self._verify(token)
        if parts == ["accounts"] and method == "GET":
            found = [
                {"id": a, "name": self.accounts[a].name}
                for a in token.accounts
                if a in self.accounts
            ]
            return envelope(found)
        if parts == ["memberships"] and method == "GET":
            return envelope(
                [
                    {"id": uuid.uuid4().hex, "account": {"id": a, "name": self.accounts[a].name}}
                    for a in token.accounts
                    if a in self.accounts
                ]
            )
        if len(parts) >= 2 and parts[0] == "accounts":
            account = self.accounts.get(parts[1])
            if account is None or account.id not in token.accounts:
                return failure(403, 10000, "Authentication error")
            rest = parts[2:]
            if rest == ["tokens", "verify"] and method == "GET":
                return self._verify(token)
            if rest[:1] == ["workers"]:
                return self._workers(request, token, account, rest[1:])
        self.unknown_routes.append(f"{method} {route}")
        return failure(
            404, 7003, f"Could not route to {route}, perhaps your object identifier is invalid?"
        )

    def _token(self, request: httpx.Request) -> Token | httpx.Response:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return failure(400, 6003, "Invalid request headers")
        token = self.tokens.get(header[len("Bearer ") :])
        if token is None:
            if request.url.path.endswith("/tokens/verify"):
                return failure(401, 1000, "Invalid API Token")
            return failure(401, 10000, "Authentication error")
        return token

    def _verify(self, token: Token) -> httpx.Response:
        return envelope({"id": token.id, "status": token.status})

    # --- workers ---------------------------------------------------------------------------
    def _workers(
        self, request: httpx.Request, token: Token, account: Account, rest: list[str]
    ) -> httpx.Response:
        method = request.method
        if token.status != "active":
            return failure(401, 10000, "Authentication error")
        if rest == ["subdomain"]:
            if SETTINGS_READ not in token.permissions and WORKERS_EDIT not in token.permissions:
                return failure(403, 10000, "Authentication error")
            if method == "GET":
                if account.subdomain is None:
                    return failure(404, 10007, "This account does not have a workers.dev subdomain")
                return envelope({"subdomain": account.subdomain})
            if method == "PUT":
                wanted = json.loads(request.content)["subdomain"]
                account.subdomain = wanted
                return envelope({"subdomain": wanted})
        if WORKERS_EDIT not in token.permissions:
            return failure(403, 10000, "Authentication error")
        if len(rest) == 2 and rest[0] == "services" and method == "GET":
            script = account.scripts.get(rest[1])
            if script is None:
                return failure(404, 10090, "This Worker does not exist on your account.")
            return envelope(self._service(script))
        if len(rest) >= 2 and rest[0] == "scripts":
            name, tail = rest[1], rest[2:]
            script = account.scripts.get(name)
            if not tail:
                if method == "PUT":
                    return self._upload(request, account, name, deploy=True)
                if method == "DELETE":
                    if script is None:
                        return failure(404, 10007, "This Worker does not exist on your account.")
                    del account.scripts[name]
                    return envelope(None)
            if script is None:
                return failure(404, 10007, "This Worker does not exist on your account.")
            if tail == ["subdomain"]:
                return self._script_subdomain(request, script)
            if tail == ["versions"]:
                if method == "POST":
                    return self._upload(request, account, name, deploy=False)
                if method == "GET":
                    items = [v.to_api(with_resources=False) for v in reversed(script.versions)]
                    return envelope({"items": items})
            if len(tail) == 2 and tail[0] == "versions" and method == "GET":
                version = script.version(tail[1])
                if version is None:
                    return failure(404, 10230, "Version not found")
                return envelope(version.to_api())
            if tail == ["deployments"]:
                if method == "GET":
                    listed = [d.to_api() for d in reversed(script.deployments)]
                    return envelope({"deployments": listed})
                if method == "POST":
                    return self._deploy(request, script)
            if tail == ["settings"] and method == "GET":
                live = script.live_version()
                runtime = live.to_api()["resources"] if live else {}
                return envelope(
                    {
                        "bindings": runtime.get("bindings", []),
                        "compatibility_date": live.compatibility_date if live else "",
                        "compatibility_flags": live.compatibility_flags if live else [],
                        "tags": list(script.tags),
                        "logpush": bool(script.settings.get("logpush", False)),
                        "tail_consumers": script.settings.get("tail_consumers"),
                        "observability": script.settings.get("observability"),
                    }
                )
            if tail == ["script-settings"]:
                if method == "PATCH":
                    changes = json.loads(request.content)
                    unknown = set(changes) - {"logpush", "tail_consumers", "observability", "tags"}
                    if unknown:
                        return failure(400, 10021, f"Unknown settings: {sorted(unknown)}")
                    if "tags" in changes and changes["tags"] is not None:
                        script.tags = list(changes["tags"])
                    script.settings.update({k: v for k, v in changes.items() if k != "tags"})
                if method in ("GET", "PATCH"):
                    return envelope({**script.settings, "tags": list(script.tags)})
        self.unknown_routes.append(f"{method} workers/{'/'.join(rest)}")
        return failure(404, 7003, "Could not route to that URI")

    def _service(self, script: Script) -> dict[str, Any]:
        live = script.live_version()
        return {
            "id": script.name,
            "default_environment": {
                "environment": "production",
                "created_on": script.created_on,
                "modified_on": live.created_on if live else script.created_on,
                "script": {
                    "id": script.name,
                    "tag": uuid.uuid5(uuid.NAMESPACE_DNS, script.name).hex,
                    "tags": list(script.tags),
                    "etag": live.id.replace("-", "") if live else "",
                    "handlers": ["fetch"],
                    "last_deployed_from": script.last_deployed_from,
                },
            },
            "created_on": script.created_on,
            "modified_on": script.created_on,
        }

    def _script_subdomain(self, request: httpx.Request, script: Script) -> httpx.Response:
        if request.method == "POST":
            body = json.loads(request.content)
            unknown = set(body) - {"enabled", "previews_enabled"}
            if unknown or not isinstance(body.get("enabled"), bool):
                return failure(400, 10021, f"Invalid subdomain settings: {body}")
            script.subdomain_enabled = body["enabled"]
            if "previews_enabled" in body:
                script.previews_enabled = bool(body["previews_enabled"])
        elif request.method == "DELETE":
            script.subdomain_enabled = False
        elif request.method != "GET":
            return failure(405, 10000, "Method not allowed")
        return envelope(
            {"enabled": script.subdomain_enabled, "previews_enabled": script.previews_enabled}
        )

    def _upload(
        self, request: httpx.Request, account: Account, name: str, *, deploy: bool
    ) -> httpx.Response:
        if not _SCRIPT_NAME.match(name):
            return failure(400, 10016, f"Invalid Worker name {name!r}")
        if request.url.params.get("bindings_inherit") not in (None, "strict"):
            return failure(400, 10021, "bindings_inherit must be strict")
        try:
            parts = parse_multipart(request.headers.get("Content-Type", ""), request.content)
        except ValueError as exc:
            return failure(400, 10021, f"Invalid multipart body: {exc}")
        by_name: dict[str, Part] = {}
        for part in parts:
            if part.name in by_name:
                return failure(400, 10021, f"Duplicate part {part.name!r}")
            by_name[part.name] = part
        meta_part = by_name.pop("metadata", None)
        if meta_part is None:
            return failure(400, 10021, "No metadata part in the upload")
        try:
            metadata = json.loads(meta_part.data)
        except ValueError:
            return failure(400, 10021, "The metadata part is not JSON")
        unknown = set(metadata) - _METADATA_FIELDS
        if unknown:
            return failure(400, 10021, f"Unknown metadata fields: {sorted(unknown)}")
        main = metadata.get("main_module")
        if not isinstance(main, str) or main not in by_name:
            return failure(400, 10021, f"main_module {main!r} names no uploaded part")
        modules: dict[str, tuple[str, bytes]] = {}
        for part in by_name.values():
            if part.content_type not in _MODULE_TYPES:
                return failure(400, 10021, f"Unknown module type {part.content_type!r}")
            modules[part.name] = (part.content_type, part.data)
        if modules[main][0] != "application/javascript+module":
            return failure(400, 10021, "main_module must be an ES module")
        problem = _unresolved_import(modules)
        if problem:
            return failure(400, 10021, f"Uncaught Error: {problem}")
        date = metadata.get("compatibility_date")
        if not isinstance(date, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
            return failure(400, 10021, "compatibility_date must be YYYY-MM-DD")
        script = account.scripts.get(name)
        live = script.live_version() if script else None
        try:
            bindings = _bindings(metadata, live)
        except ValueError as exc:
            return failure(400, 10021, str(exc))
        source = "wrangler" if "wrangler" in request.headers.get("User-Agent", "") else "api"
        if script is None:
            if not deploy:
                return failure(404, 10007, "This Worker does not exist on your account.")
            script = Script(name=name, tags=list(metadata.get("tags") or []))
            account.scripts[name] = script
        elif deploy and metadata.get("tags") is not None:
            script.tags = list(metadata["tags"])
        version = Version(
            id=str(uuid.uuid4()),
            number=len(script.versions) + 1,
            main_module=main,
            modules=modules,
            bindings=bindings,
            compatibility_date=date,
            compatibility_flags=list(metadata.get("compatibility_flags") or []),
            annotations={str(k): str(v) for k, v in (metadata.get("annotations") or {}).items()},
            source=source,
        )
        script.versions.append(version)
        script.last_deployed_from = source
        result: dict[str, Any] = {
            "id": name,
            "etag": version.id.replace("-", ""),
            "handlers": ["fetch"],
            "compatibility_date": date,
            "startup_time_ms": 3,
        }
        if deploy:
            deployment = Deployment(str(uuid.uuid4()), [(version.id, 100)], {}, source)
            script.deployments.append(deployment)
            result.update({"deployment_id": deployment.id, "has_modules": True})
            return envelope(result)
        data = version.to_api()
        data["startup_time_ms"] = 3
        data["metadata"]["has_preview"] = self.previews
        return envelope(data)

    def _deploy(self, request: httpx.Request, script: Script) -> httpx.Response:
        try:
            body = json.loads(request.content)
        except ValueError:
            return failure(400, 10021, "The body is not JSON")
        unknown = set(body) - {"strategy", "versions", "annotations"}
        if unknown or body.get("strategy") != "percentage":
            return failure(400, 10021, f"Invalid deployment: {body}")
        versions = body.get("versions")
        if not isinstance(versions, list) or not 1 <= len(versions) <= 2:
            return failure(400, 10021, "A deployment has one or two versions")
        split: list[tuple[str, int]] = []
        for item in versions:
            version = script.version(str(item.get("version_id")))
            if version is None:
                return failure(404, 10230, f"Version {item.get('version_id')} not found")
            split.append((version.id, int(item.get("percentage", -1))))
        if sum(p for _, p in split) != 100 or any(p < 0 for _, p in split):
            return failure(400, 10021, "The percentages must add up to 100")
        live = script.live_version()
        force = request.url.params.get("force") == "true"
        target = script.version(max(split, key=lambda s: s[1])[0])
        if live is not None and target is not None and not force:
            if target.id != live.id and target.secrets() != live.secrets():
                if target.number < live.number:
                    return failure(
                        400,
                        10220,
                        "A secret has changed since this version was active. If you are sure "
                        "this is ok, add a ?force=true query parameter to allow the rollback.",
                    )
        source = "wrangler" if "wrangler" in request.headers.get("User-Agent", "") else "api"
        annotations = {str(k): str(v) for k, v in (body.get("annotations") or {}).items()}
        deployment = Deployment(str(uuid.uuid4()), split, annotations, source)
        script.deployments.append(deployment)
        return envelope(deployment.to_api())

    # --- workers.dev ----------------------------------------------------------------------
    def _workers_dev(self, request: httpx.Request, host: str, path: str) -> httpx.Response:
        label, _, zone = host.removesuffix(".workers.dev").partition(".")
        with self._lock:
            version = self._served_version(label, zone)
        if version is None:
            return httpx.Response(404, text=f"There is nothing here yet ({host}).")
        if self.pool is None:
            return httpx.Response(503, text="the fake has no workerd to run workers on")
        port = self.pool.port_for(version)
        return forward(request, f"http://127.0.0.1:{port}", path, "workerd")

    def _served_version(self, label: str, zone: str) -> Version | None:
        for account in self.accounts.values():
            if account.subdomain != zone:
                continue
            for script in account.scripts.values():
                host_name = script.name.replace("_", "-")
                if label == host_name and script.subdomain_enabled:
                    return script.live_version()
                prefix, _, rest = label.partition("-")
                if (
                    rest == host_name
                    and script.subdomain_enabled
                    and script.previews_enabled
                    and self.previews
                ):
                    return next((v for v in script.versions if v.id.startswith(prefix)), None)
        return None


def _bindings(metadata: dict[str, Any], live: Version | None) -> list[dict[str, Any]]:
    bindings = metadata.get("bindings") or []
    if not isinstance(bindings, list):
        raise ValueError("bindings must be a list")
    names: set[str] = set()
    out: list[dict[str, Any]] = []
    previous = {b["name"]: b for b in (live.bindings if live else [])}
    for binding in bindings:
        kind, name = binding.get("type"), binding.get("name")
        if not isinstance(name, str) or name in names:
            raise ValueError(f"Binding name {name!r} is missing or used twice")
        names.add(name)
        if kind in ("plain_text", "secret_text"):
            if not isinstance(binding.get("text"), str):
                raise ValueError(f"Binding {name}: text must be a string")
        elif kind == "json":
            if "json" not in binding:
                raise ValueError(f"Binding {name}: json is missing")
        elif kind == "inherit":
            if name not in previous:
                raise ValueError(f"Binding {name}: nothing to inherit (bindings_inherit=strict)")
            out.append(dict(previous[name]))
            continue
        else:
            raise ValueError(f"Binding {name}: the fake does not know the type {kind!r}")
        out.append(dict(binding))
    keep = metadata.get("keep_bindings") or []
    for name, binding in previous.items():
        if name not in names and binding.get("type") in keep:
            out.append(dict(binding))
    return out


#: The fake's own reading of import specifiers (independent of the action's).
_IMPORT = re.compile(r"""(?:\bfrom|\bimport)\s*\(?\s*["']([^"'\n]+)["']""")


def _unresolved_import(modules: dict[str, tuple[str, bytes]]) -> str:
    for name, (content_type, data) in modules.items():
        if content_type not in _JS:
            continue
        for specifier in _IMPORT.findall(data.decode("utf-8", "replace")):
            if specifier.startswith(("cloudflare:", "node:", "workerd:")):
                continue
            resolved = None
            if specifier.startswith(("./", "../")):
                resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), specifier))
            if resolved is None or resolved not in modules:
                return f"No such module {specifier!r} imported from {name!r}"
            wanted_wasm = resolved.endswith(".wasm")
            if wanted_wasm and modules[resolved][0] != "application/wasm":
                return (
                    f"{resolved!r} is imported as wasm but was uploaded as {modules[resolved][0]}"
                )
    return ""


def create_fake() -> FakeCloudflare:
    """For ``python -m tests.fakes``: the fake with workerd when the npm peers are installed."""
    workerd = os.environ.get("PMCP_FAKE_WORKERD")
    return FakeCloudflare(workerd=Path(workerd) if workerd else None)


@contextmanager
def emulate(*, host: str = "127.0.0.1", tls: bool = False) -> Iterator[Running]:
    """The Workers API fake with its workers.dev zone on workerd (the pinned npm peer)."""
    if tls:
        raise EmulatorError("cloudflare-workers is served over plain http (workerd behind it)")
    from .npm_tools import npm_tools

    fake = FakeCloudflare(workerd=npm_tools().workerd)
    try:
        with LoopbackServer(fake, host=host) as server:
            url = str(server.url)
            yield Running(
                urls=MappingProxyType({"cloudflare-workers": url}),
                env=MappingProxyType(
                    {
                        "CLOUDFLARE_API_BASE_URL": f"{url}/client/v4",
                        "CLOUDFLARE_ACCOUNT_ID": ACCOUNT_ID,
                        # The fake serves the workers.dev zone under its own origin.
                        "PMCP_WORKERS_DEV_ORIGIN": url,
                    }
                ),
                secrets=MappingProxyType({"CLOUDFLARE_API_TOKEN": TOKEN}),
                fakes=MappingProxyType({"cloudflare-workers": fake}),
            )
    finally:
        fake.close()


def _write_stand_in_worker(project: Path) -> str:
    from .workers_stand_in import write_bundle

    main = write_bundle(project / "deploy" / "cloudflare" / "build")
    return f"stand-in worker-build output {main.parent} (a JS MCP worker and a wasm module)"


#: ``serve cloudflare-workers`` and the demo: the API fake, its token and account, and
#: workers.dev on workerd (installed by scripts/lib/npm-tools.sh on first use).
EMULATOR = Emulator(
    name="cloudflare-workers",
    summary="Cloudflare Workers API: token check, versions, deployments; workers.dev on workerd",
    start=emulate,
    target=True,
    stand_in=_write_stand_in_worker,
)
