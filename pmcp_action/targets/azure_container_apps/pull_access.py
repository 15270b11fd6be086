"""Registry pull access: how the container app pulls its image from ACR.

Preferred: the app's system-assigned identity with the role AcrPull on the registry (a role
assignment named by a GUID derived from the registry, the identity and the role, so a
second deploy finds it instead of adding another). That needs
``Microsoft.Authorization/roleAssignments/write`` (Owner, User Access Administrator); a
deployer with Contributor only is refused with 403, and the app then pulls with the
registry's admin user: ``adminUserEnabled`` switched on, ``listCredentials`` read, the
password masked at once and stored as an app secret (``registries[].passwordSecretRef``).
The identity exists only with the app: a new one is made with a public bootstrap image
first (:func:`ensure_identity`). Destroy deletes the AcrPull assignment it made.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from ... import ownership
from ...ci.base import Platform
from ...deadline import Deadline, poll_until
from ...errors import DeployError
from .acr import REGISTRY_API, Registry, find_registry, registry_path
from .app import Live, Pull, app_path, bootstrap_body
from .arm import Arm
from .config import AzureConfig
from .declaration import NAME
from .failures import ArmError

__all__ = [
    "ACR_PULL_ROLE",
    "AUTHORIZATION_API",
    "admin_pull",
    "ensure_identity",
    "grant_acr_pull",
    "pull_access",
    "revoke_acr_pull",
]

ACR_PULL_ROLE = "7f951dba-4ed5-480c-a3a5-b6fc5d2a7f82"
AUTHORIZATION_API = "2022-04-01"
#: A new identity is not replicated at once: the assignment is sent again while it is unknown.
_NOT_YET = ("PrincipalNotFound",)


def assignment_name(scope: str, principal: str, role: str) -> str:
    """The role assignment's GUID: the same registry, identity and role give the same one."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{scope.lower()}|{principal}|{role}"))


def ensure_identity(
    arm: Arm, config: AzureConfig, live: Live | None, environment_id: str, console: Platform
) -> str:
    """The app's system-assigned identity (its principal id), made when missing.

    A new app is created with the public bootstrap image first (the identity exists
    only with the app); an existing one gets the identity by a PATCH (no new revision).
    """
    if live is not None and live.principal_id:
        return live.principal_id
    path = app_path(arm, config)
    if live is None:
        console.info(
            f"Creating container app {config.app_name} with a system-assigned identity and a "
            "bootstrap image (no replicas), so AcrPull can be granted before its first "
            "revision pulls from the registry…"
        )
        app = arm.put(
            path,
            bootstrap_body(config, environment_id),
            f"creating container app {config.app_name} (bootstrap)",
        )
    else:
        app = arm.patch(
            path,
            {"identity": {"type": "SystemAssigned"}},
            f"giving container app {config.app_name} a system-assigned identity",
        )
    principal = str((app.get("identity") or {}).get("principalId") or "")
    if not principal:
        raise DeployError(
            f"Container app {config.app_name} has no system-assigned identity after it was "
            "asked for one.",
            target=NAME,
            remediation="Check the app's Identity blade in the portal and run again.",
        )
    return principal


def grant_acr_pull(
    arm: Arm,
    registry: Registry,
    principal: str,
    *,
    deadline: Deadline,
    sleep: Callable[[float], None],
    on_wait: Callable[[str], None],
) -> bool:
    """AcrPull for ``principal`` on ``registry``: True when it holds it, False when refused."""
    name = assignment_name(registry.id, principal, ACR_PULL_ROLE)
    path = f"{registry.id}/providers/Microsoft.Authorization/roleAssignments/{name}"
    what = f"granting AcrPull on {registry.name} to the app's identity"
    if arm.get(path, AUTHORIZATION_API, f"reading the AcrPull role assignment {name}"):
        return True
    body = {
        "properties": {
            "roleDefinitionId": arm.sub_path(
                f"/providers/Microsoft.Authorization/roleDefinitions/{ACR_PULL_ROLE}"
            ),
            "principalId": principal,
            "principalType": "ServicePrincipal",
        }
    }

    def attempt() -> bool | None:
        try:
            arm.call("PUT", path, AUTHORIZATION_API, what, body=body)
        except ArmError as exc:
            if exc.status == 403:
                return False
            if exc.code == "RoleAssignmentExists":
                return True
            if exc.code in _NOT_YET:
                on_wait(f"{what}: the new identity is not replicated yet; trying again")
                return None
            raise
        return True

    return poll_until(attempt, deadline=deadline, what=what, sleep=sleep, initial_delay=2.0)


