#!/usr/bin/env python3
"""pmcp-run: how soon the end of a deployment is noticed, and a deploy against the emulator.

1. **Detection lag** (simulated time): a deployment whose backend finishes at
   0 s, 0.7 s, ... 599.9 s of a 10-minute deploy, watched by the real
   ``wait_for_deployment`` on a fake clock; the lag is the time from the backend
   finishing to the status read that sees it.
2. **Deploy + verify** (wall time): ``pmcp-action --target pmcp-run`` in a fresh
   interpreter against the suite's pmcp.run emulator on loopback (each deployment
   moves one stage per status read: pending, validating, deploying, success).

Which pmcp_action is measured is whichever ``import pmcp_action`` finds (PYTHONPATH),
so two checkouts compare side by side. Prints Markdown tables.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_pmcp_run.py [--runs 7]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from pmcp_action.ci.base import Platform
from pmcp_action.deadline import Deadline
from pmcp_action.targets.pmcp_run.waiting import wait_for_deployment
from tests.fakes.artifacts import example_project
from tests.fakes.pmcp_run import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, create_fake
from tests.fakes.server import serve


def detection_lags() -> list[float]:
    lags = []
    for tenth in range(0, 6000, 7):
        finished_at = tenth / 10
        now = [0.0]

        def sleep(seconds: float, now: list[float] = now) -> None:
            now[0] += seconds

        def clock(now: list[float] = now) -> float:
            return now[0]

        def get_deployment(_id: str, now: list[float] = now, at: float = finished_at) -> object:
            status = "success" if now[0] >= at else "deploying"
            return SimpleNamespace(status=status, url="u", project_name="p", error_message="")

        context = SimpleNamespace(
            console=Platform(environ={}, log_stream=io.StringIO()),
            deadline=Deadline(660, clock=clock),
            sleep=sleep,
            project=SimpleNamespace(server_name="bench"),
        )
        api = SimpleNamespace(get_deployment=get_deployment)
        wait_for_deployment(api, "dep", context)  # type: ignore[arg-type]
        lags.append(now[0] - finished_at)
    return lags


def deploy_times(runs: int) -> list[float]:
    fake = create_fake()
    samples = []
    with serve(fake) as url, tempfile.TemporaryDirectory() as tmp:
        project = example_project(Path(tmp) / "project", b"bench")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": tmp,
            "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
            "PMCP_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
        }
        argv = [sys.executable, "-m", "pmcp_action", "--target", "pmcp-run"]
        argv += ["--pmcp-api-url", str(url), "--pmcp-client-id", DEFAULT_CLIENT_ID]
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(argv, cwd=project, env=env, capture_output=True, check=True)
            samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    import pmcp_action

    lags = detection_lags()
    deploys = deploy_times(args.runs)
    print(f"pmcp_action from {Path(pmcp_action.__file__).parent}.\n")
    print("| measure | median | worst / best |")
    print("|---|---:|---:|")
    print(
        f"| detection lag over a 10-minute deploy ({len(lags)} finishing times) "
        f"| {statistics.median(lags):.2f} s | worst {max(lags):.2f} s |"
    )
    print(
        f"| deploy + verify against the emulator ({args.runs} runs) "
        f"| {statistics.median(deploys):.2f} s | best {min(deploys):.2f} s |"
    )


if __name__ == "__main__":
    main()
