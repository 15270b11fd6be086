"""The ``pmcp-run`` target: cargo-pmcp's pmcp.run deploy, headless and bounded.

deploy: credentials → discovery → token → artifact → template →
``getUploadUrls`` → two presigned PUTs → ``createDeploymentFromS3`` → poll
``getDeployment`` within the deadline → OAuth → ``.pmcp/deployment.toml``.
plan reads only; outputs and destroy find the deployment by ``projectName``
through ``listDeployments``; rollback is refused because pmcp.run has none.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ...artifact import Artifact, resolve_artifact
from ...context import RunContext
from ...deadline import poll_until
from ...errors import (
    DeployError,
    NotSupportedError,
    PmcpActionError,
    Problem,
    RemoteApiError,
    TimeoutExceededError,
)
from ...http import RetryingClient
from ...result import PlanChange, TargetResult
from ...urls import endpoint_problem
from ..lambda_rules import lambda_problems
from .api import (
    CreateDeploymentInput,
    DeploymentListItem,
    OAuthInfo,
    PmcpRunApi,
    UploadUrls,
)
from .config import PmcpRunSettings, resolve
from .credentials import TokenSession, choose_credentials, credential_problems
from .deployment_file import DEPLOYMENT_FILE, write_deployment_file
from .discovery import PmcpRunConfig, discover
from .graphql import GraphQLClient
from .metadata import McpMetadata, extract_metadata
from .template import iam_problems, render_inputs_from_config, render_template, template_bytes
from .uploads import UploadJob, upload_all

__all__ = ["PmcpRunTarget", "create"]

NAME = "pmcp-run"
RUNTIME = "provided.al2023"
DASHBOARD_URL = "https://pmcp.run/dashboard"

#: Deployment statuses (reference §7.1 item 10).
_IN_PROGRESS = frozenset({"pending", "validating", "deploying"})
#: destroy/operation status vocabulary → outcome.
_OP_DONE = frozenset({"deleted", "success", "completed"})
_OP_FAILED = frozenset({"failed", "delete_failed", "error"})
#: Everything else (initiated, deleting, running, unknown words) means: still running.


#: pmcp.run uses projectName in a DNS name and as the Lambda function name.
_PROJECT_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$")

_CHECK_DASHBOARD = f"Check the deployment in the pmcp.run dashboard ({DASHBOARD_URL})."
_NO_ROLLBACK = (
    "pmcp.run has no rollback operation: it keeps no earlier version this action could "
    "switch back to, and cargo-pmcp's `rollback` is only a link to the dashboard."
)


@dataclass(frozen=True)
class _Connection:
    config: PmcpRunConfig
    session: TokenSession
    api: PmcpRunApi
    graphql: GraphQLClient


@dataclass(frozen=True)
class _Rendered:
    path: Path
    size: int
    sha256: str
    metadata: McpMetadata


class PmcpRunTarget:
    """Deploys to pmcp.run through its GraphQL API (see the module docstring)."""

    name = NAME

    def __init__(self, context: RunContext) -> None:
        self.context = context
        self.project = context.project
        self.console = context.console
        self.options: PmcpRunSettings
        self.options, self._problems = resolve(context)

    # --- validate -------------------------------------------------------------------
    def validate(self) -> Sequence[Problem]:
        config = self.project.config
        problems = list(self._problems)
        problems.extend(credential_problems(self.options))
        name = self.project.server_name
        if not _PROJECT_NAME.match(name):
            problems.append(
                Problem(
                    "server name",
                    f"{name[:70]!r} cannot be a pmcp.run projectName",
                    "use 1 to 63 letters, digits, - or _, starting and ending with a letter or "
                    "digit (set server-name or [server].name)",
                )
            )
        elif name.lower() != name or "_" in name:
            self.console.warning(
                f"The server name {name!r} has upper-case letters or underscores; pmcp.run uses "
                "it in a host name, where lower-case letters, digits and '-' are safest.",
                title="pmcp.run project name",
            )
        problems.extend(lambda_problems(config, self.project.environment))
        problems.extend(iam_problems(config.table("iam"), config.where("iam")))
        return problems

    # --- plan -------------------------------------------------------------------------
    def plan(self) -> TargetResult:
        with self._connected() as conn, self._work_dir() as work:
            artifact = self._artifact(work)
            rendered = self._render(work)
            existing = self._find(conn.api)
        name = self.project.server_name
        verb = "update" if existing else "create"
        changes: tuple[PlanChange, ...] = (
            PlanChange(
                verb,
                f"pmcp.run deployment {name}",
                f"existing deployment {existing.id}" if existing else "no deployment yet",
            ),
            PlanChange(
                "create",
                "CloudFormation template upload",
                f"{rendered.size} bytes, sha256 {rendered.sha256[:12]}",
            ),
            PlanChange(
                "create",
                f"{'deployment package' if artifact.kind == 'zip' else 'bootstrap'} upload",
                f"{artifact.size} bytes, sha256 {artifact.sha256[:12]} ({artifact.source})",
            ),
        )
        if self.project.config.auth.enabled:
            changes += (PlanChange("update", "OAuth (configureServerOAuth)", "[auth].enabled"),)
        return TargetResult(
            url=existing.url if existing else "",
            deployment_id=existing.id if existing else "",
            health_url=_health_url(existing.url) if existing and existing.url else "",
            identity=conn.session.identity,
            changes=changes,
            notes=(*self._settings_notes(), _metadata_note(rendered.metadata)),
            request_ids=_recent(conn.graphql.request_ids),
            can_roll_back=False,
        )

    # --- deploy -----------------------------------------------------------------------
    def deploy(self) -> TargetResult:
        with self._connected() as conn, self._work_dir() as work:
            with self.console.group("pmcp.run: artifact and template"):
                artifact = self._artifact(work)
                rendered = self._render(work)
            with self.console.group("pmcp.run: upload"):
                urls = self._upload(conn.api, artifact, rendered)
            with self.console.group("pmcp.run: deployment"):
                deployment_id = self._create(conn.api, urls)
                status = self._wait_for_deployment(conn.api, deployment_id)
                oauth = self._oauth(conn.api, deployment_id)
            return self._deployed(conn, deployment_id, status, oauth, artifact)

    def _upload(self, api: PmcpRunApi, artifact: Artifact, rendered: _Rendered) -> UploadUrls:
        urls = api.get_upload_urls(self.project.server_name, rendered.size, artifact.size)
        package = artifact.kind == "zip"
        self.console.info(
            f"Uploading the template ({rendered.size} bytes) and the "
            f"{'deployment package' if package else 'bootstrap'} ({artifact.size} bytes); the "
            f"URLs expire in {urls.expires_in} s."
        )
        jobs = [
            UploadJob(
                "Template",
                urls.template_upload_url,
                rendered.path,
                rendered.size,
                "application/json",
            ),
            UploadJob(
                "Package" if package else "Bootstrap",
                urls.bootstrap_upload_url,
                artifact.path,
                artifact.size,
                artifact.content_type,
            ),
        ]
        upload_all(
            jobs,
            http=self.context.http,
            deadline=self.context.deadline,
            sleep=self.context.sleep,
            console=self.console,
        )
        return urls

    def _create(self, api: PmcpRunApi, urls: UploadUrls) -> str:
        config = self.project.config
        variables: CreateDeploymentInput = {
            "templateS3Key": urls.template_s3_key,
            "bootstrapS3Key": urls.bootstrap_s3_key,
            "projectName": self.project.server_name,
            "runtime": RUNTIME,
            "memorySize": config.server.memory_mb,
            "timeout": config.server.timeout_seconds,
            "serverVersion": self.project.version or None,
            "tier": config.composition.tier,
            "allowComposition": config.composition.allow_composition,
            "internalOnly": config.composition.internal_only,
            "compositionDescription": config.composition.description or None,
        }
        created = api.create_deployment_from_s3(variables)
        self.console.info(f"Deployment {created.deployment_id} created; waiting for it.")
        return created.deployment_id

    def _deployed(
        self,
        conn: _Connection,
        deployment_id: str,
        status: _Status,
        oauth: OAuthInfo | None,
        artifact: Artifact,
    ) -> TargetResult:
        api_url = self.options.pmcp_api_url.rstrip("/")
        mcp_url = status.url or f"{api_url}/{deployment_id}/mcp"
        problem = endpoint_problem(mcp_url, "the deployment URL pmcp.run returned")
        if problem is not None:
            raise RemoteApiError(
                f"{problem.where}: {problem.what}.",
                remediation=f"Report this to pmcp.run; the server was deployed as {deployment_id}.",
            )
        server_id = status.project_name or self.project.server_name
        self._save_deployment_file(server_id, mcp_url)
        oauth_on = oauth is not None and oauth.oauth_enabled
        discovery_url = oauth.discovery_url if oauth is not None and oauth_on else ""
        notes = [
            f"pmcp.run deployment {deployment_id} of {server_id} is live.",
            f"Artifact: {artifact.kind} {artifact.size} bytes, sha256 {artifact.sha256[:12]} "
            f"({artifact.source}).",
            *self._settings_notes(),
            "pmcp.run has no rollback: to go back, deploy an earlier commit again.",
        ]
        if oauth_on:
            notes.append(
                "The server is protected by OAuth; clients discover it at "
                f"{discovery_url or '(no discovery URL reported)'}."
            )
        return TargetResult(
            url=mcp_url,
            version=self.project.version,
            deployment_id=deployment_id,
            health_url=_health_url(mcp_url),
            identity=conn.session.identity,
            outputs={
                "oauth-enabled": "true" if oauth_on else "false",
                "oauth-discovery-url": discovery_url,
            },
            notes=tuple(notes),
            request_ids=_recent(conn.graphql.request_ids),
            can_roll_back=False,
        )

    # --- outputs --------------------------------------------------------------------------
    def outputs(self) -> TargetResult:
        name = self.project.server_name
        with self._connected() as conn:
            item = self._find(conn.api)
            if item is None:
                raise DeployError(
                    f"No deployment found for project: {name} on {self.options.pmcp_api_url}.",
                    target=NAME,
                    remediation="Deploy it first, or check server-name ([server].name) and "
                    "that the credentials belong to the organisation that owns it.",
                )
            return TargetResult(
                url=item.url,
                deployment_id=item.id,
                health_url=_health_url(item.url) if item.url else "",
                identity=conn.session.identity,
                notes=(f"pmcp.run deployment {item.id} of {name}: status {item.status}.",),
                request_ids=_recent(conn.graphql.request_ids),
                can_roll_back=False,
            )

    # --- rollback -------------------------------------------------------------------------
    def rollback(self, to_version: str) -> TargetResult:
        wanted = f" to {to_version}" if to_version else ""
        raise NotSupportedError(
            f"Cannot roll back the pmcp.run deployment of {self.project.server_name}{wanted}. "
            + _NO_ROLLBACK,
            remediation="Deploy the earlier version again (re-run the workflow on that commit or "
            f"tag), or manage versions in the pmcp.run dashboard ({DASHBOARD_URL}). Set "
            "rollback-on-failure: false for this target.",
        )

    # --- destroy --------------------------------------------------------------------------
    def destroy(self) -> TargetResult:
        name = self.project.server_name
        with self._connected() as conn:
            item = self._find(conn.api)
            if item is None:
                raise DeployError(
                    f"No deployment found for project: {name} on {self.options.pmcp_api_url}; "
                    "nothing was destroyed.",
                    target=NAME,
                    remediation="Check server-name ([server].name), pmcp-api-url and that the "
                    "credentials belong to the organisation that owns the deployment.",
                )
            self.console.info(f"Destroying pmcp.run deployment {item.id} of {name}.")
            result = conn.api.destroy_deployment(item.id)
            status = result.status.lower()
            if status in _OP_FAILED:
                raise DeployError(
                    f"Failed to destroy deployment {item.id}: {result.message or status}.",
                    target=NAME,
                    remediation=_CHECK_DASHBOARD,
                )
            if status not in _OP_DONE:
                self._wait_for_operation(conn.api, item.id)
            return TargetResult(
                deployment_id=item.id,
                identity=conn.session.identity,
                notes=(
                    f"pmcp.run deployment {item.id} of {name} was destroyed "
                    "(stack, OAuth configuration and registry entry).",
                ),
                request_ids=_recent(conn.graphql.request_ids),
                can_roll_back=False,
            )

    # --- pieces -----------------------------------------------------------------------------
    @contextmanager
    def _connected(self) -> Iterator[_Connection]:
        """Pick credentials (offline), discover, and hold one HTTP client for the command."""
        choice = choose_credentials(self.options, self.console)
        with self.context.http() as client:
            config = self._discover(client)
            session = TokenSession(
                choice=choice, config=config, client=client, console=self.console
            )
            session.access_token()
            for event in session.events:
                self.console.info(f"pmcp.run credentials: {event} ({session.identity}).")
            graphql = GraphQLClient(
                client=client,
                url=config.graphql_url,
                session=session,
                console=self.console,
                rediscover=lambda: self._discover(client, quiet=True).graphql_url,
            )
            yield _Connection(config, session, PmcpRunApi(graphql), graphql)

    def _discover(self, client: RetryingClient, *, quiet: bool = False) -> PmcpRunConfig:
        config = discover(client, self.options.pmcp_api_url, self.context.environ)
        if not quiet:
            overrides = f" (overrides: {', '.join(config.overridden)})" if config.overridden else ""
            self.console.info(
                f"pmcp.run API {config.api_url}: GraphQL {config.graphql_url}, Cognito "
                f"{config.cognito_origin}{overrides}."
            )
        return config

    @contextmanager
    def _work_dir(self) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="pmcp-run-") as work:
            yield Path(work)

    def _artifact(self, work: Path) -> Artifact:
        return resolve_artifact(
            project_root=self.project.root,
            artifact_input=self.options.artifact,
            config=self.project.config,
            work_dir=work,
            packaging="auto",
            architecture="arm64",
            environ=self.context.environ,
            console=self.console,
            server_name=self.project.server_name,
        )

    def _render(self, work: Path) -> _Rendered:
        config = self.project.config
        metadata = extract_metadata(self.project.root).with_overrides(config.table("metadata"))
        inputs = render_inputs_from_config(
            config,
            server_name=self.project.server_name,
            region=self.options.region,
            environment=self.project.environment,
            metadata=metadata,
        )
        data = template_bytes(render_template(inputs))
        path = work / "template.json"
        path.write_bytes(data)
        skipped = sorted(k for k in self.project.environment if k in inputs.secret_keys)
        if skipped:
            self.console.warning(
                f"Not writing {', '.join(skipped)} into the template: they are declared in "
                "[secrets]; pmcp.run injects secrets server-side (set them with `cargo pmcp "
                "secret set --target pmcp`).",
                title="pmcp.run environment",
            )
        if self.project.environment:
            self.console.info(
                f"Applied {len(self.project.environment) - len(skipped)} environment variable(s) "
                "to McpFunction."
            )
        return _Rendered(
            path=path,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            metadata=metadata,
        )

    def _find(self, api: PmcpRunApi) -> DeploymentListItem | None:
        name = self.project.server_name
        matches = [item for item in api.list_deployments() if item.project_name == name]
        if not matches:
            return None
        live = [item for item in matches if item.status.lower() == "success"]
        return (live or matches)[0]

    def _wait_for_deployment(self, api: PmcpRunApi, deployment_id: str) -> _Status:
        last: list[str] = []

        def probe() -> _Status | None:
            status = api.get_deployment(deployment_id)
            value = status.status.lower()
            if not last or last[-1] != value:
                self.console.info(f"   {deployment_id}: {value}")
                last.append(value)
            if value == "success":
                return _Status(url=status.url, project_name=status.project_name)
            if value == "failed":
                raise DeployError(
                    f"Deployment failed: {status.error_message or 'Unknown error'}",
                    target=NAME,
                    remediation="Fix what the message describes (often the CloudFormation "
                    "template or the bootstrap binary), then deploy again. Details are in the "
                    f"pmcp.run dashboard ({DASHBOARD_URL}).",
                    details=f"Deployment id: {deployment_id}",
                )
            if value not in _IN_PROGRESS:
                raise DeployError(
                    f"Unknown deployment status: {status.status!r} (deployment {deployment_id}).",
                    target=NAME,
                    remediation="pmcp.run answered with a status this version of pmcp-action "
                    "does not know; check the dashboard and upgrade pmcp-action.",
                )
            return None

        try:
            return poll_until(
                probe,
                deadline=self.context.deadline,
                what=f"pmcp.run deployment {deployment_id}",
                initial_delay=1.0,
                max_delay=10.0,
                sleep=self.context.sleep,
            )
        except TimeoutExceededError as exc:
            raise TimeoutExceededError(
                f"pmcp.run deployment {deployment_id} of {self.project.server_name} did not "
                f"finish in time (last status: {last[-1] if last else 'unknown'}).",
                remediation="It may still finish: check the pmcp.run dashboard "
                f"({DASHBOARD_URL}) or run the outputs command later. Raise timeout-minutes "
                "if deployments are just slow.",
                details=exc.message,
            ) from exc

    def _wait_for_operation(self, api: PmcpRunApi, operation_id: str) -> None:
        def probe() -> bool | None:
            status = api.get_operation_status(operation_id)
            value = status.status.lower()
            self.console.debug(f"destroy {operation_id}: {value}")
            if value in _OP_DONE:
                return True
            if value in _OP_FAILED:
                raise DeployError(
                    f"Operation failed: destroying deployment {operation_id}: "
                    f"{status.message or value}.",
                    target=NAME,
                    remediation=_CHECK_DASHBOARD,
                )
            return None  # running, or an unknown status: cargo-pmcp keeps waiting

        try:
            poll_until(
                probe,
                deadline=self.context.deadline,
                what=f"pmcp.run destroy of {operation_id}",
                initial_delay=1.0,
                max_delay=10.0,
                sleep=self.context.sleep,
            )
        except TimeoutExceededError as exc:
            raise TimeoutExceededError(
                f"Destroying pmcp.run deployment {operation_id} did not finish in time.",
                remediation=f"It may still finish: check the pmcp.run dashboard ({DASHBOARD_URL}). "
                "Raise timeout-minutes if deletions are just slow.",
                details=exc.message,
            ) from exc

    def _oauth(self, api: PmcpRunApi, deployment_id: str) -> OAuthInfo | None:
        config = self.project.config
        name = self.project.server_name
        if config.auth.enabled:
            dcr = config.auth.dcr
            try:
                oauth = api.configure_server_oauth(
                    deployment_id,
                    scopes=list(dcr.default_scopes) or None,
                    dcr_enabled=dcr.enabled,
                    public_client_patterns=list(dcr.public_client_patterns) or None,
                )
            except PmcpActionError as exc:
                self.console.warning(
                    f"Failed to configure OAuth: {exc.message} Enable it later with `cargo pmcp "
                    f"oauth enable --server {deployment_id}`.",
                    title="pmcp.run OAuth",
                )
                return None
            self.console.info("OAuth configured.")
            return oauth
        try:
            found = api.fetch_server_oauth_endpoints(name)
        except PmcpActionError as exc:
            self.console.warning(
                f"OAuth status check failed for {name}: {exc.message}", title="pmcp.run OAuth"
            )
            return None
        return found if found is not None and found.oauth_enabled else None

    def _save_deployment_file(self, server_id: str, endpoint: str) -> None:
        try:
            path = write_deployment_file(
                self.project.root, server_id=server_id, endpoint=endpoint, console=self.console
            )
        except OSError as exc:
            self.console.warning(
                f"Could not write {DEPLOYMENT_FILE}: {exc.strerror or exc}. The deployment "
                "itself succeeded.",
                title="deployment.toml",
            )
            return
        self.console.info(f"Wrote {path}.")

    def _settings_notes(self) -> tuple[str, ...]:
        server = self.project.config.server
        version = self.project.version or "(unknown)"
        return (
            f"Lambda settings sent to pmcp.run: {server.memory_mb} MB, {server.timeout_seconds} s "
            f"timeout, runtime {RUNTIME}; server version {version}.",
        )


@dataclass(frozen=True)
class _Status:
    url: str
    project_name: str


def _metadata_note(metadata: McpMetadata) -> str:
    tools = f", {len(metadata.tools)} tool(s)" if metadata.tools else ""
    secrets = f", {len(metadata.secrets)} secret(s)" if metadata.secrets else ""
    return (
        f"Template metadata: mcp:serverId {metadata.server_id}, mcp:serverType "
        f"{metadata.server_type}{tools}{secrets} (from {metadata.source or 'defaults'})."
    )


def _recent(request_ids: Sequence[str], keep: int = 10) -> tuple[str, ...]:
    """The last few distinct request ids (the ones a support case needs)."""
    return tuple(dict.fromkeys(request_ids))[-keep:]


def _health_url(mcp_url: str) -> str:
    """``…/mcp`` → ``…/health`` (cargo-pmcp: only the trailing ``/mcp``)."""
    if mcp_url.endswith("/mcp"):
        return mcp_url[: -len("/mcp")] + "/health"
    return mcp_url.replace("/mcp", "/health")


def create(context: RunContext) -> PmcpRunTarget:
    """The factory the declaration names."""
    return PmcpRunTarget(context)
