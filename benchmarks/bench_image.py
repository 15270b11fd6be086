#!/usr/bin/env python3
"""Size and start-up of the action image, side by side with other images.

For each image: its size, what it adds over its base, and the median wall time
of ``docker run --rm IMAGE --version`` (the real entrypoint) against
``docker run --rm --entrypoint /opt/venv/bin/python IMAGE -c pass`` (the same
container with a bare interpreter), and the time a step spends importing the
action's pipeline inside the container (measured there, so without Docker's
start-up), with ``-I -B`` as the entrypoint runs. The runs are interleaved (image A, image B,
A, B, ...) so a busy shared machine slows all of them alike; the ratio is what
to compare. Prints a Markdown table.

    .venv/bin/python benchmarks/bench_image.py [--runs 9] [--base python:3.12-slim] IMAGE...
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time

MB = 1_000_000


def size(image: str) -> int:
    out = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Size}}", image],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip())


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=True)
    return time.perf_counter() - start


IMPORTS = (
    "import time; t = time.perf_counter(); import pmcp_action.__main__, pmcp_action.pipeline; "
    "print(time.perf_counter() - t)"
)


def imports(image: str) -> float:
    out = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "/opt/venv/bin/python", image]
        + ["-I", "-B", "-c", IMPORTS],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="+")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--base", default="python:3.12-slim")
    args = parser.parse_args()

    cases: dict[tuple[str, str], list[str]] = {}
    for image in args.images:
        cases[(image, "--version")] = ["docker", "run", "--rm", image, "--version"]
        cases[(image, "python -c pass")] = [
            "docker", "run", "--rm", "--entrypoint", "/opt/venv/bin/python", image, "-c", "pass",
        ]  # fmt: skip
    samples: dict[tuple[str, str], list[float]] = {key: [] for key in cases}
    imported: dict[str, list[float]] = {image: [] for image in args.images}
    for argv in cases.values():  # warm-up: page cache, layers
        timed(argv)
    for _ in range(args.runs):
        for key, argv in cases.items():
            samples[key].append(timed(argv))
        for image in args.images:
            imported[image].append(imports(image))

    base = size(args.base)
    print(f"Base {args.base}: {base / MB:.1f} MB; {args.runs} interleaved runs, medians.\n")
    print(
        "| image | size | over base | `docker run … --version` | `… python -c pass` | ratio "
        "| imports in the container |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for image in args.images:
        total = size(image)
        version = statistics.median(samples[(image, "--version")])
        bare = statistics.median(samples[(image, "python -c pass")])
        print(
            f"| `{image}` | {total / MB:.1f} MB | {(total - base) / MB:.1f} MB "
            f"| {version * 1000:.0f} ms | {bare * 1000:.0f} ms | {version / bare:.2f}× "
            f"| {statistics.median(imported[image]) * 1000:.0f} ms |"
        )


if __name__ == "__main__":
    main()
