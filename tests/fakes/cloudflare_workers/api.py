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
  serves the live deployment (its version with the most traffic; at a tie, the newer one)
  and ``<version-prefix>-<script>.<sub>.workers.dev`` a version's preview, each on a real
  ``workerd`` started for that version (the action is pointed here with
  ``PMCP_WORKERS_DEV_ORIGIN=<base>``); a version in ``failing`` answers 503 there.
  ``on_deployment`` is called at each deployment made.

Uploads are parsed strictly: the multipart parts, the ``metadata`` fields (unknown ones are
refused, as the API does), ``main_module`` and every import of every JS module resolved to
an uploaded part of the right type. Fault injection: ``fake.faults`` (from
:class:`FakeBase`: 429, 5xx, drops), :meth:`FakeCloudflare.add_token` for invalid, expired
or under-scoped tokens, and ``previews`` to turn preview URLs off for the account.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from ..server import FakeBase, forward
from .state import (
    _METADATA_FIELDS,
    _MODULE_TYPES,
    _SCRIPT_NAME,
    ACCOUNT_ID,
    ALL_PERMISSIONS,
    API_PREFIX,
    SETTINGS_READ,
    TOKEN,
    WORKERS_EDIT,
    Account,
    Deployment,
    Script,
    Token,
    Version,
    envelope,
    failure,
)
from .uploads import Part, _bindings, _unresolved_import, parse_multipart
from .workerd import WorkerdPool

#: A preview alias: the first part of a DNS label (``<alias>-<worker>``).
_ALIAS = re.compile(r"[a-z](?:[a-z0-9-]*[a-z0-9])?")


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
        #: Versions whose workers.dev URLs answer 503 (a version that fails under traffic).
        self.failing: set[str] = set()
        #: Called with the script after each deployment is made, before the answer (a test
        #: samples every split a run makes, or changes the world at one).
        self.on_deployment: Callable[[Script], None] | None = None
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
        oauth: bool = False,
    ) -> Token:
        token = Token(value, status=status, accounts=accounts, permissions=permissions, oauth=oauth)
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
        if token is None or token.oauth:
            if request.url.path.endswith("/tokens/verify"):
                return failure(401, 1000, "Invalid API Token")
        if token is None:
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
            if len(tail) == 2 and tail[0] == "versions" and method in ("GET", "DELETE"):
                version = script.version(tail[1])
                if version is None:
                    return failure(404, 10230, "Version not found")
                if method == "DELETE":
                    deployed = script.live
                    if deployed is not None and any(v == version.id for v, _ in deployed.versions):
                        return failure(400, 10231, "A deployed version cannot be deleted")
                    script.versions.remove(version)
                    return envelope(None)
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
        alias = str((metadata.get("annotations") or {}).get("workers/alias", ""))
        host_label = f"{alias}-{name.replace('_', '-')}"
        if alias and (not _ALIAS.fullmatch(alias) or len(host_label) > 63):
            return failure(400, 10021, f"Invalid preview alias {alias!r}")
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
        if self.on_deployment is not None:
            self.on_deployment(script)
        return envelope(deployment.to_api())

    # --- workers.dev ----------------------------------------------------------------------
    def _workers_dev(self, request: httpx.Request, host: str, path: str) -> httpx.Response:
        label, _, zone = host.removesuffix(".workers.dev").partition(".")
        with self._lock:
            version = self._served_version(label, zone)
        if version is None:
            return httpx.Response(404, text=f"There is nothing here yet ({host}).")
        if version.id in self.failing:
            return httpx.Response(503, text=f"version {version.id} fails (fault injected)")
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
                alias = label.removesuffix(f"-{host_name}")
                aliased = [
                    v for v in script.versions if v.annotations.get("workers/alias") == alias
                ]
                if (
                    alias != label
                    and aliased
                    and script.subdomain_enabled
                    and script.previews_enabled
                    and self.previews
                ):
                    return aliased[-1]  # the alias follows its newest version
                prefix, _, rest = label.partition("-")
                if (
                    rest == host_name
                    and script.subdomain_enabled
                    and script.previews_enabled
                    and self.previews
                ):
                    return next((v for v in script.versions if v.id.startswith(prefix)), None)
        return None
