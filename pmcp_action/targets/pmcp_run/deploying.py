"""The steps of the flow on pmcp.run: the files uploaded, the server's secrets written
(:mod:`.secrets`), then a deployment created from the files (there is no staging: every
deploy goes live, a first one and a later one alike), waited for, OAuth settled and
``.pmcp/deployment.toml`` written; the secrets the action set and the deployment destroyed."""

from __future__ import annotations

from dataclasses import replace

from ...context import RunContext
from ...errors import DeployError
from ...flow import Steps as FlowSteps
from ...ownership import Resource
from ...previews.identity import Preview
from ...result import PlanChange, TargetResult
from ...secrets import SecretOutcome
from .api import DeploymentListItem
from .config import PmcpRunSettings
from .connection import Connection
from .declaration import NAME
from .deployment import checked_mcp_url, create_deployment, upload_files
from .deployment_file import save_deployment_file
from .failures import GraphQLError, looks_like_unknown_schema
from .files import DeploymentFiles
from .oauth import settle_oauth
from .previews import ServerPreviews, mark_of, marked_version, preview_name, server_previews
from .results import (
    deployed_result,
    destroyed_result,
    found_result,
    planned_result,
    preview_result,
    result,
)
from .secret_api import SecretApi
from .secrets import apply_secrets, delete_all, read_stored, secret_plan
from .survey import Survey, take_survey
from .waiting import finish_destroy, wait_for_deployment

__all__ = ["Steps"]


