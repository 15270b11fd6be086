#!/usr/bin/env python3
"""Every target's waits: how soon the end of an operation is noticed, and how many reads.

Simulated time: for each wait, an operation that finishes at 0 s, 0.7 s, 1.4 s, ...
599.9 s of a 10-minute window (858 finishing times) is awaited by the real wait code on a
fake clock (its sleeps move the clock); only the platform's answer is stubbed, at the
method the wait calls ("not done" before the finishing time, "done" from then on). The
detection lag is the time from the finish to the read that sees it; the reads are the
status reads the wait made (its calls to the platform).

The waits: pmcp-run's ``wait_for_deployment``, Cloud Run's ``RunApi.wait`` (a long-running
operation), Artifact Registry's repository-create operation, ARM's ``Arm.wait`` (an
``Azure-AsyncOperation``, without and with a ``Retry-After: 10`` on each answer), an ACR
Tasks run (``cloud_build._follow``), Lambda's ``FunctionManager.wait_ready``
(``LastUpdateStatus``) and a Container Apps revision's readiness (``wait_revision``).
cloudflare-workers has no wait: its upload answers when the version exists.

``--baseline REV`` measures the same waits in the package as it was at git revision REV
(extracted with ``git archive`` into a temporary directory and run in a subprocess), and
adds its figures and the ratio of reads (this tree / REV). Prints a Markdown table; the
jitter's random numbers are seeded, so a run is reproducible.

    .venv/bin/python benchmarks/bench_detection_lag.py [--baseline 76c79b4] [--json]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx

#: The finishing times, in tenths of a second: 0, 0.7, ... 599.9 s.
FINISHING_TENTHS = range(0, 6000, 7)
#: The platform's own pause asked for in the Retry-After row (seconds).
ASKED = 10.0


class Sim:
    """A fake clock, and one operation that finishes at ``ends_at``."""

    def __init__(self, ends_at: float) -> None:
        self.now = 0.0
        self.ends_at = ends_at
        self.reads = 0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)

    def done(self) -> bool:
        """One status read: has the operation finished?"""
        self.reads += 1
        return self.now >= self.ends_at


#: One HTTP client for the clients the waits belong to (the stubs answer; it sends nothing).
CLIENT = httpx.Client()


def _console() -> Any:
    from pmcp_action.ci.base import Platform

    return Platform(environ={}, log_stream=io.StringIO())


def _deadline(sim: Sim) -> Any:
    from pmcp_action.deadline import Deadline

    return Deadline(900, clock=sim.clock)


# --- one function per wait: await an operation that finishes at sim.ends_at ------------


def pmcp_run(sim: Sim) -> None:
    from pmcp_action.targets.pmcp_run.waiting import wait_for_deployment

    def get_deployment(_id: str) -> object:
        status = "success" if sim.done() else "deploying"
        return SimpleNamespace(status=status, url="u", project_name="p", error_message="")

    context = SimpleNamespace(
        console=_console(),
        deadline=_deadline(sim),
        sleep=sim.sleep,
        project=SimpleNamespace(server_name="bench"),
    )
    wait_for_deployment(SimpleNamespace(get_deployment=get_deployment), "dep", context)  # type: ignore[arg-type]


def cloud_run_operation(sim: Sim) -> None:
    from pmcp_action.targets.google_cloud_run.endpoints import GoogleEndpoints
    from pmcp_action.targets.google_cloud_run.run_api import RunApi

    api = RunApi(
        CLIENT,
        GoogleEndpoints("http://127.0.0.1:9"),
        token="t",
        project="p",
        region="r",
        deadline=_deadline(sim),
        sleep=sim.sleep,
    )

    def call_json(method: str, path: str, doing: str, **kwargs: Any) -> dict[str, Any]:
        return {"name": "op", "done": sim.done(), "response": {"name": "svc"}}

    api.call_json = call_json  # type: ignore[method-assign]
    api.wait({"name": "op", "done": False}, "updating svc")


def artifact_registry_operation(sim: Sim) -> None:
    from pmcp_action.targets.google_cloud_run.artifact_registry import ensure_repository

    api = SimpleNamespace(
        find_repository=lambda _region, _repository: None,
        create_repository=lambda _region, _repository: {"name": "op", "done": False},
        operation=lambda _name, _repository: {"name": "op", "done": sim.done()},
    )
    ensure_repository(
        api,  # type: ignore[arg-type]
        region="r",
        repository="pmcp",
        deadline=_deadline(sim),
        sleep=sim.sleep,
    )


def _arm_wait(sim: Sim, retry_after: str) -> None:
    from pmcp_action.targets.azure_container_apps.arm import Arm

    headers = {"Retry-After": retry_after} if retry_after else {}
    arm = Arm(CLIENT, "http://127.0.0.1:9", "t", "s", deadline=_deadline(sim), sleep=sim.sleep)

    def call(
        method: str,
        path: str,
        api_version: str,
        what: str,
        *,
        body: dict[str, Any] | None = None,
        retry: bool = True,
        reads: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        status = "Succeeded" if sim.done() else "InProgress"
        return httpx.Response(200, json={"status": status}, headers=headers)

    def get(path: str, api_version: str, what: str) -> dict[str, Any] | None:
        sim.reads += 1
        return {"properties": {"provisioningState": "Succeeded"}}

    arm.call = call  # type: ignore[method-assign]
    arm.get = get  # type: ignore[method-assign]
    started = httpx.Response(201, headers={"Azure-AsyncOperation": "https://op", **headers})
    arm.wait(started, "/app", "2024-03-01", "updating app")


def arm_operation(sim: Sim) -> None:
    _arm_wait(sim, "")


def arm_operation_retry_after(sim: Sim) -> None:
    _arm_wait(sim, f"{ASKED:g}")


def acr_tasks_run(sim: Sim) -> None:
    from pmcp_action.targets.azure_container_apps.cloud_build import _follow

    with tempfile.NamedTemporaryFile() as log:
        tasks = SimpleNamespace(
            run=lambda _id: {"status": "Succeeded" if sim.done() else "Running"},
            arm=SimpleNamespace(sleep=sim.sleep),
            cancel=lambda _id: "",
        )
        follower = SimpleNamespace(
            poll=lambda: 0, drain=lambda attempts=0: None, log_path=Path(log.name)
        )
        _follow(tasks, "ca1", "calc:v1", follower, _deadline(sim), _console())  # type: ignore[arg-type]


def lambda_update(sim: Sim) -> None:
    from pmcp_action.targets.aws_lambda.function import FunctionManager

    def get_function_configuration(**_kw: Any) -> dict[str, Any]:
        last = "Successful" if sim.done() else "InProgress"
        return {"State": "Active", "LastUpdateStatus": last}

    functions = FunctionManager(
        SimpleNamespace(get_function_configuration=get_function_configuration),
        SimpleNamespace(function_name="demo"),  # type: ignore[arg-type]
        console=_console(),
        deadline=_deadline(sim),
        sleep=sim.sleep,
    )
    functions.wait_ready("update the code")


def container_apps_revision(sim: Sim) -> None:
    from pmcp_action.targets.azure_container_apps.revisions import wait_revision

    def get(_path: str, _version: str, _what: str) -> dict[str, Any]:
        if sim.done():
            running = {"provisioningState": "Provisioned", "runningState": "Running"}
            return {"properties": {**running, "healthState": "Healthy"}}
        return {"properties": {"provisioningState": "Provisioning", "runningState": "Activating"}}

    arm = SimpleNamespace(get=get, app_resource=lambda group, kind, name: f"/{group}/{kind}/{name}")
    config = SimpleNamespace(resource_group="g", app_name="calc", min_replicas=1, target_port=8080)
    deadline = _deadline(sim)
    wait_revision(arm, config, "calc--a1", deadline=deadline, sleep=sim.sleep)  # type: ignore[arg-type]


#: (target, what is awaited, the wait, the longest pause the platform asks for).
WAITS: list[tuple[str, str, Callable[[Sim], None], float]] = [
    ("pmcp-run", "deployment status", pmcp_run, 0.0),
    ("google-cloud-run", "Cloud Run operation", cloud_run_operation, 0.0),
    ("google-cloud-run", "Artifact Registry operation", artifact_registry_operation, 0.0),
    ("azure-container-apps", "ARM async operation", arm_operation, 0.0),
    (
        "azure-container-apps",
        f"ARM operation, Retry-After {ASKED:g} s",
        arm_operation_retry_after,
        ASKED,
    ),
    ("azure-container-apps", "ACR Tasks run", acr_tasks_run, 0.0),
    ("azure-container-apps", "revision readiness", container_apps_revision, 0.0),
    ("aws-lambda", "LastUpdateStatus", lambda_update, 0.0),
]


def measure() -> dict[str, dict[str, float]]:
    """Per wait: the worst and mean lag, and the mean reads, over the finishing times."""
    results: dict[str, dict[str, float]] = {}
    for _target, what, wait, _asked in WAITS:
        random.seed(7)  # the jitter's draws: the same in every run
        lags, reads = [], []
        for tenths in FINISHING_TENTHS:
            sim = Sim(tenths / 10)
            wait(sim)
            lags.append(sim.now - sim.ends_at)
            reads.append(sim.reads)
        results[what] = {
            "worst": max(lags),
            "mean": statistics.fmean(lags),
            "reads": statistics.fmean(reads),
        }
    return results


def baseline(revision: str) -> dict[str, dict[str, float]]:
    """:func:`measure` on the package at ``revision``, in a subprocess."""
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="pmcp-lag-base-") as tmp:
        archive = subprocess.run(
            ["git", "-C", str(root), "archive", revision, "pmcp_action"],
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        env = {**os.environ, "PYTHONPATH": tmp}
        answer = subprocess.run(
            [sys.executable, __file__, "--json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    measured: dict[str, dict[str, float]] = json.loads(answer)
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", metavar="REV", help="git revision to compare against")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    ours = measure()
    if args.json:
        print(json.dumps(ours))
        return
    import pmcp_action

    base = baseline(args.baseline) if args.baseline else {}
    print(f"pmcp_action from {Path(pmcp_action.__file__).parent}", end="")
    print(f"; baseline {args.baseline}.\n" if base else ".\n")
    head = "| target | wait | worst lag | mean lag | reads per wait | goal |"
    rule = "|---|---|---:|---:|---:|---:|"
    if base:
        head += " baseline worst / mean lag | baseline reads | reads ratio |"
        rule += "---:|---:|---:|"
    print(head)
    print(rule)
    for target, what, _wait, asked in WAITS:
        row = ours[what]
        goal = f"≤ {max(3.0, asked):g} s"
        line = (
            f"| {target} | {what} | {row['worst']:.2f} s | {row['mean']:.2f} s "
            f"| {row['reads']:.1f} | {goal} |"
        )
        if what in base:
            old = base[what]
            line += (
                f" {old['worst']:.2f} / {old['mean']:.2f} s | {old['reads']:.1f} "
                f"| {row['reads'] / old['reads']:.2f}× |"
            )
        print(line)


if __name__ == "__main__":
    main()
