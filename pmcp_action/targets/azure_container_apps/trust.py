"""What Azure needs so a CI job's OIDC token can deploy: a federated credential on the app
registration (issuer, subject, audience, matched exactly) and role assignments on the
resource group; probed by ``check`` with a read of the resource group and the ``permissions``
list of the identity there, held against :data:`ACTIONS`.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from ...access import Access, Missing
from ...errors import CredentialExchangeError
from ...rest import RestApi
from ...trust.model import (
    Applied,
    Outcome,
    TrustDocument,
    TrustPlan,
    TrustRequest,
    differences,
)
from .config import AzureConfig
from .pull_access import AUTHORIZATION_API

__all__ = ["ACTIONS", "GRAPH_URL_ENV", "ROLES", "allowed", "apply", "plan", "probe"]

#: Role definitions (built-in ids) assigned on the resource group, with what for.
ROLES: Mapping[str, tuple[str, str]] = {
    "Contributor": (
        "b24988ac-6180-42a0-ab88-20f7382dd24c",
        "create the environment, the registry and the app, and build and deploy revisions",
    ),
    "Role Based Access Control Administrator": (
        "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
        "give the app's identity AcrPull on the registry",
    ),
}

#: The ARM actions of the calls the target makes (``check`` holds the permissions to each).
ACTIONS: Mapping[str, str] = {
    "Microsoft.Resources/subscriptions/resourceGroups/read": "read the resource group",
    "Microsoft.App/managedEnvironments/read": "read the environment",
    "Microsoft.App/managedEnvironments/write": "create the environment",
    "Microsoft.App/managedEnvironments/join/action": "put the app into the environment",
    "Microsoft.App/containerApps/read": "read the app and its revisions",
    "Microsoft.App/containerApps/write": "create the app and deploy a revision",
    "Microsoft.App/containerApps/revisions/activate/action": "activate a revision",
    "Microsoft.App/containerApps/revisions/deactivate/action": "deactivate a revision",
    "Microsoft.ContainerRegistry/registries/read": "read the registry",
    "Microsoft.ContainerRegistry/registries/write": "create the registry",
    "Microsoft.ContainerRegistry/registries/scheduleRun/action": "build the image (ACR Tasks)",
    "Microsoft.ContainerRegistry/registries/listBuildSourceUploadUrl/action": "upload the "
    "build context",
    "Microsoft.Authorization/roleAssignments/read": "read the app's AcrPull assignment",
    "Microsoft.Authorization/roleAssignments/write": "give the app's identity AcrPull",
}

_NAME = re.compile(r"[^A-Za-z0-9-]+")
_PLACEHOLDERS = {"client": "CLIENT_ID", "subscription": "SUBSCRIPTION_ID"}


def _config(target: Any) -> AzureConfig:
    config = target.config
    assert isinstance(config, AzureConfig), "the azure-container-apps target holds an AzureConfig"
    return config


def _scope(config: AzureConfig) -> str:
    subscription = config.subscription_id or _PLACEHOLDERS["subscription"]
    return f"/subscriptions/{subscription}/resourceGroups/{config.resource_group}"


def plan(target: Any, request: TrustRequest) -> TrustPlan:
    """The federated credential and the role assignments, as JSON and az commands."""
    config = _config(target)
    source = request.source
    client = config.client_id or _PLACEHOLDERS["client"]
    scope = _scope(config)
    name = _NAME.sub("-", f"pmcp-{source.repository}-{source.scope.value}-{source.name}")
    name = name.strip("-")[:120]
    credential = {
        "name": name,
        "issuer": source.issuer,
        "subject": source.subject,
        "audiences": [config.audience],
        "description": f"pmcp-deploy-action: {source.describe()}",
    }
    documents = [
        TrustDocument("Federated identity credential", f"app {client}", credential),
        *(
            TrustDocument(
                f"Role assignment: {role}",
                scope,
                {
                    "properties": {
                        "roleDefinitionId": f"/subscriptions/{scope.split('/')[2]}/providers/"
                        f"Microsoft.Authorization/roleDefinitions/{definition}",
                        "principalId": f"<the service principal of {client}>",
                        "principalType": "ServicePrincipal",
                    }
                },
            )
            for role, (definition, _) in ROLES.items()
        ),
    ]
    q = shlex.quote
    commands = [
        f"az ad app federated-credential create --id {q(client)} --parameters "
        + q(json.dumps({k: v for k, v in credential.items()}, separators=(",", ":"))),
        f"az group create --name {q(config.resource_group)} --location {q(config.location)}",
        *(
            f"az role assignment create --assignee {q(client)} --role {q(role)} --scope {q(scope)}"
            for role in ROLES
        ),
    ]
    notes = []
    if not source.exact:
        notes.append(
            "Entra ID matches a federated credential's subject exactly, and GitLab's subject "
            "names the branch, not the environment: give --ref BRANCH for a credential that "
            "matches."
        )
        documents = documents[1:]
        commands = commands[1:]
    if client == _PLACEHOLDERS["client"] or scope.startswith(
        f"/subscriptions/{_PLACEHOLDERS['subscription']}"
    ):
        notes.append(
            "Replace CLIENT_ID and SUBSCRIPTION_ID (or give azure-client-id and "
            "azure-subscription-id)."
        )
    notes.append(
        "Role Based Access Control Administrator lets the job assign roles in the group: "
        "add a condition that allows AcrPull (7f951dda-4ed3-4680-a7ca-43fe172d538d) only."
    )
    return TrustPlan(
        summary=(
            f"Azure: let {source.describe()} sign in as the app {client} with its OIDC token "
            f"(audience {config.audience}), and let it deploy into {scope}. The resource group "
            "is created first: a role on it cannot create it."
        ),
        documents=tuple(documents),
        commands=tuple(commands),
        notes=tuple(notes),
        applies=source.exact,
    )


def allowed(permissions: Sequence[Mapping[str, Any]], action: str) -> bool:
    """Whether ARM's permissions list grants ``action`` (wildcards, notActions)."""

    def matches(patterns: Any) -> bool:
        return any(fnmatch.fnmatch(action.lower(), str(p).lower()) for p in patterns or ())

    return any(
        matches(entry.get("actions")) and not matches(entry.get("notActions"))
        for entry in permissions
    )


