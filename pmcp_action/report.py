"""Turn a :class:`RunResult` into step outputs, a job summary and a JSON report.

One layout for every target and every CI; the platform adapter decides where
each piece goes. Outside CI the summary is plain text (:func:`render_text_summary`)
and ``--output-format json`` prints :func:`build_json_result`. Nothing here sees
a secret: the settings are redacted and every text still passes the redactor on
its way out.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from . import __version__
from .destinations import prepared
from .exit_codes import UNVERIFIED
from .result import (
    LogExcerpt,
    RunResult,
    RunStatus,
    TargetResult,
    Verification,
    VerificationStatus,
)
from .servers.matrix import render_matrix
from .settings.catalogue import Catalogue, catalogue
from .settings.declaration import OutputKind
from .settings.vocabulary import Command
from .verification_report import (
    check_rows,
    markdown_sections,
    report_fields,
    text_sections,
    verified_label,
)

__all__ = [
    "build_json_result",
    "build_outputs",
    "build_report",
    "render_summary",
    "render_text_summary",
    "write_report",
]

#: (icon, text) of the status line, by status and then by command.
_STATUS: Mapping[RunStatus, tuple[str, str]] = {
    RunStatus.SUCCESS: ("✅", "Deployed"),
    RunStatus.UNCHANGED: ("✅", "Up to date (nothing changed)"),
    RunStatus.FAILURE: ("❌", "Failed"),
}
_COMMAND_DONE: Mapping[Command, tuple[str, str]] = {
    Command.PLAN: ("📝", "Plan ready (nothing was changed)"),
    Command.OUTPUTS: ("📋", "Current deployment"),
    Command.ROLLBACK: ("↩️", "Rolled back"),
    Command.DESTROY: ("🗑️", "Destroyed"),
    Command.LOGS: ("📜", "Server logs"),
    Command.SERVERS: ("🗂️", "Servers"),
    Command.INIT: ("🧩", "CI configuration written"),
    Command.PREVIEW: ("🔍", "Preview deployed"),
    Command.DESTROY_PREVIEW: ("🧹", "Preview removed"),
    Command.TRUST: ("🤝", "Cloud trust"),
    Command.CHECK: ("🩺", "Access checked"),
}
_VERIFIED: Mapping[VerificationStatus, tuple[str, str]] = {
    VerificationStatus.VERIFIED: ("✅", "verified"),
    VerificationStatus.FAILED: ("❌", "failed"),
    VerificationStatus.SKIPPED: ("⏭️", "skipped"),
}


def _bool(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def build_outputs(run: RunResult, known: Catalogue | None = None) -> dict[str, str]:
    """Every declared output, in the catalogue's order; empty where it does not apply."""
    r = run.result
    v = run.verification
    values: dict[str, str] = {
        "url": r.url,
        "service-url": r.service_url,
        "target": run.target,
        "server-name": run.server_name,
        "version": r.version,
        "previous-version": r.previous_version,
        "deployment-id": r.deployment_id,
        "region": r.region,
        "health-url": r.health_url,
        "unchanged": _bool(r.unchanged),
        "verified": v.status if v is not None else "",
        "mcp-server-name": v.server_name if v is not None else "",
        "mcp-server-version": v.server_version if v is not None else "",
        "mcp-protocol-version": v.protocol_version if v is not None else "",
        "tool-count": v.tool_count if v is not None else "",
        "scenarios-passed": str(v.scenarios_passed) if v is not None and v.scenarios_given else "",
        "scenarios-failed": str(v.scenarios_failed) if v is not None and v.scenarios_given else "",
        "rolled-back": "true" if run.rolled_back else "false",
        "secrets": _secrets_json(r),
        "matrix": render_matrix(run.matrix) if run.matrix is not None else "",
        "registry-name": run.registry.name if run.registry is not None else "",
        "registry-version": run.registry.version if run.registry is not None else "",
        "preview-id": r.preview_id,
        "preview-url": r.preview_url,
        "report-path": run.report_path,
        "command": run.command,
        "status": run.status,
    }
    owners = (known or catalogue()).output_owners
    outputs: dict[str, str] = {}
    for spec in (known or catalogue()).outputs:
        if owners.get(spec.name):
            mine = run.target in owners[spec.name]
            outputs[spec.name] = r.outputs.get(spec.name, "") if mine else ""
        else:
            outputs[spec.name] = values.get(spec.name, "")
    return outputs


