"""How the report shows what the checks found: the summary's rows and sections (Markdown and
plain text) and the JSON report's fields for the checks, the findings, the scenarios and the
latency. :mod:`pmcp_action.report` lays them out with the rest of the run."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from .result import Verification, VerificationStatus

if TYPE_CHECKING:
    from .scenarios.executor import ScenarioResult, StepResult

__all__ = ["check_rows", "markdown_sections", "report_fields", "text_sections", "verified_label"]


def _cell(text: str) -> str:
    return html.escape(text).replace("|", "\\|").replace("\n", " ")


def check_rows(v: Verification) -> list[tuple[str, str]]:
    """The summary table's rows about the checks: which ran, the scenarios, the latency."""
    rows: list[tuple[str, str]] = []
    if v.warned:
        rows.append(("Verification failure", f"a warning only ({v.warned})"))
    if v.checks:
        rows.append(("Checks", ", ".join(v.checks)))
    if v.scenarios_given:
        ran = len(v.scenarios)
        text = f"{v.scenarios_passed} passed, {v.scenarios_failed} failed"
        if ran < v.scenarios_given:
            text += f", {v.scenarios_given - ran} not run"
        rows.append(("Scenarios", text))
    if v.latency is not None:
        latency = v.latency
        rows.append(
            (
                "Round trips",
                f"{latency.round_trips}, p50 {latency.p50_ms:.0f} ms, max {latency.max_ms:.0f} ms",
            )
        )
        if latency.cold_start_ms is not None:
            rows.append(("First answer (cold start)", f"{latency.cold_start_ms:.0f} ms"))
    return rows


def _result(step: StepResult) -> str:
    return "passed" if step.passed else f"failed: {step.failure()}"


def _scenario_title(scenario: ScenarioResult, *, icons: bool) -> str:
    mark = ("✅ " if scenario.passed else "❌ ") if icons else ""
    word = "passed" if scenario.passed else "failed"
    ran = f"{len(scenario.steps)}/{scenario.steps_total} steps"
    return f"{mark}{scenario.name} ({scenario.source}): {word}, {ran}, {scenario.seconds:.2f} s"


def markdown_sections(v: Verification) -> list[str]:
    """The findings' table and a table per scenario, in Markdown."""
    lines: list[str] = []
    if v.findings:
        lines += ["### Checks", "", "| Check | Rule | Severity | Finding |", "|---|---|---|---|"]
        lines += [
            f"| {_cell(f.check)} | `{_cell(f.rule)}` | {_cell(f.severity)} | {_cell(f.message)} |"
            for f in v.findings
        ]
        lines.append("")
    if v.scenarios:
        lines += ["### Scenarios", ""]
    for scenario in v.scenarios:
        lines += [f"**{_cell(_scenario_title(scenario, icons=True))}**", ""]
        if scenario.steps:
            lines += ["| Phase | Step | Operation | Result | ms |", "|---|---|---|---|---:|"]
            lines += [
                f"| {step.phase} | {_cell(step.name)} | `{_cell(step.operation)}` | "
                f"{'✅' if step.passed else '❌'} {_cell(_result(step))} | "
                f"{step.seconds * 1000:.0f} |"
                for step in scenario.steps
            ]
        if scenario.error:
            lines += ["", f"_Stopped: {_cell(scenario.error)}_"]
        lines.append("")
    return lines


def text_sections(v: Verification) -> list[str]:
    """The same, as plain text for a terminal."""
    lines: list[str] = []
    if v.findings:
        lines += ["", "Checks:"] + [f"  - {f.render()}" for f in v.findings]
    if v.scenarios:
        lines += ["", "Scenarios:"]
    for scenario in v.scenarios:
        lines.append(f"  {_scenario_title(scenario, icons=False)}")
        lines += [
            f"    {step.phase} {step.name!r} ({step.operation}): {_result(step)}"
            for step in scenario.steps
        ]
        if scenario.error:
            lines.append(f"    stopped: {scenario.error}")
    return lines


def report_fields(v: Verification) -> dict[str, Any]:
    """The JSON report's fields for the checks, findings, scenarios and latency."""
    latency = v.latency
    return {
        "checks": list(v.checks),
        "warned": v.warned,
        "findings": [
            {"check": f.check, "rule": f.rule, "severity": f.severity, "message": f.message}
            for f in v.findings
        ],
        "scenarios": [
            {
                "name": s.name,
                "source": s.source,
                "passed": s.passed,
                "seconds": round(s.seconds, 3),
                "error": s.error,
                "steps": [
                    {
                        "phase": step.phase,
                        "name": step.name,
                        "operation": step.operation,
                        "passed": step.passed,
                        "seconds": round(step.seconds, 3),
                        "error": step.error,
                        "assertions": [
                            {
                                "assertion": a.assertion,
                                "passed": a.passed,
                                "actual": a.actual,
                                "message": a.message,
                            }
                            for a in step.assertions
                        ],
                    }
                    for step in s.steps
                ],
            }
            for s in v.scenarios
        ],
        "latency": None
        if latency is None
        else {
            "round_trips": latency.round_trips,
            "p50_ms": round(latency.p50_ms, 1),
            "max_ms": round(latency.max_ms, 1),
            "cold_start_ms": None
            if latency.cold_start_ms is None
            else round(latency.cold_start_ms, 1),
        },
    }


def verified_label(v: Verification) -> str:
    """What follows the verification's status word in the summary ("" for nothing)."""
    if v.warned and v.status is VerificationStatus.FAILED:
        return " (warning only)"
    return ""
