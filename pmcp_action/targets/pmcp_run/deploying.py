"""The steps of the flow on pmcp.run: the files uploaded, the server's secrets written
(:mod:`.secrets`), then a deployment created from the files (there is no staging: every
deploy goes live, a first one and a later one alike), waited for, OAuth settled and
``.pmcp/deployment.toml`` written; the secrets the action set and the deployment destroyed."""

from __future__ import annotations

from ...context import RunContext
from ...flow import Steps as FlowSteps
from ...ownership import Resource
from ...result import TargetResult
from ...secrets import SecretOutcome
from .config import PmcpRunSettings
from .connection import Connection
from .deployment import checked_mcp_url, create_deployment, upload_files
from .deployment_file import save_deployment_file
from .files import DeploymentFiles
from .oauth import settle_oauth
from .results import deployed_result, destroyed_result, found_result, planned_result
from .secret_api import SecretApi
from .secrets import apply_secrets, delete_all, read_stored, secret_plan
from .survey import Survey, take_survey
from .waiting import finish_destroy, wait_for_deployment

__all__ = ["Steps"]


class Steps(FlowSteps[Survey, DeploymentFiles]):
    """The calls that read and change one project's deployment over one connection.

    No ``promote`` or ``discard``: ``stage`` deploys live and gives no candidate URL. No
    rollback steps: the flow refuses a rollback first (the target's ``can_roll_back`` is
    False). A deployment carries no mark; every one the credentials see belongs to their
    organisation, so the survey calls it managed.
    """

    def __init__(self, context: RunContext, config: PmcpRunSettings, conn: Connection) -> None:
        self.context = context
        self.config = config
        self.conn = conn
        self.console = context.console
        self.project = context.project
        self.secret_api = SecretApi(conn.graphql)

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
        """The secrets the action set first (a failure leaves the deployment to destroy
        again), then the deployment."""
        item = survey.found
        assert item is not None  # the flow asks only when something is deployed
        name = self.project.server_name
        api = self.conn.api
        stored = survey.secrets or read_stored(self.secret_api, name, self.console)
        deleted = delete_all(self.secret_api, stored, self.console)
        self.console.info(f"Destroying pmcp.run deployment {item.id} of {name}.")
        finish_destroy(api, item.id, api.destroy_deployment(item.id), self.context)
        return destroyed_result(self.conn, item, name, deleted, stored)