class Steps(FlowSteps[Survey, DeploymentFiles]):
    """The calls that read and change one project's deployment over one connection.

    No ``promote`` or ``discard``: ``stage`` deploys live and gives no candidate URL. No
    rollback steps: the flow refuses a rollback first (the target's ``can_roll_back`` is
    False). The server's deployment carries no mark; every one the credentials see belongs
    to their organisation, so the survey calls it managed. A preview's deployment is marked
    in its ``serverVersion`` (:mod:`.previews`), and only marked ones are removed as
    previews.
    """

    def __init__(self, context: RunContext, config: PmcpRunSettings, conn: Connection) -> None:
        self.context = context
        self.config = config
        self.conn = conn
        self.console = context.console
        self.project = context.project
        self.secret_api = SecretApi(conn.graphql)
        #: The warning that no deployment can be told to be a preview was given.
        self._unmarked_said = False

    # --- reading -------------------------------------------------------------------------
    def resource(self) -> Resource:
        return Resource(
            kind="pmcp.run deployment of project",
            name=self.project.server_name,
            where=f"on {self.config.pmcp_api_url}",
            # pmcp.run keeps no mark: a deployment belongs to the credentials' organisation.
            mark="the organisation of these credentials",
            chosen_by="server-name ([server].name), pmcp-api-url and that the credentials "
            "belong to the organisation that owns it",
        )

    def survey(self, artifact: DeploymentFiles | None) -> Survey:
        """The deployment; the server's secrets too when this run has any to deal with."""
        return take_survey(
            self.conn.api,
            self.project.server_name,
            secret_api=self.secret_api if self.project.secrets else None,
            console=self.console,
        )

    def stored_secrets(self, survey: Survey) -> frozenset[str]:
        return survey.secrets.present if survey.secrets is not None else frozenset()

    def planned(self, survey: Survey, artifact: DeploymentFiles) -> TargetResult:
        outcomes = self._secret_plan(survey)
        return planned_result(
            self.conn, self.project, survey.found, artifact, outcomes, survey.secrets
        )

    def _secret_plan(self, survey: Survey) -> tuple[SecretOutcome, ...]:
        if survey.secrets is None:
            return ()
        return secret_plan(self.project.secrets, survey.secrets)

    def outputs(self, survey: Survey) -> TargetResult:
        assert survey.found is not None  # the flow asks only when something is deployed
        return found_result(self.conn, survey.found, self.project.server_name)

    # --- deploying -----------------------------------------------------------------------
    def first_deploy(self, survey: Survey, artifact: DeploymentFiles) -> TargetResult:
        return self._deploy(survey, artifact)

    def stage(self, survey: Survey, artifact: DeploymentFiles) -> TargetResult:
        """pmcp.run cannot stage: the new deployment replaces the live one when it succeeds."""
        return self._deploy(survey, artifact)

    def _deploy(self, survey: Survey, files: DeploymentFiles) -> TargetResult:
        api, context, console = self.conn.api, self.context, self.console
        project = self.project
        with console.group("pmcp.run: upload"):
            urls = upload_files(api, context, files)
        outcomes = self._secret_plan(survey)
        if survey.secrets is not None:
            # Before the deployment is created: it is given the server's secrets as they are
            # now, and a failed write leaves no deployment behind.
            with console.group("pmcp.run: secrets"):
                apply_secrets(self.secret_api, survey.secrets, project.secrets, outcomes, console)
        with console.group("pmcp.run: deployment"):
            deployment_id = create_deployment(api, project, urls, context)
            deployed = wait_for_deployment(api, deployment_id, context)
            oauth = settle_oauth(api, project, deployment_id, console)
        mcp_url = checked_mcp_url(self.config, deployment_id, deployed)
        server_id = deployed.project_name or project.server_name
        save_deployment_file(project.root, server_id=server_id, endpoint=mcp_url, console=console)
        return deployed_result(
            self.conn,
            project,
            deployment_id=deployment_id,
            server_id=server_id,
            mcp_url=mcp_url,
            oauth=oauth,
            files=files,
            secrets=outcomes,
        )

    # --- destroying ----------------------------------------------------------------------
    def remove(self, survey: Survey) -> TargetResult:
        """The server's previews first (the deployments marked as its previews, never one
        only named like them), then the secrets the action set (a failure leaves the
        deployment to destroy again), then the deployment."""
        item = survey.found
        assert item is not None  # the flow asks only when something is deployed
        name = self.project.server_name
        api = self.conn.api
        found = self._previews(strict=False)
        removed_previews = [
            change for preview in found.names for change in self._remove_preview(found, preview)
        ]
        stored = survey.secrets or read_stored(self.secret_api, name, self.console)
        deleted = delete_all(self.secret_api, stored, self.console)
        self.console.info(f"Destroying pmcp.run deployment {item.id} of {name}.")
        finish_destroy(api, item.id, api.destroy_deployment(item.id), self.context)
        done = destroyed_result(self.conn, item, name, deleted, stored)
        left = found.left_note(name)
        if left:
            self.console.warning(left, title="pmcp.run deployments left")
        return replace(
            done,
            changes=(*removed_previews, *done.changes),
            notes=(*done.notes, *((left,) if left else ())),
        )

    # --- previews --------------------------------------------------------------------------
    def _marked(self, *, strict: bool = True) -> list[DeploymentListItem]:
        """Every deployment with its ``serverVersion``. An API that does not give it back
        (a schema error) fails a preview command; for ``destroy`` (``strict=False``) no
        deployment is a preview then, so none is removed as one, and a warning says so."""
        api = self.conn.api
        try:
            return api.list_deployments(marks=True)
        except GraphQLError as exc:
            if not looks_like_unknown_schema(exc.messages):
                raise
            if strict:
                raise DeployError(
                    "pmcp.run's API did not give back the deployments' serverVersion, where a "
                    "preview's mark is kept; without it no deployment can be told to be a "
                    "preview of this server, so nothing was changed.",
                    target=NAME,
                    details=exc.message,
                    remediation="Deploy previews to a pmcp.run whose listDeployments answers "
                    "serverVersion, or report this to pmcp.run.",
                ) from exc
        if not self._unmarked_said:
            self._unmarked_said = True
            self.console.warning(
                "pmcp.run's API did not give back the deployments' serverVersion, where a "
                f"preview's mark is kept: no deployment is removed as a preview of "
                f"{self.project.server_name}.",
                title="pmcp.run previews",
            )
        return api.list_deployments()

    def _previews(self, *, strict: bool = True) -> ServerPreviews:
        return server_previews(self._marked(strict=strict), self.project.server_name)

    def previews(self, survey: Survey) -> tuple[str, ...]:
        return self._previews(strict=False).names

    def deploy_preview(
        self, survey: Survey, artifact: DeploymentFiles, preview: Preview
    ) -> TargetResult:
        """A deployment of its own, ``<server>-<preview-id>``, marked in ``serverVersion``
        as this server's preview; the server's deployment is never sent a call."""
        server = self.project.server_name
        name = preview_name(server, preview.id)
        named = [i for i in self._marked() if i.project_name == name]
        others = [i for i in named if mark_of(i) != (server, preview.id)]
        if others:
            raise DeployError(
                f"pmcp.run has a deployment named {name} ({others[0].id}) that is not marked as "
                f"the preview {preview.id} of {server}; a preview would replace it, so nothing "
                "was deployed.",
                target=NAME,
                remediation="Give another preview-id, or remove that deployment from the "
                "pmcp.run dashboard if it is a leftover.",
            )
        project = replace(
            self.project,
            server_name=name,
            version=marked_version(self.project.version, server, preview.id),
        )
        context = replace(self.context, project=project)
        api, console = self.conn.api, self.console
        self.console.info(
            f"Deploying the preview {preview.id} of {server} as pmcp.run project {name} "
            f"(serverVersion {project.version}); {server}'s own deployment is not touched."
        )
        with console.group("pmcp.run: upload"):
            urls = upload_files(api, context, artifact)
        outcomes: tuple[SecretOutcome, ...] = ()
        missing = self.project.secrets.missing
        if missing:
            console.warning(
                f"{', '.join(missing)}: stored on pmcp.run for {server}, not given to this run; "
                f"pmcp.run gives a deployment its own project's secrets, so the preview "
                f"({name}) runs without them. Give them to the run (the secrets input or "
                "their environment variables) for the preview to have them.",
                title="Preview secrets",
            )
        if self.project.secrets.values:
            # pmcp.run gives a deployment the secrets of its own project: the ones given this
            # run are written for the preview's (and removed with it).
            stored = read_stored(self.secret_api, name, console)
            outcomes = secret_plan(self.project.secrets, stored)
            with console.group("pmcp.run: preview secrets"):
                apply_secrets(self.secret_api, stored, self.project.secrets, outcomes, console)
        with console.group("pmcp.run: preview deployment"):
            deployment_id = create_deployment(api, project, urls, context)
            deployed = wait_for_deployment(api, deployment_id, context)
            oauth = settle_oauth(api, project, deployment_id, console)
        mcp_url = checked_mcp_url(self.config, deployment_id, deployed)
        return preview_result(
            self.conn,
            self.project,
            preview=preview.id,
            project_name=name,
            deployment_id=deployment_id,
            mcp_url=mcp_url,
            oauth=oauth,
            secrets=outcomes,
        )

    def remove_preview(self, survey: Survey, preview: str) -> TargetResult:
        server = self.project.server_name
        name = preview_name(server, preview)
        found = self._previews()
        left = found.left_note(server, name)
        if left:
            self.console.warning(left, title="pmcp.run deployments left")
        if not found.of(preview):
            note = (
                f"There is no preview {preview} of {server} on pmcp.run (no deployment "
                f"{name} marked as one); nothing to remove."
            )
            self.console.info(note)
            return replace(
                result(self.conn, notes=(note, *((left,) if left else ()))), preview_id=preview
            )
        changes = self._remove_preview(found, preview)
        note = (
            f"The preview {preview} of {server} was removed: pmcp.run deployment "
            f"{', '.join(i.id for i in found.of(preview))} ({name}) and the secrets the "
            "action set for it."
        )
        return replace(
            result(
                self.conn,
                deployment_id=found.of(preview)[0].id,
                changes=changes,
                notes=(note, *((left,) if left else ())),
            ),
            preview_id=preview,
        )

    def _remove_preview(self, found: ServerPreviews, preview: str) -> tuple[PlanChange, ...]:
        """Destroy the deployments marked as ``preview``, then the secrets the action set
        for its project."""
        api, console = self.conn.api, self.console
        name = preview_name(self.project.server_name, preview)
        changes: list[PlanChange] = []
        for item in found.of(preview):
            console.info(f"Destroying pmcp.run deployment {item.id} ({name}, preview {preview}).")
            finish_destroy(api, item.id, api.destroy_deployment(item.id), self.context)
            changes.append(
                PlanChange("delete", f"pmcp.run deployment {item.id}", f"preview {preview}")
            )
        stored = read_stored(self.secret_api, name, console)
        for secret in delete_all(self.secret_api, stored, console):
            changes.append(PlanChange("delete", f"pmcp.run secret {name}/{secret}", "preview"))
        return tuple(changes)
