"""Turn a :class:`RunResult` into step outputs, a job summary and a JSON report.

One layout for every target and every CI; the platform adapter decides where
each piece goes. Nothing here sees a secret: the settings are redacted and
every text still passes the redactor on its way out.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from . import __version__
from .registry import Catalogue, catalogue
from .result import RunResult, Verification

__all__ = ["build_outputs", "build_report", "render_summary", "write_report"]

_STATUS_LINE = {
    "success": "✅ Deployed",
    "unchanged": "✅ Up to date (nothing changed)",
    "failure": "❌ Failed",
}
_COMMAND_DONE = {
    "plan": "📝 Plan ready (nothing was changed)",
    "outputs": "📋 Current deployment",
    "rollback": "↩️ Rolled back",
    "destroy": "🗑️ Destroyed",
}


def _bool(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def build_outputs(run: RunResult, known: Catalogue | None = None) -> dict[str, str]:
    """Every declared output, in the catalogue's order; empty where it does not apply."""
    r = run.result
    v = run.verification
    values: dict[str, str] = {
        "url": r.url,
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
        "rolled-back": "true" if run.rolled_back else "false",
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


def _target_rows(run: RunResult, known: Catalogue) -> list[tuple[str, str]]:
    """The target's own outputs that have a summary label, in its declared order."""
    declaration = known.target(run.target)
    if declaration is None:
        return []
    return [
        (spec.label, _cell(run.result.outputs[spec.name]))
        for spec in declaration.outputs
        if spec.label and run.result.outputs.get(spec.name)
    ]


def _cell(text: str) -> str:
    return html.escape(text).replace("|", "\\|").replace("\n", " ")


def _status_line(run: RunResult) -> str:
    if run.status == "failure":
        return _STATUS_LINE["failure"]
    if run.command in _COMMAND_DONE:
        return _COMMAND_DONE[run.command]
    return _STATUS_LINE.get(run.status, run.status)


def _verification_rows(v: Verification) -> list[tuple[str, str]]:
    label = {"true": "✅ verified", "false": "❌ failed", "skipped": "⏭️ skipped"}.get(
        v.status, v.status
    )
    if v.protection:
        label += f" ({v.protection})"
    rows = [("MCP verification", label)]
    if v.server_name:
        rows.append(("MCP server", f"{v.server_name} {v.server_version}".strip()))
    if v.protocol_version:
        rows.append(("Protocol version", v.protocol_version))
    if v.status == "true":
        rows.append(("Tools", str(len(v.tools))))
    return rows


def render_summary(run: RunResult, *, identity: str = "") -> str:
    """The job summary in Markdown (GitHub renders it; GitLab and local print it)."""
    r = run.result
    known = catalogue()
    labels = {spec.name: spec.label for spec in known.outputs}
    lines = [f"## pmcp deploy — {_status_line(run)}", ""]
    rows: list[tuple[str, str]] = [
        (labels["command"], run.command),
        (labels["target"], run.target),
        (labels["server-name"], run.server_name),
    ]
    if r.url:
        rows.append((labels["url"], f"[{_cell(r.url)}]({r.url})"))
    for name, value in (
        ("health-url", r.health_url),
        ("version", r.version),
        ("previous-version", r.previous_version),
        ("deployment-id", r.deployment_id),
        ("region", r.region),
    ):
        if value:
            rows.append((labels[name], _cell(value)))
    if r.unchanged is not None:
        rows.append(("Changed", "no" if r.unchanged else "yes"))
    who = r.identity or identity
    if who:
        rows.append(("Identity", _cell(who)))
    rows.extend(_target_rows(run, known))
    if run.verification is not None:
        rows.extend(_verification_rows(run.verification))
    if run.rolled_back:
        rows.append(("Rolled back", f"yes — version {_cell(r.previous_version)} serves again"))
    lines.append("| | |")
    lines.append("|---|---|")
    lines.extend(f"| **{_cell(k)}** | {v} |" for k, v in rows)
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
    if v is not None and v.detail and v.status != "true":
        lines += ["<details><summary>Verification details</summary>", "", "```text"]
        lines += [v.detail, "```", "", "</details>", ""]

    notes = list(r.notes)
    if notes:
        lines += ["### Notes", ""] + [f"- {_cell(n)}" for n in notes] + [""]

    if run.phases:
        lines += ["<details><summary>Timings</summary>", "", "| Phase | Seconds | Result |"]
        lines.append("|---|---:|---|")
        lines += [f"| {p.name} | {p.seconds:.1f} | {p.outcome} |" for p in run.phases]
        lines += ["", "</details>", ""]

    if run.status == "failure":
        lines += [f"### ❌ {_cell(run.error_title or 'Error')}", "", "```text"]
        lines += [run.error_text, "```", ""]
    if run.report_path:
        lines += [f"_Deploy report: `{run.report_path}`_", ""]
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
        },
        "rolled_back": run.rolled_back,
        "error": None
        if run.status != "failure"
        else {"title": run.error_title, "text": run.error_text},
    }


def write_report(path: Path, report: Mapping[str, Any], redact: Callable[[str], str]) -> None:
    """Write the report atomically; ``redact`` scrubs the serialised text."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = redact(json.dumps(report, indent=2, sort_keys=False) + "\n")
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