def _secrets_json(result: TargetResult) -> str:
    if not result.secrets:
        return ""
    return json.dumps({s.name: s.status.value for s in result.secrets}, separators=(",", ":"))


def _secrets_row(result: TargetResult) -> str:
    """``API_KEY set, DB_URL kept`` (names and what happened; never a value)."""
    return ", ".join(f"{s.name} {s.status.value}" for s in result.secrets)


def build_json_result(run: RunResult, known: Catalogue | None = None) -> dict[str, Any]:
    """The one object ``--output-format json`` prints: every output, the error and the exit
    code, for every outcome (a usage error included). Each value has its output's type: a
    boolean, a number or a JSON value where the output is one, null where it is empty."""
    cat = known or catalogue()
    kinds = {spec.name: spec.kind for spec in cat.outputs}
    result: dict[str, Any] = {
        name: _typed(text, kinds.get(name, OutputKind.TEXT))
        for name, text in build_outputs(run, cat).items()
    }
    result["error-title"] = run.error_title or None
    result["error-text"] = run.error_text or None
    result["exit-code"] = run.exit_code
    return result


def _typed(text: str, kind: OutputKind) -> Any:
    if text == "":
        return None
    if kind is OutputKind.BOOL:
        return text == "true"
    if kind is OutputKind.INT:
        return int(text) if text.lstrip("-").isdigit() else text
    if kind is OutputKind.JSON:
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _target_rows(run: RunResult, known: Catalogue) -> list[tuple[str, str]]:
    """The target's own outputs that have a summary label, in its declared order."""
    declaration = known.target(run.target)
    if declaration is None:
        return []
    return [
        (spec.label, run.result.outputs[spec.name])
        for spec in declaration.outputs
        if spec.label and run.result.outputs.get(spec.name)
    ]


def _cell(text: str) -> str:
    return html.escape(text).replace("|", "\\|").replace("\n", " ")


def _status(run: RunResult) -> tuple[str, str]:
    if run.status is RunStatus.FAILURE:
        return _STATUS[RunStatus.FAILURE]
    if run.command in _COMMAND_DONE:
        return _COMMAND_DONE[Command(run.command)]
    return _STATUS.get(run.status, ("", run.status))


def _status_line(run: RunResult) -> str:
    icon, text = _status(run)
    return f"{icon} {text}".strip()


def _verification_rows(v: Verification, *, icons: bool) -> list[tuple[str, str]]:
    icon, word = _VERIFIED.get(v.status, ("", v.status))
    label = f"{icon} {word}".strip() if icons else word
    if v.protection:
        label += f" ({v.protection})"
    label += verified_label(v)
    rows = [("MCP verification", label)]
    if v.server_name:
        rows.append(("MCP server", f"{v.server_name} {v.server_version}".strip()))
    if v.protocol_version:
        rows.append(("Protocol version", v.protocol_version))
    if v.status is VerificationStatus.VERIFIED:
        rows.append(("Tools", str(len(v.tools))))
    return rows + check_rows(v)


def _summary_rows(
    run: RunResult, known: Catalogue, identity: str, *, icons: bool
) -> list[tuple[str, str, bool]]:
    """(label, plain value, whether it is a URL) of the summary's table, in order."""
    r = run.result
    labels = {spec.name: spec.label for spec in known.outputs}
    rows: list[tuple[str, str, bool]] = [
        (labels["command"], run.command, False),
        (labels["target"], run.target, False),
        (labels["server-name"], run.server_name, False),
    ]
    if r.url:
        rows.append((labels["url"], r.url, True))
    if r.service_url and r.service_url != r.url:
        rows.append((labels["service-url"], r.service_url, True))
    for name, value in (
        ("preview-id", r.preview_id),
        ("health-url", r.health_url),
        ("version", r.version),
        ("previous-version", r.previous_version),
        ("deployment-id", r.deployment_id),
        ("region", r.region),
    ):
        if value:
            rows.append((labels[name], value, False))
    if r.unchanged is not None:
        rows.append(("Changed", "no" if r.unchanged else "yes", False))
    who = r.identity or identity
    if who:
        rows.append(("Identity", who, False))
    rows += [(label, value, False) for label, value in _target_rows(run, known)]
    if r.secrets:
        rows.append(("Secrets", _secrets_row(r), False))
    if run.verification is not None:
        rows += [
            (label, value, False)
            for label, value in _verification_rows(run.verification, icons=icons)
        ]
    if run.rolled_back:
        rows.append(("Rolled back", f"yes — version {r.previous_version} serves again", False))
    if run.registry is not None:
        entry = run.registry
        done = "published" if entry.published else "already published"
        rows.append((labels["registry-name"], f"{entry.name} {entry.version} ({done})", False))
    if run.matrix is not None:
        rows.append(("Servers", str(len(run.matrix)), False))
    return rows


