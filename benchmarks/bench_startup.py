#!/usr/bin/env python3
"""Start-up cost of the CLI: how long before pmcp-action does useful work.

Runs each command N times in fresh interpreters and prints a Markdown table
(median and best wall time). Also reports which heavy SDKs the entry point
imports: none should load before a target that needs them is chosen.

    .venv/bin/python benchmarks/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = {
    "import pmcp_action.__main__": [sys.executable, "-c", "import pmcp_action.__main__"],
    "pmcp-action --version": [sys.executable, "-m", "pmcp_action", "--version"],
    "pmcp-action --help": [sys.executable, "-m", "pmcp_action", "--help"],
    "invalid input, summary and report": [
        sys.executable,
        "-m",
        "pmcp_action",
        "--target",
        "nope",
        "--report-path",
        "report.json",
    ],
    "python -c pass (baseline)": [sys.executable, "-c", "pass"],
}
HEAVY = ("boto3", "botocore", "mcp", "pydantic", "starlette", "graphql")


def timed(argv: list[str], runs: int, cwd: str) -> list[float]:
    samples = []
    # PYTHONPATH: measure this checkout's package, whatever the interpreter has installed.
    env = {"PATH": os.environ.get("PATH", ""), "HOME": cwd, "PYTHONPATH": ROOT}
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
        samples.append(time.perf_counter() - start)
    return samples


def heavy_imports() -> list[str]:
    code = (
        "import sys, pmcp_action.__main__, pmcp_action.pipeline; "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": ROOT}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return [m for m in out.stdout.strip().split(",") if m]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cwd:
        python = sys.version.split()[0]
        print(f"| command | median ms | best ms |  ({args.runs} runs, Python {python})")
        print("|---|---:|---:|")
        for label, argv in CASES.items():
            samples = timed(argv, args.runs, cwd)
            median, best = statistics.median(samples) * 1000, min(samples) * 1000
            print(f"| {label} | {median:.0f} | {best:.0f} |")
    loaded = heavy_imports()
    print(f"\nHeavy SDKs imported at start-up: {', '.join(loaded) if loaded else 'none'}")


if __name__ == "__main__":
    main()