def probe(
    permissions: Sequence[Mapping[str, Any]], config: AzureConfig, identity: str, scope: str
) -> Access:
    """Hold the identity's permissions at ``scope`` to every action a deploy uses."""
    missing = [a for a in ACTIONS if not allowed(permissions, a)]
    grant = ""
    if missing:
        roles = " and ".join(ROLES)
        grant = (
            f"Assign {roles} to the app {config.client_id} on {scope}: az role assignment create "
            f"--assignee {config.client_id} --role ROLE --scope {scope} (`pmcp-action trust "
            "--target azure-container-apps` prints each)."
        )
    return Access(
        identity=identity,
        allowed=tuple(f"{a} on {scope}" for a in ACTIONS if a not in missing),
        missing=tuple(Missing(a, scope, grant, ACTIONS[a]) for a in missing),
        notes=(f"Probed with the permissions list of {scope}.",),
    )


# --- --apply ----------------------------------------------------------------------------------
#: Microsoft Graph (the federated credential, the app's service principal).
GRAPH_URL = "https://graph.microsoft.com"
#: For emulators only: a loopback URL replacing :data:`GRAPH_URL`.
GRAPH_URL_ENV = "PMCP_AZURE_GRAPH_URL"


def _credential(config: AzureConfig, request: TrustRequest) -> dict[str, Any]:
    source = request.source
    name = _NAME.sub("-", f"pmcp-{source.repository}-{source.scope.value}-{source.name}")
    return {
        "name": name.strip("-")[:120],
        "issuer": source.issuer,
        "subject": source.subject,
        "audiences": [config.audience],
        "description": f"pmcp-deploy-action: {source.describe()}",
    }


