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
from ...rest.transport import TransportFailure
from .app import BOOTSTRAP_SUFFIX, app_path
from .arm import APP_API, Arm
from .config import AzureConfig
from .declaration import NAME
from .failures import ArmError
from .previews import kept_labels

__all__ = [
    "CONFLICT_ATTEMPTS",
    "move_traffic",
    "retire_bootstrap",
    "split_traffic",
    "wait_revision",
    "weights",
]

#: Conditional writes refused (412) because the app changed in between, each then re-read.
CONFLICT_ATTEMPTS = 3


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
    """All traffic to ``revision`` (activated first: a deactivated one takes none); the
    previews' labels kept. When the answer to the write is lost, the app is read: the write
    is sent again only when the read shows the traffic did not move."""
    arm.activate(config.resource_group, config.app_name, revision)
    path = app_path(arm, config)
    current = arm.get(path, APP_API, f"reading container app {config.app_name}") or {}
    traffic = [{"revisionName": revision, "weight": 100}, *kept_labels(current)]
    what = f"moving traffic to {revision}"
    body = {"properties": {"configuration": {"ingress": {"traffic": traffic}}}}
    try:
        arm.patch(path, body, what)
    except TransportFailure:
        app = arm.get(path, APP_API, f"reading {config.app_name} after {what}") or {}
        if weights(app) == {revision: 100}:
            return  # it happened; ARM finishes the operation on its own
        arm.patch(path, body, what)


def weights(app: dict[str, Any]) -> dict[str, int]:
    """Each revision's weight in the app's traffic as read (revisions without any left
    out; ``latestRevision`` named)."""
    props = app.get("properties") or {}
    latest = str(props.get("latestRevisionName") or "")
    found: dict[str, int] = {}
    for entry in ((props.get("configuration") or {}).get("ingress") or {}).get("traffic") or []:
        name = str(entry.get("revisionName") or (latest if entry.get("latestRevision") else ""))
        weight = int(entry.get("weight", 0) or 0)
        if name and weight:
            found[name] = found.get(name, 0) + weight
    return found


def split_traffic(
    arm: Arm,
    config: AzureConfig,
    wanted: dict[str, int],
    expected: Callable[[dict[str, int]], None],
) -> None:
    """The app's traffic set to ``wanted`` (revision -> weight) by a PATCH right after a read
    whose weights ``expected`` accepted (it raises to refuse them); conditional on the etag
    read (If-Match) when the app shows one. Container Apps shows none today
    (azure-mgmt-appcontainers 5.1.0 has no etag on an app): the read just before is then the
    check. A 412 (the app changed between read and write) reads again; weights already as
    wanted (a write whose answer was lost) are done."""
    path = app_path(arm, config)
    traffic = [{"revisionName": name, "weight": weight} for name, weight in wanted.items()]
    shares = ", ".join(f"{name} at {weight} %" for name, weight in wanted.items())
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        app = arm.get(path, APP_API, f"reading container app {config.app_name}") or {}
        found = weights(app)
        if found == wanted:
            expected(found)  # a check only (wanted is what was left), or a lost answer
            return
        expected(found)
        try:
            arm.patch(
                path,
                {"properties": {"configuration": {"ingress": {"traffic": traffic}}}},
                f"moving traffic: {shares}",
                if_match=str(app.get("etag") or ""),
            )
            return
        except ArmError as exc:
            if exc.status != 412 or attempt == CONFLICT_ATTEMPTS:
                raise


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
