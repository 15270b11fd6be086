"""``pmcp-action`` / ``python -m pmcp_action``: the only place errors are caught.

Any :class:`~pmcp_action.errors.PmcpActionError` becomes an annotation, a
summary section and exit code 1; so does any unexpected exception (with the
traceback only in debug mode). Outputs, summary and the JSON report are
written for failures as well as successes.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from .ci import detect_platform
from .ci.base import Platform
from .errors import PmcpActionError
from .pipeline import RunRecorder, execute
from .report import build_outputs, build_report, render_summary, write_report
from .result import RunResult

__all__ = ["main"]

REPORT_NAME = "pmcp-deploy-report.json"
#: How the runner mounts a Docker action: the workspace, and RUNNER_TEMP/_github_home as HOME.
#: RUNNER_TEMP itself is passed through as a host path that is not mounted.
_CONTAINER_WORKSPACE = "/github/workspace"
_CONTAINER_HOME = "/github/home"


def _report_path(
    recorder: RunRecorder, platform: Platform, environ: Mapping[str, str]
) -> tuple[Path, str]:
    """Where to write the report, and the path to announce to later steps."""
    settings = recorder.settings
    if settings is not None and settings.report_path is not None:
        given = settings.report_path
        path = given if given.is_absolute() else settings.working_directory / given
        return path, _display_path(path, environ)
    runner_temp = environ.get("RUNNER_TEMP", "")
    in_action_container = (
        platform.name == "github-actions"
        and environ.get("GITHUB_WORKSPACE") == _CONTAINER_WORKSPACE
    )
    if in_action_container and runner_temp and Path(_CONTAINER_HOME).is_dir():
        # Outside the workspace (no root-owned file in the checkout), yet visible to
        # later steps on the host as RUNNER_TEMP/_github_home.
        return Path(_CONTAINER_HOME) / REPORT_NAME, f"{runner_temp}/_github_home/{REPORT_NAME}"
    directory = None if in_action_container else platform.default_report_dir
    if directory and Path(directory).is_dir():
        path = Path(directory) / REPORT_NAME
    else:
        path = (settings.working_directory if settings is not None else Path(".")) / REPORT_NAME
    return path, _display_path(path, environ)


def _display_path(path: Path, environ: Mapping[str, str]) -> str:
    """A path later steps can use: relative to the workspace when inside it."""
    workspace = environ.get("GITHUB_WORKSPACE") or environ.get("CI_PROJECT_DIR")
    resolved = path.resolve()
    if workspace:
        try:
            return str(resolved.relative_to(Path(workspace).resolve()))
        except ValueError:
            pass
    return str(resolved)


def _finalise(
    run: RunResult,
    recorder: RunRecorder,
    platform: Platform,
    environ: Mapping[str, str],
    started_at: float,
) -> None:
    path, announced = _report_path(recorder, platform, environ)
    run = replace(run, report_path=announced)
    settings = recorder.settings
    report = build_report(
        run,
        settings=settings.redacted() if settings is not None else recorder.given_inputs,
        platform=platform.name,
        started_at=started_at,
    )
    try:
        write_report(path, report, platform.redactor.redact)
    except OSError as exc:
        platform.warning(f"Could not write the deploy report to {path}: {exc.strerror or exc}.")
        run = replace(run, report_path="")

    outputs = build_outputs(run)
    if platform.name == "local" and settings is not None and settings.output_format == "json":
        platform.result_stream.write(platform.redactor.redact(json.dumps(outputs)) + "\n")
        platform.result_stream.flush()
    else:
        platform.write_outputs(outputs)
    platform.write_summary(render_summary(run))


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    env = dict(os.environ if environ is None else environ)
    platform = detect_platform(env, stdout=stdout, stderr=stderr)
    recorder = RunRecorder(platform)
    started_at = time.time()
    arguments = list(sys.argv[1:] if argv is None else argv)
    code = 0
    try:
        run = execute(arguments, env, recorder)
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0)
    except PmcpActionError as exc:
        text = exc.diagnostics()
        platform.error(text, title=exc.title)
        run = recorder.finish("failure", error_title=exc.title, error_text=text)
        code = 1
    except KeyboardInterrupt:
        platform.error("Interrupted.", title="Cancelled")
        run = recorder.finish("failure", error_title="Cancelled", error_text="Interrupted.")
        code = 130
    except Exception as exc:  # noqa: BLE001 - the one catch-all, by design
        title = "Unexpected error"
        text = f"{type(exc).__name__}: {exc}"
        if platform.debug_enabled or env.get("RUNNER_DEBUG") == "1":
            text += "\n\n" + traceback.format_exc()
        else:
            text += (
                "\n\nThis is a bug in pmcp-action. Re-run with debug: true (or RUNNER_DEBUG=1) "
                "for a traceback, and report it."
            )
        platform.error(text, title=title)
        run = recorder.finish("failure", error_title=title, error_text=text)
        code = 1
    try:
        _finalise(run, recorder, platform, env, started_at)
    except OSError as exc:
        platform.error(f"Could not write the results: {exc}", title="Reporting failed")
        code = code or 1
    return code


if __name__ == "__main__":
    sys.exit(main())
