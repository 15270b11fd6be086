"""What pmcp.run has for this server: its deployment, found by ``projectName`` in
``listDeployments`` (the live one if there is one), and, when the command deals with
secrets, the server's secrets (:func:`.secrets.read_stored`). Reads only."""

from __future__ import annotations

from dataclasses import dataclass

from ...ci.base import Platform
from ...flow import Deployed
from .api import DeploymentListItem, PmcpRunApi
from .secret_api import SecretApi
from .secrets import StoredSecrets, read_stored

__all__ = ["Survey", "find_deployment", "take_survey"]


@dataclass(frozen=True)
class Survey:
    #: The project's deployment (the live one, else its newest), or None.
    found: DeploymentListItem | None = None
    #: The server's secrets on pmcp.run (None when the command has none to deal with).
    secrets: StoredSecrets | None = None

    @property
    def deployed(self) -> Deployed:
        # Deployments belong to the organisation the credentials sign in to: all are ours.
        # pmcp.run keeps no earlier version, so none is named as the previous one.
        found = self.found
        return Deployed(exists=found is not None, serving=found.id if found else "", managed=True)


def find_deployment(api: PmcpRunApi, server_name: str) -> DeploymentListItem | None:
    """The live deployment of ``server_name`` (else any of its deployments), or ``None``."""
    matches = [item for item in api.list_deployments() if item.project_name == server_name]
    if not matches:
        return None
    live = [item for item in matches if item.status.lower() == "success"]
    return (live or matches)[0]


def take_survey(
    api: PmcpRunApi,
    server_name: str,
    *,
    secret_api: SecretApi | None = None,
    console: Platform | None = None,
) -> Survey:
    """The deployment; the secrets too when ``secret_api`` is given (and ``console``)."""
    found = find_deployment(api, server_name)
    if secret_api is None or console is None:
        return Survey(found)
    return Survey(found, read_stored(secret_api, server_name, console))
