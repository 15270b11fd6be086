"""The ``cloudflare-workers`` target: plan, deploy (staged), outputs, rollback and destroy.

A deploy finds the bundle first (nothing is called before it is complete and within the
limits), checks the token, picks the account and reads its workers.dev subdomain. A
new Worker is uploaded and deployed in one PUT. An existing one gets a new version
without traffic (``stage``); when preview URLs work, the pipeline verifies it there and
``promote`` deploys it at 100 %, otherwise it is deployed at once and a failed
verification deploys the previous version again. The same bundle, bindings and
compatibility settings as the live version make no new version (``unchanged``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeVar

import httpx

from ...artifact.workers_bundle import ModuleBundle, WorkersBundle, resolve_workers_bundle
from ...context import RunContext
from ...errors import ConfigError, DeployError, Problem, ValidationError
from ...result import PlanChange, TargetResult
from .api import DeploymentInfo, VersionInfo, WorkersApi
from .config import WorkersConfig, resolve
from .failures import (
    ERR_NO_SUBDOMAIN,
    ERR_SECRETS_CHANGED,
    TOKEN_PAGE,
    CloudflareApiError,
    CloudflareAuthError,
)
from .upload import MANAGED_TAG, MESSAGE_ANNOTATION, TAG_ANNOTATION, deploy_tag, make_upload

__all__ = ["CloudflareWorkersTarget", "create"]

NAME = "cloudflare-workers"
T = TypeVar("T")
#: Attempts of a create call whose answer was lost (each after a read proved it did not happen).
_CREATE_ATTEMPTS = 3


@dataclass(frozen=True)
class _Known:
    account_id: str
    subdomain: str
    identity: str


@dataclass(frozen=True)
class _Conn:
    api: WorkersApi
    known: _Known


@dataclass(frozen=True)
class _Survey:
    exists: bool
    tags: tuple[str, ...] = ()
    #: Newest first.
    deployments: tuple[DeploymentInfo, ...] = ()
    live: VersionInfo | None = None
    #: The version that served at 100 % before the live one.
    previous: str = ""
    subdomain_enabled: bool = False
    previews_enabled: bool = False

    @property
    def current(self) -> str:
        return self.deployments[0].main_version if self.deployments else ""


class CloudflareWorkersTarget:
    name = NAME

    def __init__(self, context: RunContext, *, bundle_kind: WorkersBundle | None = None) -> None:
        self.context = context
        self.project = context.project
        self.console = context.console
        self.config: WorkersConfig
        self.config, self._problems = resolve(context)
        self.bundle_kind = bundle_kind or WorkersBundle()
        self._known: _Known | None = None
        self._nonce = uuid.uuid4().hex[:10]
        self._messages = 0

    # --- protocol -------------------------------------------------------------------------
    def validate(self) -> Sequence[Problem]:
        return tuple(self._problems)

    def plan(self) -> TargetResult:
        bundle = self._bundle()
        with self._connected() as conn:
            tag = deploy_tag(self.config, bundle, conn.known.account_id)
            survey = self._survey(conn)
        changes = self._planned_changes(survey, bundle, tag)
        for change in changes:
            self.console.info(f"  {change.action:<7} {change.resource}  {change.detail}".rstrip())
        return self._result(
            conn.known,
            url=self._live_url(conn.known) if survey.exists else "",
            version=survey.current,
            previous_version=survey.previous,
            deployment_id=survey.deployments[0].id if survey.deployments else "",
            unchanged=all(change.action == "keep" for change in changes),
            changes=tuple(changes),
            notes=(f"Deploy tag of this bundle and its settings: {tag}.",),
        )

    def deploy(self) -> TargetResult:
        staged = self.stage()
        return self.promote(staged) if staged.candidate_url else staged

    def stage(self) -> TargetResult:
        bundle = self._bundle()
        with self._connected() as conn:
            tag = deploy_tag(self.config, bundle, conn.known.account_id)
            survey = self._survey(conn)
            if not survey.exists:
                return self._first_deploy(conn, bundle, tag)
            self._adopt(conn, survey)
            if self._matches(survey, tag):
                return self._unchanged(conn, survey)
            return self._stage_version(conn, survey, bundle, tag)

    def promote(self, staged: TargetResult) -> TargetResult:
        with self._connected() as conn:
            deployment = self._deploy_version(conn, staged.version)
        self.console.info(
            f"Version {staged.version} verified at its preview URL now serves 100 % "
            f"(deployment {deployment.id})."
        )
        return self._result(
            conn.known,
            url=self._live_url(conn.known),
            version=staged.version,
            previous_version=staged.previous_version,
            deployment_id=deployment.id,
            unchanged=False,
            changes=(
                *staged.changes,
                PlanChange(
                    "update", "deployment", f"{staged.previous_version} → {staged.version} at 100 %"
                ),
            ),
            preview_url=staged.outputs.get("preview-url", ""),
            can_roll_back=bool(staged.previous_version),
        )

    def discard(self, staged: TargetResult) -> None:
        self.console.info(
            f"Version {staged.version} got no traffic and stays in the version history only; "
            f"version {staged.previous_version} still serves."
        )

    def outputs(self) -> TargetResult:
        with self._connected() as conn:
            survey = self._survey(conn)
        if not survey.exists or not survey.deployments:
            raise DeployError(
                f"No Worker {self.config.script_name} is deployed on account "
                f"{conn.known.account_id}.",
                target=NAME,
                remediation="Deploy first, or check server-name and cloudflare-account-id.",
            )
        return self._result(
            conn.known,
            url=self._live_url(conn.known),
            version=survey.current,
            previous_version=survey.previous,
            deployment_id=survey.deployments[0].id,
            can_roll_back=bool(survey.previous),
        )

    def rollback(self, to_version: str) -> TargetResult:
        name = self.config.script_name
        with self._connected() as conn:
            survey = self._survey(conn)
            if not survey.exists or not survey.deployments:
                raise DeployError(
                    f"There is nothing to roll back: no Worker {name} is deployed on account "
                    f"{conn.known.account_id}.",
                    target=NAME,
                    remediation="Deploy first, or check server-name and cloudflare-account-id.",
                )
            current = survey.current
            wanted = self._pick_version(conn, survey, to_version.strip())
            url = self._live_url(conn.known)
            if wanted == current and survey.deployments[0].whole_version == current:
                self.console.info(f"Version {wanted} already serves 100 %; nothing to do.")
                return self._result(
                    conn.known,
                    url=url,
                    version=current,
                    previous_version=survey.previous,
                    deployment_id=survey.deployments[0].id,
                    unchanged=True,
                )
            deployment = self._deploy_version(conn, wanted, rollback=True)
        self.console.info(f"{name}: version {current} → {wanted} at 100 % (rolled back).")
        return self._result(
            conn.known,
            url=url,
            version=wanted,
            previous_version=current,
            deployment_id=deployment.id,
            unchanged=False,
            changes=(PlanChange("update", "deployment", f"{current} → {wanted} at 100 %"),),
            can_roll_back=True,
        )

    def destroy(self) -> TargetResult:
        name = self.config.script_name
        with self._connected() as conn:
            survey = self._survey(conn)
            if not survey.exists:
                raise DeployError(
                    f"Nothing to destroy: there is no Worker {name} on account "
                    f"{conn.known.account_id}.",
                    target=NAME,
                    remediation="Check server-name and cloudflare-account-id.",
                )
            if MANAGED_TAG not in survey.tags:
                raise DeployError(
                    f"The Worker {name} was not deployed by pmcp-action (it lacks the tag "
                    f"{MANAGED_TAG}); it is left alone.",
                    target=NAME,
                    remediation="Delete it where it was made (`wrangler delete --name "
                    f"{name}` or the dashboard).",
                )
            conn.api.delete_script(name)
        self.console.info(f"Deleted the Worker {name} (all its versions and deployments).")
        return self._result(
            conn.known,
            unchanged=False,
            changes=(PlanChange("delete", f"Worker {name}", "all versions and deployments"),),
        )

    # --- deploy paths ----------------------------------------------------------------------
    def _first_deploy(self, conn: _Conn, bundle: ModuleBundle, tag: str) -> TargetResult:
        name = self.config.script_name
        upload = make_upload(self.config, bundle, tag=tag, message=self._message(), first=True)
        self.console.info(
            f"{name} is a new Worker: uploading {len(bundle.modules)} modules and deploying "
            "them at 100 % (a first deploy has no earlier version to keep serving)."
        )
        answer = conn.api.upload_script(name, upload)
        deployments = conn.api.deployments(name)
        version = deployments[0].main_version if deployments else ""
        conn.api.enable_script_subdomain(name, previews=True)
        deployment_id = str(answer.get("deployment_id") or "") or (
            deployments[0].id if deployments else ""
        )
        return self._result(
            conn.known,
            url=self._live_url(conn.known),
            version=version,
            deployment_id=deployment_id,
            unchanged=False,
            changes=(
                PlanChange("create", f"Worker {name}", _describe(bundle)),
                PlanChange("create", "workers.dev route", "with version preview URLs"),
            ),
        )

    def _unchanged(self, conn: _Conn, survey: _Survey) -> TargetResult:
        name = self.config.script_name
        changes: tuple[PlanChange, ...] = ()
        if not survey.subdomain_enabled:
            conn.api.enable_script_subdomain(name, previews=survey.previews_enabled)
            changes = (PlanChange("update", "workers.dev route", "enabled again"),)
        self.console.info(
            f"{name}: version {survey.current} already serves this bundle with these bindings "
            "and compatibility settings; no new version."
            + (" Repaired: the workers.dev route was off." if changes else "")
        )
        return self._result(
            conn.known,
            url=self._live_url(conn.known),
            version=survey.current,
            previous_version=survey.previous,
            deployment_id=survey.deployments[0].id,
            unchanged=not changes,
            changes=changes,
            can_roll_back=bool(survey.previous),
        )

    def _stage_version(
        self, conn: _Conn, survey: _Survey, bundle: ModuleBundle, tag: str
    ) -> TargetResult:
        name = self.config.script_name
        message = self._message()
        upload = make_upload(self.config, bundle, tag=tag, message=message, first=False)
        version = self._create_once(
            lambda: conn.api.upload_version(name, upload),
            lambda: next(
                (
                    v
                    for v in conn.api.versions(name)
                    if v.annotations.get(MESSAGE_ANNOTATION) == message[:100]
                ),
                None,
            ),
            f"the upload of a new version of {name}",
        )
        if not survey.subdomain_enabled:
            conn.api.enable_script_subdomain(name, previews=survey.previews_enabled)
        current = survey.current
        created = PlanChange("create", f"version {version.id}", _describe(bundle))
        if version.has_preview and survey.previews_enabled:
            preview = self._url(f"{version.id[:8]}-{self.config.host_name}", conn.known)
            self.console.info(
                f"Uploaded version {version.id} without traffic; it is verified at its preview "
                f"URL {preview} before it serves. Version {current} serves meanwhile."
            )
            return self._result(
                conn.known,
                candidate_url=preview,
                version=version.id,
                previous_version=current,
                unchanged=False,
                changes=(created,),
                preview_url=preview,
            )
        reason = (
            "version preview URLs are off for this Worker"
            if not survey.previews_enabled
            else "Cloudflare gave the new version no preview URL"
        )
        self.console.info(
            f"Uploaded version {version.id}; {reason}, so it is deployed at 100 % now and "
            f"verified at the live URL (version {current} comes back if that fails)."
        )
        deployment = self._deploy_version(conn, version.id)
        return self._result(
            conn.known,
            url=self._live_url(conn.known),
            version=version.id,
            previous_version=current,
            deployment_id=deployment.id,
            unchanged=False,
            changes=(
                created,
                PlanChange("update", "deployment", f"{current} → {version.id} at 100 %"),
            ),
            notes=(f"Not verified before it served: {reason}.",),
            can_roll_back=bool(current),
        )

    def _deploy_version(
        self, conn: _Conn, version_id: str, *, rollback: bool = False
    ) -> DeploymentInfo:
        name = self.config.script_name

        def create(force: bool) -> DeploymentInfo:
            message = self._message()
            return self._create_once(
                lambda: conn.api.create_deployment(name, version_id, message, force=force),
                lambda: next(
                    (
                        d
                        for d in conn.api.deployments(name)[:5]
                        if d.annotations.get(MESSAGE_ANNOTATION) == message[:100]
                    ),
                    None,
                ),
                f"the deployment of version {version_id}",
            )

        try:
            return create(False)
        except CloudflareApiError as exc:
            if not (rollback and exc.has(ERR_SECRETS_CHANGED)):
                raise
        self.console.warning(
            f"Cloudflare refused to deploy version {version_id} again because a secret changed "
            "since it was active (code 10220); deploying it with force=true, the documented "
            "override. It runs with the secrets it was uploaded with.",
            title="Rollback with force",
        )
        return create(True)

    def _create_once(self, send: Callable[[], T], find: Callable[[], T | None], what: str) -> T:
        """Send a create call; after a lost or failed answer, read whether it happened."""
        attempt = 0
        while True:
            try:
                return send()
            except (CloudflareApiError, httpx.TransportError) as exc:
                transient = isinstance(exc, httpx.TransportError) or (
                    exc.status is not None and (exc.status >= 500 or exc.status == 429)
                )
                if not transient:
                    raise
                found = find()
                if found is not None:
                    self.console.info(f"The answer to {what} was lost, but it happened.")
                    return found
                attempt += 1
                delay = min(2.0**attempt, 10.0)
                if attempt >= _CREATE_ATTEMPTS or delay >= self.context.deadline.remaining():
                    raise
                self.console.info(f"Retrying {what} in {delay:.0f} s ({type(exc).__name__}).")
                self.context.sleep(delay)

    # --- reading ------------------------------------------------------------------------------
    @contextmanager
    def _connected(self) -> Iterator[_Conn]:
        if self._problems:
            raise ValidationError(self._problems)
        with self.context.http() as client:
            api = WorkersApi(client, self.config.api_base, self.config.api_token)
            if self._known is None:
                identity = self._check_token(api)
                api.account_id = self._account(api)
                self._known = _Known(api.account_id, self._subdomain(api), identity)
            api.account_id = self._known.account_id
            yield _Conn(api, self._known)

    def _check_token(self, api: WorkersApi) -> str:
        try:
            verified = api.verify_token()
        except CloudflareAuthError:
            if not self.config.account_id:
                raise
            # Account-owned tokens are verified under their account.
            verified = api.verify_account_token(self.config.account_id)
        status = str(verified.get("status", ""))
        if status != "active":
            raise CloudflareAuthError(
                f"The Cloudflare API token is {status or 'not active'}.",
                status=None,
                remediation=f"Create a new token ({TOKEN_PAGE}) with Workers Scripts: Edit "
                "(an account permission) and store it in the secret behind "
                "cloudflare-api-token.",
            )
        token_id = str(verified.get("id", ""))
        return f"API token {token_id[:8]}…" if token_id else "API token"

    def _account(self, api: WorkersApi) -> str:
        if self.config.account_id:
            return self.config.account_id
        accounts = api.accounts()
        if len(accounts) == 1:
            account_id, name = accounts[0]
            self.console.info(
                f"cloudflare-account-id is not set and the token sees one account, "
                f"{name or 'unnamed'} ({account_id}): deploying there."
            )
            return account_id
        listed = ", ".join(f"{a} ({n})" for a, n in accounts[:10])
        raise ConfigError(
            f"cloudflare-account-id is not set and the token sees {len(accounts)} accounts"
            + (f": {listed}." if accounts else "."),
            remediation="Set cloudflare-account-id (CLOUDFLARE_ACCOUNT_ID) to the account to "
            "deploy to"
            + ("." if accounts else ", and give the token access to it (Account Resources)."),
        )

    def _subdomain(self, api: WorkersApi) -> str:
        try:
            subdomain = api.account_subdomain()
        except CloudflareApiError as exc:
            if not exc.has(ERR_NO_SUBDOMAIN):
                raise
            subdomain = ""
        if not subdomain:
            raise DeployError(
                f"The account {api.account_id} has no workers.dev subdomain yet, so the Worker "
                "would have no URL.",
                target=NAME,
                remediation="Register one once: open Workers & Pages in the Cloudflare "
                "dashboard (it offers <name>.workers.dev), or PUT "
                '/accounts/<id>/workers/subdomain {"subdomain": "<name>"}. pmcp-action '
                "does not pick a name for you.",
            )
        return subdomain

    def _survey(self, conn: _Conn) -> _Survey:
        name = self.config.script_name
        service = conn.api.service(name)
        if service is None:
            return _Survey(exists=False)
        environment = service.get("default_environment")
        script = environment.get("script") if isinstance(environment, dict) else None
        tags = tuple(str(t) for t in (script or {}).get("tags") or ())
        deployments = tuple(conn.api.deployments(name))
        current = deployments[0].main_version if deployments else ""
        live = conn.api.version(name, current) if current else None
        previous = next(
            (d.whole_version for d in deployments[1:] if d.whole_version not in ("", current)),
            "",
        )
        enabled, previews = conn.api.script_subdomain(name)
        return _Survey(True, tags, deployments, live, previous, enabled, previews)

    def _matches(self, survey: _Survey, tag: str) -> bool:
        live = survey.live
        return (
            live is not None
            and live.annotations.get(TAG_ANNOTATION) == tag
            and survey.deployments[0].whole_version == live.id
        )

    def _adopt(self, conn: _Conn, survey: _Survey) -> None:
        if MANAGED_TAG in survey.tags:
            return
        self.console.warning(
            f"The Worker {self.config.script_name} exists but was not deployed by pmcp-action; "
            f"it is updated and tagged {MANAGED_TAG} from now on.",
            title="Existing Worker",
        )
        conn.api.set_tags(self.config.script_name, [*survey.tags, MANAGED_TAG])

    def _pick_version(self, conn: _Conn, survey: _Survey, wanted: str) -> str:
        name = self.config.script_name
        if not wanted:
            if not survey.previous:
                raise DeployError(
                    f"No earlier deployment of {name} served a single version at 100 %, so "
                    "there is no previous version to return to.",
                    target=NAME,
                    remediation="Give the version id to return to with rollback-to (--to).",
                )
            return survey.previous
        versions = conn.api.versions(name)
        exact = [v.id for v in versions if v.id == wanted]
        matches = exact or [v.id for v in versions if len(wanted) >= 8 and v.id.startswith(wanted)]
        if len(matches) == 1:
            return matches[0]
        recent = ", ".join(v.id for v in versions[:5]) or "none"
        raise DeployError(
            f"{wanted!r} names {'no' if not matches else 'more than one'} version of {name}.",
            target=NAME,
            remediation=f"Give a version id (or its first 8+ characters); recent versions: "
            f"{recent}.",
        )

    def _planned_changes(self, survey: _Survey, bundle: ModuleBundle, tag: str) -> list[PlanChange]:
        name = self.config.script_name
        if not survey.exists:
            return [
                PlanChange("create", f"Worker {name}", _describe(bundle)),
                PlanChange("create", "workers.dev route", "with version preview URLs"),
            ]
        if self._matches(survey, tag):
            changes = [PlanChange("keep", f"version {survey.current}", "same bundle and settings")]
            if not survey.subdomain_enabled:
                changes.append(PlanChange("update", "workers.dev route", "enable"))
            return changes
        live = survey.live
        diffs: list[str] = []
        if live is not None:
            if (
                live.compatibility_date
                and live.compatibility_date != self.config.compatibility_date
            ):
                diffs.append(
                    f"compatibility date {live.compatibility_date} → "
                    f"{self.config.compatibility_date}"
                )
            live_vars = {str(b.get("name")) for b in live.bindings if b.get("type") == "plain_text"}
            ours = set(self.config.variables)
            if ours - live_vars:
                diffs.append(f"new variables {', '.join(sorted(ours - live_vars))}")
            if live_vars - ours:
                kept = " (kept: keep-bindings)" if self.config.keep_bindings else " (removed)"
                diffs.append(f"variables not sent {', '.join(sorted(live_vars - ours))}{kept}")
            if self.config.secrets:
                diffs.append(f"secrets {', '.join(sorted(self.config.secrets))} (values not shown)")
        detail = "; ".join([_describe(bundle), *diffs])
        live_tag = live.annotations.get(TAG_ANNOTATION, "") if live else ""
        return [
            PlanChange("create", "version", detail),
            PlanChange(
                "update",
                "deployment",
                f"{survey.current} → the new version at 100 % (live tag {live_tag or 'none'}, "
                f"new tag {tag})",
            ),
        ]

    # --- pieces -------------------------------------------------------------------------------
    def _bundle(self) -> ModuleBundle:
        if self._problems:
            raise ValidationError(self._problems)
        bundle = resolve_workers_bundle(
            self.bundle_kind,
            project_root=self.project.root,
            artifact_input=self.config.artifact,
            artifact_source=self.config.sources.get("artifact", "input 'artifact'"),
            environ=self.context.environ,
            console=self.console,
        )
        self.console.info(
            f"Workers bundle ({bundle.layout} layout, from {bundle.source}): {_describe(bundle)}."
        )
        return bundle

    def _message(self) -> str:
        environ = self.context.environ
        self._messages += 1
        parts = [f"pmcp-deploy-action {self._nonce}.{self._messages}"]
        repository = environ.get("GITHUB_REPOSITORY") or environ.get("CI_PROJECT_PATH") or ""
        sha = environ.get("GITHUB_SHA") or environ.get("CI_COMMIT_SHA") or ""
        if repository or sha:
            parts.append(f"{repository}@{sha[:12]}".strip("@"))
        return " ".join(parts)[:100]

    def _url(self, label: str, known: _Known) -> str:
        host = f"{label}.{known.subdomain}.workers.dev"
        path = f"/{self.config.mcp_path}" if self.config.mcp_path else ""
        origin = self.config.workers_dev_origin
        return f"{origin}/{host}{path}" if origin else f"https://{host}{path}"

    def _live_url(self, known: _Known) -> str:
        return self._url(self.config.host_name, known)

    def _result(
        self,
        known: _Known,
        *,
        url: str = "",
        candidate_url: str = "",
        version: str = "",
        previous_version: str = "",
        deployment_id: str = "",
        unchanged: bool | None = None,
        changes: tuple[PlanChange, ...] = (),
        notes: tuple[str, ...] = (),
        preview_url: str = "",
        can_roll_back: bool = False,
    ) -> TargetResult:
        return TargetResult(
            url=url,
            candidate_url=candidate_url,
            version=version,
            previous_version=previous_version,
            deployment_id=deployment_id,
            unchanged=unchanged,
            identity=f"{known.identity} on account {known.account_id}",
            outputs=MappingProxyType(
                {
                    "account-id": known.account_id,
                    "script-name": self.config.script_name,
                    "preview-url": preview_url,
                }
            ),
            changes=changes,
            notes=notes,
            can_roll_back=can_roll_back,
        )


def _describe(bundle: ModuleBundle) -> str:
    modules = ", ".join(f"{m.name} ({m.content_type}, {m.size} bytes)" for m in bundle.modules)
    return f"{modules}; {bundle.compressed_size} bytes gzip-compressed"


def create(context: RunContext) -> CloudflareWorkersTarget:
    """The factory the declaration names."""
    return CloudflareWorkersTarget(context)
