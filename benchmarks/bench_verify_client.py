#!/usr/bin/env python3
"""Measure what the MCP verify client costs: our httpx client vs the ``mcp`` SDK's.

Reproduces the numbers in ``benchmarks/verify_client.md``. Run from the repo
root with the dev venv (which has ``mcp`` installed for the tests):

    .venv/bin/python benchmarks/bench_verify_client.py [--runs 9]

Three measurements, each in fresh interpreter processes (a container step is
a fresh process, so cold imports are what users pay; bytecode is warm):

1. Import time: the modules each client needs, timed inside the child with
   ``time.perf_counter``, plus the child's whole wall time.
2. Installed size: the dependency closure of ``mcp`` minus what the action
   already ships (its ``[project] dependencies`` closure), from each
   distribution's RECORD (files as installed, without ``__pycache__``).
3. End to end: import + negotiation + tools/list against local SDK servers
   (SSE, stateful), per client, with the child's peak RSS. The SDK serves both
   protocol eras, so a negotiating client speaks 2026-07-28 to it
   (server/discover + tools/list); the same server made handshake-only
   (``only="handshake"``) costs the probe plus initialize +
   notifications/initialized + tools/list (+ DELETE). The SDK client runs as
   ``Client(url)`` (``mode="auto"``, the same negotiation) and as
   ``ClientSession.initialize()`` (the handshake only).
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import os
import statistics
import subprocess
import sys
import time
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent

IMPORTS = {
    "interpreter only": "",
    "httpx (already shipped)": "import httpx",
    "ours: pmcp_action.verify": "import pmcp_action.verify",
    "SDK: mcp.client.streamable_http + mcp.ClientSession": (
        "import anyio\n"
        "from mcp.client.streamable_http import streamable_http_client\n"
        "from mcp import ClientSession"
    ),
}

#: Prepended to every child: its own peak RSS. (getrusage's ru_maxrss is useless
#: here: Linux carries the parent's high-water mark across fork+exec.)
PEAK_RSS = """
def peak_rss_kb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0
"""

CHILD_IMPORT = """
import json, time
t = time.perf_counter()
{imports}
ms = (time.perf_counter() - t) * 1000
print(json.dumps({{"import_ms": ms, "rss_kb": peak_rss_kb()}}))
"""

CHILD_OURS = """
import json, sys, time
t = time.perf_counter()
from pmcp_action.http import HttpClientFactory
from pmcp_action.verify import VerifyOptions, verify_server
t1 = time.perf_counter()
v = verify_server(VerifyOptions(sys.argv[1], timeout_seconds=30), http=HttpClientFactory())
t2 = time.perf_counter()
assert v.status == "true", v.detail
assert v.protocol_version == sys.argv[2], v.protocol_version
heavy = [name for name in ("mcp", "mcp_types", "pydantic") if name in sys.modules]
assert not heavy, f"the verify client imported {heavy}"
# What building one more client of the action's HTTP layer costs (SSL context + CA bundle).
HttpClientFactory()().close()
t3 = time.perf_counter()
rss = peak_rss_kb()
print(json.dumps({"import_ms": (t1 - t) * 1000, "verify_ms": (t2 - t1) * 1000,
                  "client_ms": (t3 - t2) * 1000, "tools": len(v.tools), "rss_kb": rss}))
"""

CHILD_SDK = """
import json, sys, time
t = time.perf_counter()
import anyio
import mcp.types as types
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
t1 = time.perf_counter()

async def main(url):
    async with streamable_http_client(url) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            names, cursor = [], None
            while True:
                params = types.PaginatedRequestParams(cursor=cursor) if cursor else None
                page = await session.list_tools(params=params)
                names += [tool.name for tool in page.tools]
                cursor = page.next_cursor
                if not cursor:
                    return names

names = anyio.run(main, sys.argv[1])
t2 = time.perf_counter()
rss = peak_rss_kb()
print(json.dumps({"import_ms": (t1 - t) * 1000, "verify_ms": (t2 - t1) * 1000,
                  "tools": len(names), "rss_kb": rss}))
"""

CHILD_SDK_AUTO = """
import json, sys, time
t = time.perf_counter()
import anyio
from mcp.client import Client
t1 = time.perf_counter()

async def main(url):
    async with Client(url) as client:
        names, cursor = [], None
        while True:
            page = await client.list_tools(cursor=cursor)
            names += [tool.name for tool in page.tools]
            cursor = page.next_cursor
            if not cursor:
                assert client.protocol_version == sys.argv[2], client.protocol_version
                return names

names = anyio.run(main, sys.argv[1])
t2 = time.perf_counter()
rss = peak_rss_kb()
print(json.dumps({"import_ms": (t1 - t) * 1000, "verify_ms": (t2 - t1) * 1000,
                  "tools": len(names), "rss_kb": rss}))
