"""The README's main job: deploy examples/hello-mcp through the action to targets' emulators.

    python -m tests.support.demo [TARGET ...]     (what scripts/demo runs)

For each target (default: every available one, in the catalogue's order) it starts the
emulator tests.fakes declares for it on 127.0.0.1 and runs the job ``deploy`` of
.github/workflows/deploy-local.yml with act: act builds the action's Dockerfile and runs it
as a GitHub runner does, with ``DEMO_TARGET`` and the emulator's variables as the job's
environment (``--env``) and its secrets as secrets (``--secret``). act's log is shown as it
runs; at the end one table sums up every deploy. The act tests run the same job. act works
on a throwaway copy of the working tree (it binds its repository into its containers, and a
bound directory has been seen emptied), never on the checkout.

No toolchain for the targets' platforms is available here (no aarch64 Rust, no wasm
target), so each emulator writes its target's stand-in artifact where the target's build
would put it (``Emulator.stand_in``): a stand-in arm64 ``bootstrap`` under target/lambda/
for the Lambda targets, a JS MCP worker with a wasm module under deploy/cloudflare/build/
for Workers (run for real by workerd).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pmcp_action.settings.catalogue import catalogue
from tests.fakes.emulators import Emulator, Running, demo_emulators
from tests.support.act import ActRun, copy_repository, find_act, run_act

__all__ = [
    "EVENT",
    "EXAMPLE",
    "JOB",
    "WORKFLOW",
    "DemoRow",
    "act_env",
    "format_table",
    "main",
]

#: The workflow, job and event every demo deploy runs (also the act tests').
WORKFLOW = "deploy-local.yml"
JOB = "deploy"
EVENT = "workflow_dispatch"
#: The project deployed, relative to the repository.
EXAMPLE = Path("examples/hello-mcp")


def act_env(emulator: Emulator, running: Running) -> dict[str, str]:
    """The job's environment for a deploy to ``emulator``: DEMO_TARGET and its variables."""
    return {"DEMO_TARGET": emulator.name, **running.env}


@dataclass(frozen=True)
class DemoRow:
    """One deploy, as the table shows it."""

    target: str
    url: str
    version: str
    verified: str
    seconds: float
    ok: bool


def format_table(rows: Sequence[DemoRow]) -> str:
    """An aligned plain-text table: target, URL, version, verified, seconds."""
    header = ("target", "URL", "version", "verified", "seconds")
    cells = [header] + [
        (
            row.target,
            row.url or "-",
            row.version or "-",
            row.verified if row.ok else f"{row.verified or '-'} (FAILED)",
            f"{row.seconds:.1f}",
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]

    def render(line: Sequence[str]) -> str:
        padded = [
            text.rjust(width) if i == len(header) - 1 else text.ljust(width)
            for i, (text, width) in enumerate(zip(line, widths, strict=True))
        ]
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([render(cells[0]), rule, *(render(line) for line in cells[1:])])


def _printer(target: str) -> Callable[[str], None]:
    def echo(line: str) -> None:
        try:
            event = json.loads(line) if line.startswith("{") else None
        except json.JSONDecodeError:
            event = None
        if not isinstance(event, dict):
            print(line, flush=True)
            return
        message = str(event.get("msg", "")).rstrip("\n")
        if event.get("raw_output"):
            print(f"  | {message}", flush=True)
        elif message:
            print(f"[{target}] {message}", flush=True)

    return echo


def _deploy(act: str, emulator: Emulator, repository: Path, work_dir: Path) -> tuple[ActRun, float]:
    print(f"\n==> {emulator.name}: starting the emulator ({emulator.summary})", flush=True)
    started = time.monotonic()
    with emulator.start() as running:
        for name, url in running.urls.items():
            print(f"  {name}: {url}")
        print(f"\n==> {emulator.name}: act runs {WORKFLOW}, job {JOB}", flush=True)
        run = run_act(
            act,
            repository,
            work_dir,
            job=JOB,
            workflow=WORKFLOW,
            event=EVENT,
            env=act_env(emulator, running),
            secrets=running.secrets,
            echo=_printer(emulator.name),
        )
    return run, time.monotonic() - started


def _succeeded(run: ActRun) -> bool:
    return (
        run.exit_code == 0
        and run.step_result("deploy") == "success"
        and "e2e-check: ok" in run.step_stdout("check")
    )


def _show_outputs(target: str, outputs: Mapping[str, str]) -> None:
    print(f"\n==> {target}: the action's outputs (what later steps and jobs receive)")
    for name in sorted(outputs):
        if outputs[name]:
            print(f"  {name}={outputs[name]}")


def main(argv: Sequence[str] | None = None) -> int:
    available = catalogue().available_ids
    parser = argparse.ArgumentParser(
        prog="scripts/demo",
        description="Deploy examples/hello-mcp through the action (act) to targets' emulators.",
    )
    parser.add_argument(
        "targets",
        nargs="*",
        metavar="TARGET",
        help=f"one of {', '.join(available)} (default: all of them)",
    )
    args = parser.parse_args(argv)
    unknown = [target for target in args.targets if target not in available]
    if unknown:
        parser.error(
            f"not an available target: {', '.join(unknown)} (one of {', '.join(available)})"
        )
    targets: list[str] = list(dict.fromkeys(args.targets)) or list(available)

    known = demo_emulators()
    missing = [target for target in targets if target not in known]
    if missing:
        print(f"no emulator in tests/fakes for {', '.join(missing)}", file=sys.stderr)
        return 2
    act = find_act()
    if act is None:
        print("act is not installed: run scripts/prepare-machine", file=sys.stderr)
        return 2

    rows: list[DemoRow] = []
    with tempfile.TemporaryDirectory(prefix="pmcp-demo-") as work:
        # act binds the repository into its containers: it gets a copy, never the checkout.
        repository = copy_repository(Path(work) / "repo")
        for target in targets:
            # No Rust toolchain for the targets' platforms here: each emulator's stand-in
            # goes where the target's build would put its artifact.
            stand_in = known[target].stand_in
            if stand_in is not None:
                print(f"{target}: {stand_in(repository / EXAMPLE)}")
        for target in targets:
            run, seconds = _deploy(act, known[target], repository, Path(work) / target)
            outputs = run.outputs("deploy")
            ok = _succeeded(run)
            _show_outputs(target, outputs)
            if not ok:
                print(f"\n{target}: the deploy FAILED (act exit code {run.exit_code})")
            rows.append(
                DemoRow(
                    target=target,
                    url=outputs.get("url", ""),
                    version=outputs.get("version", ""),
                    verified=outputs.get("verified", ""),
                    seconds=seconds,
                    ok=ok,
                )
            )

    print("\n==> Deployed through the action (act + .github/workflows/deploy-local.yml)\n")
    print(format_table(rows))
    if all(row.ok for row in rows):
        print("\nEvery deploy succeeded and was verified over MCP.")
        return 0
    print("\nSome deploys failed; their logs are above.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
