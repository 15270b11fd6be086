"""Gradual traffic (``traffic-steps``): the new version's share raised step by step, the
live URL verified at each one, 100 % put back on the previous version when one fails.

The loop is written once, here, over a :class:`~pmcp_action.targets.TrafficTarget` (its
``shift_traffic`` is the platform's conditional write). The pipeline runs it after the
candidate passed at its own URL, and promotes (the last step, 100 %) after it. A step that
finds a split this run did not leave (:class:`~pmcp_action.flow.TrafficMovedError`) stops
the run and undoes nothing: another run moved the traffic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from .errors import PmcpActionError, Problem, VerificationError
from .flow import TrafficMovedError
from .result import PlanChange, TargetResult
from .settings.vocabulary import Command, VerifyMode
from .targets import Target, traffic_of

if TYPE_CHECKING:
    from .context import RunContext
    from .pipeline import RunRecorder
    from .settings.core_settings import Settings
    from .targets import TrafficTarget

__all__ = ["at_once", "roll_out", "split_change", "traffic_problems"]

#: Where the problems of traffic-steps are said to be when no source is known.
_INPUT = "input 'traffic-steps'"


def split_change(staged: TargetResult, percent: int) -> TargetResult:
    """``staged`` with the change a step made: the share of each version."""
    rest = f"{staged.previous_version} at {100 - percent} %"
    detail = f"{staged.version} at {percent} %, {rest}" if percent else f"back to {rest}"
    return replace(staged, changes=(*staged.changes, PlanChange("update", "traffic", detail)))


def traffic_problems(settings: Settings, target: Target) -> list[Problem]:
    """Why this deploy cannot move the traffic in the steps asked for (before any call)."""
    steps = settings.traffic_steps
    if settings.command is not Command.DEPLOY or steps == (100,):
        return []
    where = settings.sources.get("traffic-steps", _INPUT)
    leave = "leave traffic-steps out (or set it to 100) to move all the traffic at once"
    if traffic_of(target) is None:
        return [
            Problem(
                where,
                f"the {settings.target} target moves all the traffic at once; it does not "
                "split it between two versions",
                leave,
            )
        ]
    if settings.verify is VerifyMode.FALSE:
        return [Problem(where, "each step is verified over MCP, and verify is false", leave)]
    if settings.verify_url:
        return [
            Problem(where, "each step verifies the deployed URL, and verify-url is given", leave)
        ]
    waits, minutes = (len(steps) - 1) * settings.traffic_step_seconds, settings.timeout_minutes
    if waits >= minutes * 60:
        return [
            Problem(
                where,
                f"its {len(steps) - 1} steps below 100 % wait {waits} s in all "
                f"(traffic-step-seconds), not less than timeout-minutes ({minutes})",
                "raise timeout-minutes, or take fewer or shorter steps",
            )
        ]
    return []


def at_once(context: RunContext, staged: TargetResult) -> None:
    """Say why traffic-steps were not taken when the deploy served the new version at once
    (a first deploy, or a target that could not stage this one)."""
    if len(context.settings.traffic_steps) == 1 or staged.unchanged:
        return
    if not staged.previous_version:
        context.console.info("traffic-steps: a first deploy serves all the traffic at once.")
        return
    context.console.warning(
        f"Version {staged.version} took all the traffic at once, not in traffic-steps: the "
        f"{context.settings.target} target could not stage it without traffic "
        "(see the deploy's log for why); it was verified live.",
        title="Traffic not stepped",
    )


class _StepFailed(Exception):
    """The live URL failed its verification at a step (raised inside the step's phase)."""


def roll_out(
    recorder: RunRecorder,
    context: RunContext,
    target: TrafficTarget,
    staged: TargetResult,
    verified: Callable[[TargetResult], bool],
    *,
    on_failure: Callable[[TargetResult], None],
) -> TargetResult:
    """Each step of traffic-steps below 100: shift, wait traffic-step-seconds, verify the
    live URL (``verified``: False stops the rollout, ``on_failure`` is told after the step).
    The last step's result, for promote.

    On a failed step, 100 % goes back to the previous version (rolled-back=true) and
    :class:`VerificationError` is raised; a step that finds another run's split raises
    :class:`TrafficMovedError` and changes nothing."""
    settings = context.settings
    result, current = staged, 0
    steps = settings.traffic_steps[:-1]
    for percent in steps:
        try:
            with recorder.phase(f"traffic {percent} %"):
                result = target.shift_traffic(result, percent, current=current)
                current = percent
                recorder.result = result
                _wait(context, settings.traffic_step_seconds, percent)
                if not verified(result):
                    raise _StepFailed
                if percent == steps[-1]:
                    # Promote writes next: the split must still be this run's (read only).
                    target.shift_traffic(result, percent, current=percent)
        except _StepFailed:
            on_failure(result)
            failed = _put_back(recorder, target, result, current)
            verification = recorder.verification
            raise VerificationError(
                f"The live URL {result.url} did not prove that it works while version "
                f"{result.version} took {percent} % of the traffic.",
                details=verification.detail if verification is not None else "",
                remediation=failed
                or f"Version {result.previous_version} serves 100 % again. Fix the server (see "
                "the details), then deploy again.",
                still_serving=bool(failed) and not recorder.superseded_by,
            ) from None
    return result


def _wait(context: RunContext, seconds: int, percent: int) -> None:
    """traffic-step-seconds at ``percent`` %, cut short by the run's deadline."""
    if seconds <= 0:
        return
    context.console.info(f"Waiting {seconds} s with the new version at {percent} %.")
    context.sleep(min(float(seconds), context.deadline.remaining()))


def _put_back(
    recorder: RunRecorder, target: TrafficTarget, result: TargetResult, current: int
) -> str:
    """100 % back on the previous version; "" when done, else why it was not (the fix)."""
    previous = result.previous_version
    platform = recorder.platform
    try:
        with recorder.phase("rollback"):
            recorder.result = target.shift_traffic(result, 0, current=current)
    except TrafficMovedError as moved:
        recorder.superseded_by = moved.serving
        platform.warning(
            f"Verification failed at {current} %, but another run moved the traffic since: "
            f"{moved.message}",
            title="Rollback skipped",
        )
        return (
            "Another run moved the traffic after this one's step and was left alone. Fix the "
            "server (see the details) before the next deploy; a `concurrency:` group per "
            "server keeps deploys from overlapping."
        )
    except PmcpActionError as exc:
        platform.warning(
            f"Verification failed at {current} %, and putting 100 % back on version "
            f"{previous} failed too: {exc.message}",
            title="Rollback failed",
        )
        return (
            f"Version {result.version} still takes {current} % of the traffic (putting "
            f"{previous} back failed: {exc.title}; exit code 3). Roll back with command: "
            f"rollback (rollback-to: {previous})."
        )
    recorder.rolled_back = True
    return ""