"""


def _child(code: str, *args: str) -> tuple[dict[str, float], float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PEAK_RSS + code, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    wall = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise SystemExit(f"child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1]), wall


def _series(code: str, runs: int, *args: str) -> dict[str, list[float]]:
    _child(code, *args)  # warm-up: bytecode caches, page cache
    series: dict[str, list[float]] = {}
    for _ in range(runs):
        values, wall = _child(code, *args)
        values["wall_ms"] = wall
        for key, value in values.items():
            series.setdefault(key, []).append(float(value))
    return series


def _fmt(values: list[float]) -> str:
    return f"{statistics.median(values):7.0f} (min {min(values):.0f})"


def measure_imports(runs: int) -> None:
    print(f"## Import time, fresh process, median of {runs} (ms)\n")
    print("| what | import (in process) | whole process wall | peak RSS MiB |")
    print("|---|---:|---:|---:|")
    for name, imports in IMPORTS.items():
        series = _series(CHILD_IMPORT.format(imports=imports), runs)
        rss = statistics.median(series["rss_kb"]) / 1024
        print(f"| {name} | {_fmt(series['import_ms'])} | {_fmt(series['wall_ms'])} | {rss:.1f} |")
    print()


def _closure(requirements: list[str]) -> dict[str, md.Distribution]:
    found: dict[str, md.Distribution] = {}
    stack = [Requirement(r) for r in requirements]
    while stack:
        requirement = stack.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(requirement.name)
        if name in found:
            continue
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            print(f"(not installed: {name})", file=sys.stderr)
            continue
        found[name] = dist
        stack.extend(Requirement(r) for r in dist.requires or [])
    return found


def _size(dist: md.Distribution) -> tuple[int, int]:
    total = count = 0
    for file in dist.files or []:
        if "__pycache__" in file.parts:
            continue
        path = Path(str(file.locate()))
        if path.is_file():
            total += path.stat().st_size
            count += 1
    return total, count


def measure_sizes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    ours = _closure(list(project["project"]["dependencies"]))
    sdk = _closure(["mcp"])
    extra = {name: dist for name, dist in sdk.items() if name not in ours}
    shared = sorted(name for name in sdk if name in ours)

    def total(dists: dict[str, md.Distribution]) -> tuple[int, int]:
        sizes = [_size(d) for d in dists.values()]
        return sum(s for s, _ in sizes), sum(c for _, c in sizes)

    print("## Installed size (files from RECORD, without __pycache__)\n")
    ours_bytes, ours_files = total(ours)
    sdk_bytes, sdk_files = total(sdk)
    extra_bytes, extra_files = total(extra)
    print("| set | distributions | files | MiB |")
    print("|---|---:|---:|---:|")
    print(f"| action runtime deps today | {len(ours)} | {ours_files} | {ours_bytes / 2**20:.1f} |")
    print(f"| mcp closure | {len(sdk)} | {sdk_files} | {sdk_bytes / 2**20:.1f} |")
    print(f"| **added by mcp** | {len(extra)} | {extra_files} | **{extra_bytes / 2**20:.1f}** |")
    print(f"\nAlready shipped and shared: {', '.join(shared)}\n")
    print("| added distribution | version | MiB |")
    print("|---|---|---:|")
    for name, dist in sorted(extra.items(), key=lambda item: -_size(item[1])[0]):
        print(f"| {name} | {dist.version} | {_size(dist)[0] / 2**20:.2f} |")
    print()


#: (server era, client, child code, what it speaks to that server).
END_TO_END = (
    ("both eras", "ours (httpx)", CHILD_OURS, "2026-07-28"),
    ("both eras", "SDK `Client` (auto)", CHILD_SDK_AUTO, "2026-07-28"),
    ("both eras", "SDK `ClientSession.initialize`", CHILD_SDK, "2025-11-25"),
    ("handshake only", "ours (httpx)", CHILD_OURS, "2025-11-25"),
    ("handshake only", "SDK `Client` (auto)", CHILD_SDK_AUTO, "2025-11-25"),
)


def measure_end_to_end(runs: int) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.fakes.mcp_servers import serve_mcp

    print(f"## End to end against local SDK servers (SSE, stateful), median of {runs} (ms)\n")
    print(
        "| server | client | protocol | import | negotiate + tools/list | whole process wall "
        "| peak RSS MiB |"
    )
    print("|---|---|---|---:|---:|---:|---:|")
    client_ms = ""
    with serve_mcp() as both, serve_mcp(only="handshake") as handshake:
        urls = {"both eras": both.url, "handshake only": handshake.url}
        for era, name, code, version in END_TO_END:
            series = _series(code, runs, urls[era], version)
            assert set(series["tools"]) == {3.0}
            rss = statistics.median(series["rss_kb"]) / 1024
            print(
                f"| {era} | {name} | {version} | {_fmt(series['import_ms'])} "
                f"| {_fmt(series['verify_ms'])} | {_fmt(series['wall_ms'])} | {rss:.1f} |"
            )
            if "client_ms" in series and not client_ms:
                client_ms = _fmt(series["client_ms"]).strip()
    print(
        f"\nOf ours' negotiate + tools/list, building the action's httpx client "
        f"(SSL context + CA bundle) takes {client_ms} ms.\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    print(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"mcp {md.version('mcp')}, httpx {md.version('httpx')}\n"
    )
    measure_imports(args.runs)
    measure_sizes()
    measure_end_to_end(args.runs)


if __name__ == "__main__":
    main()