def _ensure_credential(graph: RestApi, config: AzureConfig, request: TrustRequest) -> Applied:
    wanted = _credential(config, request)
    app = f"/v1.0/applications(appId='{config.client_id}')/federatedIdentityCredentials"
    what = f"the federated credential {wanted['name']} of the app {config.client_id}"
    listed = graph.call_json("GET", app, f"listing the federated credentials of {config.client_id}")
    for have in listed.get("value") or []:
        same_match = (have.get("issuer"), have.get("subject")) == (
            wanted["issuer"],
            wanted["subject"],
        )
        if have.get("name") == wanted["name"] or same_match:
            found = differences(have, {k: wanted[k] for k in ("issuer", "subject", "audiences")})
            if found:
                return Applied(what, Outcome.DIFFERS, "\n".join(found))
            return Applied(what, Outcome.UNCHANGED)
    graph.call_json("POST", app, f"creating {what}", json=wanted, once=True)
    return Applied(what, Outcome.CREATED)


def _ensure_role(arm: RestApi, scope: str, principal: str, role: str, definition: str) -> Applied:
    what = f"the role {role} of {principal} on {scope}"
    base = f"{scope}/providers/Microsoft.Authorization/roleAssignments"
    listed = arm.call_json(
        "GET",
        base,
        f"listing the role assignments on {scope}",
        params={"api-version": AUTHORIZATION_API, "$filter": f"principalId eq '{principal}'"},
    )
    for assignment in listed.get("value") or []:
        if str(assignment.get("properties", {}).get("roleDefinitionId", "")).endswith(definition):
            return Applied(what, Outcome.UNCHANGED)
    name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{scope}|{principal}|{definition}"))
    arm.call_json(
        "PUT",
        f"{base}/{name}",
        f"assigning {role} on {scope}",
        params={"api-version": AUTHORIZATION_API},
        json={
            "properties": {
                "roleDefinitionId": f"/subscriptions/{scope.split('/')[2]}/providers/"
                f"Microsoft.Authorization/roleDefinitions/{definition}",
                "principalId": principal,
                "principalType": "ServicePrincipal",
            }
        },
    )
    return Applied(what, Outcome.CREATED)


def apply(target: Any, request: TrustRequest, _shown: TrustPlan) -> tuple[Applied, ...]:
    """Create the federated credential, the resource group and the role assignments where
    missing, with the terminal's own sign-in (``az login``, a managed identity)."""
    from ...urls import check_endpoint
    from .ambient import ambient_token
    from .arm import Arm
    from .failures import ArmEnvelope

    config = _config(target)
    context = target.context
    if not (config.client_id and config.subscription_id):
        raise CredentialExchangeError(
            "trust --apply needs the app registration and the subscription: azure-client-id "
            "and azure-subscription-id are not both given; nothing was changed.",
            remediation="Give --azure-client-id and --azure-subscription-id (az ad app create "
            "--display-name pmcp-deploy makes an app), then run trust --apply again.",
        )
    given = context.environ.get(GRAPH_URL_ENV, "").strip()
    graph_url = (
        check_endpoint(given, f"environment variable {GRAPH_URL_ENV}") if given else GRAPH_URL
    )
    with context.http() as client:
        arm_token = ambient_token(context, config, client).access_token
        # The resource is Graph's id, whatever host stands in for it (as with ARM).
        graph_token = ambient_token(context, config, client, GRAPH_URL + "/").access_token
        graph = RestApi(
            client,
            graph_url,
            envelope=ArmEnvelope(config.client_id),
            headers={"Authorization": f"Bearer {graph_token}"},
            reach_hint=GRAPH_URL_ENV,
        )
        arm = Arm(
            client,
            config.arm_url,
            arm_token,
            config.subscription_id,
            deadline=context.deadline,
            sleep=context.sleep,
        )
        results = [_ensure_credential(graph, config, request)]
        group = config.resource_group
        if arm.resource_group(group) is None:
            arm.create_resource_group(group, config.location, {"managed-by": "pmcp"})
            results.append(Applied(f"the resource group {group}", Outcome.CREATED))
        else:
            results.append(Applied(f"the resource group {group}", Outcome.UNCHANGED))
        principal = str(
            graph.call_json(
                "GET",
                f"/v1.0/servicePrincipals(appId='{config.client_id}')",
                f"reading the service principal of {config.client_id}",
            )["id"]
        )
        scope = arm.group_path(group)
        for role, (definition, _) in ROLES.items():
            results.append(_ensure_role(arm.api, scope, principal, role, definition))
    return tuple(results)