def render_summary(run: RunResult, *, identity: str = "") -> str:
    """The job summary in Markdown (GitHub renders it; GitLab prints it in a section)."""
    r = run.result
    known = catalogue()
    lines = [f"## pmcp deploy — {_status_line(run)}", ""]
    rows = [
        (label, f"[{_cell(value)}]({value})" if is_url else _cell(value))
        for label, value, is_url in _summary_rows(run, known, identity, icons=True)
    ]
    lines.append("| | |")
    lines.append("|---|---|")
    lines.extend(f"| **{_cell(k)}** | {v} |" for k, v in rows)
    lines.append("")

    if run.matrix:
        lines += ["| Server | Target | Working directory |", "|---|---|---|"]
        lines += [
            f"| {_cell(e.server)} | {_cell(e.target)} | `{_cell(e.working_directory)}` |"
            for e in run.matrix
        ]
        lines.append("")

    if r.changes:
        lines += ["### What a deploy would change", "", "| Action | Resource | Detail |"]
        lines.append("|---|---|---|")
        lines += [
            f"| {_cell(c.action)} | {_cell(c.resource)} | {_cell(c.detail)} |" for c in r.changes
        ]
        lines.append("")

    v = run.verification
    if v is not None and v.tools:
        lines += [f"<details><summary>Tools ({len(v.tools)})</summary>", ""]
        lines += [f"- `{_cell(tool)}`" for tool in v.tools]
        lines += ["", "</details>", ""]
    if v is not None:
        lines += markdown_sections(v)
    if v is not None and v.detail and v.status is not VerificationStatus.VERIFIED:
        lines += ["<details><summary>Verification details</summary>", "", "```text"]
        lines += [v.detail, "```", "", "</details>", ""]

    if run.logs is not None:
        lines += _log_section(run.logs)

    notes = list(r.notes)
    if notes:
        lines += ["### Notes", ""] + [f"- {_cell(n)}" for n in notes] + [""]

    if run.phases:
        lines += ["<details><summary>Timings</summary>", "", "| Phase | Seconds | Result |"]
        lines.append("|---|---:|---|")
        lines += [f"| {p.name} | {p.seconds:.1f} | {p.outcome} |" for p in run.phases]
        lines += ["", "</details>", ""]

    if run.status is RunStatus.FAILURE:
        lines += [f"### ❌ {_cell(run.error_title or 'Error')}", "", "```text"]
        lines += [run.error_text, "```", ""]
    if run.report_path:
        lines += [f"_Deploy report: `{run.report_path}`_", ""]
    return "\n".join(lines)


class _Paint:
    """ANSI colour for a terminal; the identity when colour is off."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, codes: str, text: str) -> str:
        return f"\x1b[{codes}m{text}\x1b[0m" if self.enabled and text else text


def _indented(text: str, prefix: str = "  ") -> list[str]:
    return [f"{prefix}{line}".rstrip() for line in text.splitlines()]


def _log_section(logs: LogExcerpt) -> list[str]:
    """The server's last lines, folded, in a fence no line of theirs can close."""
    count = len(logs.lines)
    title = f"Server log: last {count} lines" if count else "Server log"
    body = list(logs.lines) or [f"({logs.note or 'no lines'})"]
    fence = "~~~~" if any("```" in line for line in body) else "```"
    return [
        f"<details><summary>{_cell(title)} ({_cell(logs.source)})</summary>",
        "",
        f"{fence}text",
        *(line.replace(fence, "") for line in body),
        fence,
        "",
        "</details>",
        "",
    ]


