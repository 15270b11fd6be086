"""A revision awaited until it runs, traffic moved to one, the bootstrap revision retired.

A revision is ready when ARM's write succeeded (the app's ``provisioningState``), the
revision is ``Provisioned`` and it runs: ``runningState`` Running and ``healthState`` not
Unhealthy (with no minimum replicas, any state but Failed). A failure, or the deadline,
reports ``provisioningError``, the running state and its details.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...ci.base import Platform
from ...deadline import Deadline, poll_until
from ...errors import DeployError, TimeoutExceededError
from ...polling import OPERATION_POLL
from .app import BOOTSTRAP_SUFFIX, app_path
from .arm import APP_API, Arm
from .config import AzureConfig
from .declaration import NAME
from .failures import ArmError

__all__ = ["move_traffic", "retire_bootstrap", "wait_revision"]


def _describe(props: dict[str, Any]) -> str:
    details = props.get("runningStateDetails") or ""
    return (
        f"provisioning {props.get('provisioningState', 'unknown')}, running "
        f"{props.get('runningState', 'unknown')}"
        + (f" ({details})" if details else "")
        + f", health {props.get('healthState', 'unknown')}"
    )


def wait_revision(
    arm: Arm,
    config: AzureConfig,
    revision: str,
    *,
    deadline: Deadline,
    sleep: Callable[[float], None],
) -> dict[str, Any]:
    """The revision once it is provisioned and runs; its state and reason otherwise."""
    path = f"{app_path(arm, config)}/revisions/{revision}"
    seen: dict[str, Any] = {}
    scaled_to_zero = config.min_replicas == 0

    def failed(props: dict[str, Any], why: str) -> DeployError:
        reason = props.get("provisioningError") or props.get("runningStateDetails") or ""
        return DeployError(
            f"Revision {revision} {why}: {reason or 'Azure gave no reason'} ({_describe(props)}).",
            target=NAME,
            remediation="Check the image runs, listens on 0.0.0.0 at the target port "
            f"({config.target_port}) and can be pulled (registry access); see the "
            "revision's system logs in the portal (Revisions → the revision → Console "
            "logs / System logs).",
        )

    def ready() -> dict[str, Any] | None:
        found = arm.get(path, APP_API, f"reading revision {revision}") or {}
        props = found.get("properties") or {}
        seen.clear()
        seen.update(props)
        state = props.get("provisioningState")
        running = props.get("runningState")
        if state == "Failed":
            raise failed(props, "failed to provision")
        if running == "Failed":
            raise failed(props, "failed to run")
        if state != "Provisioned":
            return None
        runs = str(running or "").startswith("Running")  # also RunningAtMaxScale
        if scaled_to_zero or (runs and props.get("healthState") != "Unhealthy"):
            return found
        if running is None and props.get("healthState") is None:
            return found  # an API version without the run states: provisioned is all
        return None

    try:
        return poll_until(
            ready,
            deadline=deadline,
            what=f"revision {revision} provisioning",
            schedule=OPERATION_POLL,
            sleep=sleep,
        )
    except TimeoutExceededError:
        raise failed(seen, "did not become ready in time") from None


def move_traffic(arm: Arm, config: AzureConfig, revision: str) -> None:
    """All traffic to ``revision`` (activated first: a deactivated one takes none)."""
    arm.activate(config.resource_group, config.app_name, revision)
    arm.patch(
        app_path(arm, config),
        {
            "properties": {
                "configuration": {
                    "ingress": {"traffic": [{"revisionName": revision, "weight": 100}]}
                }
            }
        },
        f"moving traffic to {revision}",
    )


def retire_bootstrap(arm: Arm, config: AzureConfig, console: Platform) -> None:
    """Deactivate the bootstrap revision once a real one serves (best effort)."""
    try:
        arm.activate(
            config.resource_group,
            config.app_name,
            f"{config.app_name}--{BOOTSTRAP_SUFFIX}",
            action="deactivate",
        )
    except ArmError as exc:
        console.info(f"The bootstrap revision stays active ({exc.code}); it runs no replicas.")
