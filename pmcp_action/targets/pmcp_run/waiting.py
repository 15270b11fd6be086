"""Waiting for pmcp.run within the run's deadline: a deployment, and a destroy.

The status vocabulary pmcp.run answers with lives here, with what each word means and
the messages for failures and timeouts.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...context import RunContext
from ...deadline import poll_until
from ...errors import DeployError, TimeoutExceededError
from ...http import transient_reason
from ...polling import OPERATION_POLL
from .api import DestroyResult, PmcpRunApi
from .declaration import NAME
from .failures import CHECK_DASHBOARD, DASHBOARD_URL

__all__ = [
    "Deployed",
    "finish_destroy",
    "wait_for_deployment",
    "wait_for_operation",
]

#: Deployment statuses that mean: still going. "success" and "failed" end it.
_IN_PROGRESS = frozenset({"pending", "validating", "deploying"})
#: destroy/operation status vocabulary → outcome.
_OP_DONE = frozenset({"deleted", "success", "completed"})
_OP_FAILED = frozenset({"failed", "delete_failed", "error"})
#: Everything else (initiated, deleting, running, unknown words) means: still running.


@dataclass(frozen=True)
class Deployed:
    """What ``getDeployment`` reported once the deployment succeeded."""

    url: str
    project_name: str


def wait_for_deployment(api: PmcpRunApi, deployment_id: str, context: RunContext) -> Deployed:
    """Poll ``getDeployment`` until "success"; fail on "failed", unknown words or the deadline."""
    console = context.console
    last: list[str] = []

    def probe() -> Deployed | None:
        status = api.get_deployment(deployment_id)
        value = status.status.lower()
        if not last or last[-1] != value:
            console.info(f"   {deployment_id}: {value}")
            last.append(value)
        if value == "success":
            return Deployed(url=status.url, project_name=status.project_name)
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
            deadline=context.deadline,
            what=f"pmcp.run deployment {deployment_id}",
            schedule=OPERATION_POLL,
            sleep=context.sleep,
            tolerate=transient_reason,
            on_tolerated=context.console.info,
        )
    except TimeoutExceededError as exc:
        raise TimeoutExceededError(
            f"pmcp.run deployment {deployment_id} of {context.project.server_name} did not "
            f"finish in time (last status: {last[-1] if last else 'unknown'}).",
            remediation="It may still finish: check the pmcp.run dashboard "
            f"({DASHBOARD_URL}) or run the outputs command later. Raise timeout-minutes "
            "if deployments are just slow.",
            details=exc.message,
        ) from exc


def finish_destroy(
    api: PmcpRunApi, deployment_id: str, result: DestroyResult, context: RunContext
) -> None:
    """Act on ``destroyDeployment``'s answer: fail, return, or wait for the operation."""
    status = result.status.lower()
    if status in _OP_FAILED:
        raise DeployError(
            f"Failed to destroy deployment {deployment_id}: {result.message or status}.",
            target=NAME,
            remediation=CHECK_DASHBOARD,
        )
    if status not in _OP_DONE:
        wait_for_operation(api, deployment_id, context)


def wait_for_operation(api: PmcpRunApi, operation_id: str, context: RunContext) -> None:
    """Poll ``getOperationStatus`` until done; unknown words keep waiting (as cargo-pmcp)."""

    def probe() -> bool | None:
        status = api.get_operation_status(operation_id)
        value = status.status.lower()
        context.console.debug(f"destroy {operation_id}: {value}")
        if value in _OP_DONE:
            return True
        if value in _OP_FAILED:
            raise DeployError(
                f"Operation failed: destroying deployment {operation_id}: "
                f"{status.message or value}.",
                target=NAME,
                remediation=CHECK_DASHBOARD,
            )
        return None  # running, or an unknown status: cargo-pmcp keeps waiting

    try:
        poll_until(
            probe,
            deadline=context.deadline,
            what=f"pmcp.run destroy of {operation_id}",
            schedule=OPERATION_POLL,
            sleep=context.sleep,
            tolerate=transient_reason,
            on_tolerated=context.console.info,
        )
    except TimeoutExceededError as exc:
        raise TimeoutExceededError(
            f"Destroying pmcp.run deployment {operation_id} did not finish in time.",
            remediation=f"It may still finish: check the pmcp.run dashboard ({DASHBOARD_URL}). "
            "Raise timeout-minutes if deletions are just slow.",
            details=exc.message,
        ) from exc