def render_text_summary(run: RunResult, *, colour: bool = False, identity: str = "") -> str:
    """The summary for a terminal (outside CI): the status line, the rows that have a value,
    what a plan would change, the verification, the notes and the error, as plain text.
    ``colour`` adds ANSI colour (only for a terminal that wants it)."""
    paint = _Paint(colour)
    r = run.result
    _, status = _status(run)
    if run.status is RunStatus.FAILURE:
        tone = "33;1" if run.exit_code == UNVERIFIED.code else "31;1"
    else:
        tone = "32;1"
    head = f"pmcp deploy: {paint(tone, status)}"
    if run.exit_code:
        head += f" (exit {run.exit_code})"
    lines = [head]

    rows = [
        (label, value)
        for label, value, _ in _summary_rows(run, catalogue(), identity, icons=False)
        if value
    ]
    if run.report_path:
        rows.append(("Deploy report", run.report_path))
    if rows:
        width = max(len(label) for label, _ in rows)
        lines += [""] + [f"  {paint('1', label.ljust(width))}  {value}" for label, value in rows]

    if run.matrix:
        lines += ["", "Servers:"]
        name = max(len(entry.server) for entry in run.matrix)
        target = max(len(entry.target) for entry in run.matrix)
        lines += [
            f"  {e.server.ljust(name)}  {e.target.ljust(target)}  {e.working_directory}"
            for e in run.matrix
        ]

    if r.changes:
        lines += ["", "What a deploy would change:"]
        action_width = max(len(c.action) for c in r.changes)
        for change in r.changes:
            detail = f"  ({change.detail})" if change.detail else ""
            lines.append(f"  {change.action.ljust(action_width)}  {change.resource}{detail}")

    v = run.verification
    if v is not None and v.tools:
        lines += ["", f"Tools ({len(v.tools)}): " + ", ".join(v.tools)]
    if v is not None:
        lines += text_sections(v)
    if v is not None and v.detail and v.status is not VerificationStatus.VERIFIED:
        lines += ["", "Verification details:", *_indented(v.detail)]

    if run.logs is not None:
        lines += ["", f"Server log ({run.logs.source}):"]
        lines += [f"  {line}" for line in run.logs.lines] or [f"  ({run.logs.note or 'no lines'})"]
    if r.notes:
        lines += ["", "Notes:"] + [f"  - {note}" for note in r.notes]

    if run.status is RunStatus.FAILURE:
        lines += ["", paint("31;1", f"error: {run.error_title or 'Error'}")]
        lines += _indented(run.error_text)
    return "\n".join(lines)


def build_report(
    run: RunResult,
    *,
    settings: Mapping[str, Any],
    platform: str,
    started_at: float,
) -> dict[str, Any]:
    """The JSON deploy report: redacted inputs, identity, phases, request ids, result."""
    r = run.result
    v = run.verification
    return {
        "schema": "pmcp-deploy-report/1",
        "tool": {"name": "pmcp-deploy-action", "version": __version__},
        "platform": platform,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started_at)),
        "command": run.command,
        "target": run.target,
        "server_name": run.server_name,
        "status": run.status,
        "inputs": dict(settings),
        "identity": r.identity,
        "outputs": build_outputs(run),
        "phases": [
            {
                "name": p.name,
                "started_at": round(p.started_at, 3),
                "ended_at": round(p.ended_at, 3),
                "seconds": round(p.seconds, 3),
                "outcome": p.outcome,
            }
            for p in run.phases
        ],
        "changes": [
            {"action": c.action, "resource": c.resource, "detail": c.detail} for c in r.changes
        ],
        "notes": list(r.notes),
        "secrets": [{"name": s.name, "status": s.status.value} for s in r.secrets],
        "request_ids": list(r.request_ids),
        "verification": None
        if v is None
        else {
            "status": v.status,
            "url": v.url,
            "server_name": v.server_name,
            "server_version": v.server_version,
            "protocol_version": v.protocol_version,
            "tools": list(v.tools),
            "protection": v.protection,
            "detail": v.detail,
            **report_fields(v),
        },
        "rolled_back": run.rolled_back,
        "servers": None
        if run.matrix is None
        else [
            {"server": e.server, "target": e.target, "working_directory": e.working_directory}
            for e in run.matrix
        ],
        "registry": None
        if run.registry is None
        else {
            "name": run.registry.name,
            "version": run.registry.version,
            "url": run.registry.url,
            "published": run.registry.published,
        },
        "logs": None
        if run.logs is None
        else {"source": run.logs.source, "lines": list(run.logs.lines), "note": run.logs.note},
        "exit_code": run.exit_code,
        "error": None
        if run.status is not RunStatus.FAILURE
        else {"title": run.error_title, "text": run.error_text},
    }


def write_report(path: Path, report: Mapping[str, Any], redact: Callable[[str], str]) -> None:
    """Write the report atomically; ``redact`` scrubs the serialised text."""
    prepared(path)
    text = redact(json.dumps(report, indent=2, sort_keys=False) + "\n")
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
