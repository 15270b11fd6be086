"""ACR Tasks' ARM calls for a quick build: the source upload URL, scheduleRun, runs, logs.

``scheduleRun`` is not idempotent: each call that arrives starts a build. It is sent
once by the client (no automatic retry); when its answer is lost (a dropped connection,
a 5xx, a 429) the registry's recent runs are read, and the request is sent again only
when that read shows no new run. A run is ours when it is new since just before the
request and a quick build for the same platform; two such runs at once (another job
building in the same registry that moment) are reported, not guessed between.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode

from ...ci.base import Platform
from ...deadline import Deadline, poll_until
from ...errors import DeployError, PmcpActionError, RemoteApiError
from ...http import transient_reason
from ...polling import OPERATION_POLL, PollSchedule
from ...rest import json_object
from .arm import Arm
from .declaration import NAME
from .failures import ArmError
from .sas_blob import mask_sas

__all__ = ["TASKS_API", "TERMINAL", "AcrTasks"]

#: The api-version ``az acr build`` uses for Tasks and runs.
TASKS_API = "2019-06-01-preview"
TERMINAL = frozenset({"Succeeded", "Failed", "Canceled", "Error", "Timeout"})
#: Runs created this long before the request count as "recent" (covers clock skew).
_WINDOW = timedelta(hours=1)
_RECENT = 100
_SCHEDULE_ATTEMPTS = 5
_TASKS_REMEDIATION = {
    "TasksOperationsNotAllowed": "ACR Tasks are not available on this subscription (free and "
    "trial subscriptions get this); use a pay-as-you-go subscription, or build the image "
    "elsewhere and deploy it by digest (image input).",
    "InvalidRequestContent": "This is a bug in pmcp-action's request; please report it with "
    "the message above.",
}
_REGISTRY_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.ContainerRegistry/"
    r"registries/[A-Za-z0-9]+/?$",
    re.IGNORECASE,
)
T = TypeVar("T")


class AcrTasks:
    """The Tasks calls of one registry (``registry_id``, its ARM resource id)."""

    def __init__(self, arm: Arm, registry_id: str, deadline: Deadline, console: Platform) -> None:
        if not _REGISTRY_ID.match(registry_id):
            raise ValueError(f"not a registry's resource id: {registry_id!r}")
        self.arm = arm
        self.registry_id = registry_id.rstrip("/")
        self.deadline = deadline
        self.console = console

    def _retrying(
        self, probe: Callable[[], T | None], what: str, schedule: PollSchedule | None = None
    ) -> T:
        return poll_until(
            probe,
            deadline=self.deadline,
            what=what,
            sleep=self.arm.sleep,
            tolerate=transient_reason,
            on_tolerated=self.console.info,
            initial_delay=1.0,
            max_delay=10.0,
            schedule=schedule,
        )

    def _post(self, rest: str, what: str) -> dict[str, Any]:
        return json_object(
            self.arm.call("POST", f"{self.registry_id}/{rest}", TASKS_API, what), what
        )

    # --- source ------------------------------------------------------------------------
    def source_upload_url(self) -> tuple[str, str]:
        """``(uploadUrl, relativePath)``; the URL (a SAS) is masked before anything else."""
        what = "asking ACR Tasks for a source upload URL"
        data = self._retrying(lambda: self._post("listBuildSourceUploadUrl", what), what)
        url, relative = str(data.get("uploadUrl") or ""), str(data.get("relativePath") or "")
        mask_sas(self.console, url)
        if not url or not relative:
            raise RemoteApiError(
                f"{what}: the answer has no uploadUrl or relativePath.",
                remediation="Run again; if it persists, check the registry in the Azure portal.",
            )
        return url, relative

    # --- runs --------------------------------------------------------------------------
    def schedule(self, request: dict[str, Any], what: str) -> str:
        """Start the build; its run id. Sent again only after a read shows it did not start."""
        since = (datetime.now(UTC) - _WINDOW).strftime("%Y-%m-%dT%H:%M:%SZ")
        known = set(self._retrying(lambda: self._recent(since), f"{what}: listing recent runs"))
        last: Exception | None = None
        for attempt in range(_SCHEDULE_ATTEMPTS):
            try:
                response = self.arm.call(
                    "POST",
                    f"{self.registry_id}/scheduleRun",
                    TASKS_API,
                    what,
                    body=request,
                    retry=False,
                )
                # 202 Accepted may come without a body: the run shows in the list.
                run_id = _run_id(json_object(response, what) if response.content else {})
            except RemoteApiError as exc:
                reason = transient_reason(exc)
                if reason is None and not _garbled(exc):
                    raise _explained(exc) from None
                last, lost = exc, reason or "an answer that is not a run"
            else:
                if run_id:
                    return run_id
                if response.status_code == 202:  # accepted: the run shows in the list
                    return self._retrying(
                        lambda: self._new_runs(since, known, request, what) or None,
                        f"{what}: waiting for the accepted run to appear",
                        OPERATION_POLL,
                    )
                last = RemoteApiError(f"{what}: the answer names no run.", status=200)
                lost = "an answer that names no run"
            # The answer is lost: read whether the run exists before sending it again.
            self.arm.sleep(min(2.0 * 2**attempt, self.deadline.remaining()))
            found = self._new_runs(since, known, request, what)
            if found:
                self.console.info(f"{what}: {lost}, but run {found} was created; following it")
                return found
            self.deadline.check(what)
            self.console.info(f"{what}: {lost}; no run was created, sending it again")
        assert last is not None
        raise _explained(last)

    def _recent(self, since: str) -> dict[str, dict[str, Any]]:
        query = urlencode({"$filter": f"CreateTime ge {since}", "$top": str(_RECENT)})
        path = f"{self.registry_id}/runs?{query}"
        what = "listing the registry's runs"
        data = json_object(self.arm.call("GET", path, TASKS_API, what), what)
        runs: dict[str, dict[str, Any]] = {}
        items = data.get("value")
        for item in items if isinstance(items, list) else []:
            run_id = _run_id(item)
            if run_id:
                runs[run_id] = (
                    item["properties"] if isinstance(item.get("properties"), dict) else {}
                )
        return runs

    def _new_runs(self, since: str, known: set[str], request: dict[str, Any], what: str) -> str:
        """The run the request created, "" when none; an error when it cannot tell."""
        recent = self._retrying(lambda: self._recent(since), f"{what}: listing recent runs")
        platform = request.get("platform", {})
        new = sorted(
            run_id
            for run_id, props in recent.items()
            if run_id not in known
            and props.get("runType", "QuickBuild") == "QuickBuild"
            and (props.get("platform") or platform).get("architecture")
            == platform.get("architecture")
        )
        if len(new) > 1:
            raise DeployError(
                f"{what}: the answer was lost, and {len(new)} new builds started meanwhile "
                f"({', '.join(new)}); which one is this run's cannot be told.",
                target=NAME,
                remediation="Another job builds in the same registry at the same time; run "
                "again (a build that is not needed can be cancelled: az acr task cancel-run).",
            )
        return new[0] if new else ""

    def run(self, run_id: str) -> dict[str, Any]:
        data = self.arm.get(f"{self.registry_id}/runs/{run_id}", TASKS_API, f"reading run {run_id}")
        if data is None:
            raise RemoteApiError(
                f"The ACR Tasks run {run_id} is gone (404).",
                status=404,
                remediation="Something deleted the run or the registry; run again.",
            )
        props = data.get("properties")
        return props if isinstance(props, dict) else {}

    def log_link(self, run_id: str) -> str:
        """The run's log blob as a SAS URL (masked)."""
        what = f"asking for the log of run {run_id}"
        link = str(self._post(f"runs/{run_id}/listLogSasUrl", what).get("logLink") or "")
        mask_sas(self.console, link)
        if not link:
            raise RemoteApiError(f"{what}: the answer has no logLink.", status=200)
        return link

    def cancel(self, run_id: str) -> str:
        """Cancel the run; "" when done, else why not."""
        try:
            self.arm.call(
                "POST",
                f"{self.registry_id}/runs/{run_id}/cancel",
                TASKS_API,
                f"cancelling {run_id}",
            )
        except PmcpActionError as exc:
            return str(exc)
        return ""


def _garbled(exc: Exception) -> bool:
    """A 2xx answer that could not be read (the call may have happened)."""
    return isinstance(exc, RemoteApiError) and exc.status is not None and exc.status < 300


def _run_id(run: Any) -> str:
    """A Run's id ("" when the answer is not a Run)."""
    if not isinstance(run, dict):
        return ""
    props = run.get("properties")
    run_id = props.get("runId") if isinstance(props, dict) else None
    return str(run_id or run.get("name") or "")


def _explained(exc: Exception) -> Exception:
    """The error, with what to do for the codes ACR Tasks is known to answer."""
    if isinstance(exc, ArmError) and not exc.remediation:
        exc.remediation = _TASKS_REMEDIATION.get(exc.code, "")
    return exc