def admin_pull(arm: Arm, group: str, registry: Registry, console: Platform) -> Pull:
    """The registry's admin user (switched on when off) and its first password, masked."""
    path = registry_path(arm, group, registry.name)
    if not registry.admin_enabled and not registry.managed:
        raise DeployError(
            f"The app cannot pull from {registry.name}: the deploying identity may not assign "
            "AcrPull to the app's identity (403), and the registry's admin user is off. The "
            f"registry was not made by pmcp-action (no tag {ownership.MANAGED_BY}="
            f"{ownership.OWNER}), so it is not "
            "switched on here.",
            target=NAME,
            remediation="Grant the deploying identity User Access Administrator (or Owner) on "
            f"the registry, or enable its admin user yourself (az acr update -n {registry.name} "
            "--admin-enabled true).",
        )
    if not registry.admin_enabled:
        arm.patch(
            path,
            {"properties": {"adminUserEnabled": True}},
            f"enabling the admin user of registry {registry.name}",
            REGISTRY_API,
        )
    data = arm.post(
        f"{path}/listCredentials", REGISTRY_API, f"reading the admin credentials of {registry.name}"
    )
    passwords = [p for p in data.get("passwords") or [] if isinstance(p, dict) and p.get("value")]
    for entry in passwords:
        console.mask(str(entry["value"]))
    username = str(data.get("username") or "")
    if not username or not passwords:
        raise DeployError(
            f"The registry {registry.name} gave no admin credentials.",
            target=NAME,
            remediation="Enable its admin user (az acr update -n "
            f"{registry.name} --admin-enabled true), or grant the deploying identity "
            "User Access Administrator on the registry so the app can pull with AcrPull.",
        )
    return Pull(
        server=registry.login_server,
        mode="admin-credentials",
        username=username,
        password=str(passwords[0]["value"]),
    )


def pull_access(
    arm: Arm,
    group: str,
    registry: Registry,
    principal: Callable[[], str],
    *,
    deadline: Deadline,
    sleep: Callable[[float], None],
    console: Platform,
) -> tuple[Pull, str]:
    """The app's pull access and a note saying which; ``principal`` gives its identity."""
    granted = grant_acr_pull(
        arm, registry, principal(), deadline=deadline, sleep=sleep, on_wait=console.info
    )
    if granted:
        return (
            Pull(server=registry.login_server, mode="managed-identity"),
            f"The app pulls from {registry.login_server} with its system-assigned identity "
            "(AcrPull on the registry).",
        )
    console.warning(
        f"The deploying identity may not assign roles on {registry.name} (403 on "
        "Microsoft.Authorization/roleAssignments/write, e.g. Contributor only), so the app "
        "pulls with the registry's admin credentials, stored as an app secret. Grant it "
        "User Access Administrator (or Owner) on the registry to use the app's managed "
        "identity instead.",
        title="ACR admin credentials",
    )
    pull = admin_pull(arm, group, registry, console)
    return (
        pull,
        f"The app pulls from {registry.login_server} with the registry's admin credentials "
        "(AcrPull could not be assigned: 403).",
    )


def revoke_acr_pull(arm: Arm, live: Live, console: Platform) -> str:
    """Delete the AcrPull assignment this tool gave the app's identity (destroy); the
    registry's name, "" when there was none (or it may not be deleted: a warning)."""
    configuration = (live.app.get("properties") or {}).get("configuration") or {}
    servers = [
        str(entry.get("server"))
        for entry in configuration.get("registries") or []
        if isinstance(entry, dict) and entry.get("identity") == "system"
    ]
    if not servers or not live.principal_id:
        return ""
    registry = find_registry(arm, servers[0])
    if registry is None:
        return ""
    name = assignment_name(registry.id, live.principal_id, ACR_PULL_ROLE)
    path = f"{registry.id}/providers/Microsoft.Authorization/roleAssignments/{name}"
    try:
        response = arm.call_or_none(
            "DELETE",
            path,
            AUTHORIZATION_API,
            f"deleting the app's AcrPull role assignment on {registry.name}",
        )
    except ArmError as exc:
        if exc.status != 403:
            raise
        console.warning(
            f"The AcrPull role assignment {name} on {registry.name} could not be deleted "
            "(403); remove it in the registry's Access control (IAM).",
            title="Role assignment kept",
        )
        return ""
    # 204 (or 404): there was none.
    return registry.name if response is not None and response.status_code == 200 else ""
