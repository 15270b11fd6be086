"""``pmcp-action`` / ``python -m pmcp_action``: the only place errors are caught.

The command line is read first, before any log line: ``--version`` is answered
before anything else is imported; help and completion print and exit 0; a
mistake in the command line is a usage error (exit 2). Then the pipeline runs.

Any :class:`~pmcp_action.errors.PmcpActionError` ends the run with its exit code
(:mod:`pmcp_action.exit_codes`); so does any unexpected exception (exit 1, the
traceback only in debug mode). In CI it becomes an annotation and a summary
section; outputs, summary and the JSON report are written for failures as well
as successes. Outside CI (a terminal, any other shell) a plain-text summary goes
to stderr, ``--output-format json`` prints one object on stdout whatever the
outcome, and the report is written only where ``report-path`` asks.
"""

from __future__ import annotations

import os
import sys

from . import __version__

#: ``typing`` costs more than the rest of ``--version``: the annotations need it only here.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import TextIO

    import httpx

    from .ci.base import Platform
    from .pipeline import RunRecorder
    from .result import RunResult

__all__ = ["main"]


def _version_requested(argv: Sequence[str]) -> bool:
    """``--version`` anywhere before ``--`` (answered without importing anything)."""
    return "--version" in (argv[: argv.index("--")] if "--" in argv else argv)


def _finalise(
    run: RunResult,
    recorder: RunRecorder,
    platform: Platform,
    environ: Mapping[str, str],
    started_at: float,
    *,
    json_output: bool,
) -> None:
    import json
    from dataclasses import replace

    from .report import (
        build_json_result,
        build_outputs,
        build_report,
        render_summary,
        render_text_summary,
        write_report,
    )

    located = recorder.report_location(environ)
    if located is not None:
        path, announced = located
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

    if run.matrix is not None and not (json_output and not platform.ci):
        # The servers command's result, the same JSON as its matrix output: a shell captures
        # it (`pmcp-action servers > matrix.json`; in GitHub Actions it is a log line).
        platform.result_stream.write(platform.redactor.redact(build_outputs(run)["matrix"]) + "\n")
        platform.result_stream.flush()
    if platform.ci:
        platform.write_outputs(build_outputs(run))
        platform.write_summary(render_summary(run))
        return
    if json_output:
        text = json.dumps(build_json_result(run))
        platform.result_stream.write(platform.redactor.redact(text) + "\n")
        platform.result_stream.flush()
    platform.info(render_text_summary(run, colour=platform.colour))


def _help_width(environ: Mapping[str, str], stream: TextIO) -> int:
    """Help is laid out for COLUMNS, else the terminal, else 80 columns (60 to 100)."""
    columns = environ.get("COLUMNS", "").strip()
    if columns.isdigit():
        width = int(columns)
    else:
        try:
            width = os.get_terminal_size(stream.fileno()).columns if stream.isatty() else 80
        except (AttributeError, OSError, ValueError):
            width = 80
    return max(60, min(width, 100))


def _run(
    arguments: Sequence[str],
    env: Mapping[str, str],
    out: TextIO,
    err: TextIO,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] | None = None,
    interactive: bool = False,
) -> int:
    import time
    import traceback
    from dataclasses import replace

    from .ci import detect_platform
    from .cli.parsing import output_format, parse_command_line
    from .errors import PmcpActionError, UsageError
    from .exit_codes import FAILED, INTERRUPTED, SUCCESS, USAGE
    from .settings.vocabulary import OutputFormat

    platform = detect_platform(env, stdout=out, stderr=err)
    if not arguments and not platform.ci and interactive:
        # A person at a terminal typed the bare name: show what to type, do not deploy.
        from .cli.help import bare_usage

        out.write(bare_usage())
        out.flush()
        return USAGE.code
    started_at = time.time()
    json_output = output_format(arguments, env) is OutputFormat.JSON
    command_line = None
    early: BaseException | None = None
    try:
        command_line = parse_command_line(arguments, width=_help_width(env, out))
    except (Exception, KeyboardInterrupt) as exc:  # reported below, like any failure
        early = exc
    if command_line is not None and command_line.show:
        out.write(command_line.show)
        out.flush()
        return SUCCESS.code

    from .pipeline import RunRecorder, execute

    recorder = RunRecorder(platform)

    def failed(title: str, text: str) -> RunResult:
        from .result import RunStatus

        if platform.ci:  # outside CI the plain-text summary carries the error
            platform.error(text, title=title)
        return recorder.finish(RunStatus.FAILURE, error_title=title, error_text=text)

    code = SUCCESS.code
    try:
        if early is not None:
            raise early
        assert command_line is not None
        run = execute(
            command_line.flags, env, recorder, transport=transport, sleep=sleep or time.sleep
        )
    except PmcpActionError as exc:
        if isinstance(exc, UsageError):
            recorder.command = ""  # nothing was read, not even the command
        run = failed(exc.title, exc.diagnostics())
        code = exc.exit_code
    except KeyboardInterrupt:
        run = failed("Cancelled", "Interrupted.")
        code = INTERRUPTED.code
    except Exception as exc:  # noqa: BLE001 - the one catch-all, by design
        text = f"{type(exc).__name__}: {exc}"
        if platform.debug_enabled or env.get("RUNNER_DEBUG") == "1":
            text += "\n\n" + "".join(traceback.format_exception(exc))
        else:
            text += (
                "\n\nThis is a bug in pmcp-action. Re-run with debug: true (or RUNNER_DEBUG=1) "
                "for a traceback, and report it."
            )
        run = failed("Unexpected error", text)
        code = FAILED.code
    run = replace(run, exit_code=code)
    try:
        _finalise(run, recorder, platform, env, started_at, json_output=json_output)
    except OSError as exc:
        platform.error(f"Could not write the results: {exc}", title="Reporting failed")
        code = code or FAILED.code
    return code


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] | None = None,
    interactive: bool | None = None,
) -> int:
    """Run the program; ``transport`` and ``sleep`` replace the network and the clock's
    waits (tests only). ``interactive``: a person at a terminal (default: standard input is
    one); with no arguments outside CI they get a short usage instead of a deploy."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    out = stdout if stdout is not None else sys.stdout
    if _version_requested(arguments):
        out.write(f"pmcp-action {__version__}\n")
        out.flush()
        return 0
    env = dict(os.environ if environ is None else environ)
    if interactive is None:
        interactive = sys.stdin is not None and sys.stdin.isatty()
    errors = stderr if stderr is not None else sys.stderr
    return _run(arguments, env, out, errors, transport, sleep, interactive)


if __name__ == "__main__":
    sys.exit(main())
