"""verification_report: the checks, the findings, a table per scenario and the latency, in
the summary (Markdown and plain text), the outputs and the JSON report."""

from __future__ import annotations

from pmcp_action.report import build_outputs, build_report, render_summary, render_text_summary
from pmcp_action.result import (
    CheckFinding,
    Latency,
    RunResult,
    RunStatus,
    TargetResult,
    Verification,
    VerificationStatus,
)
from pmcp_action.scenarios.assertions import AssertionOutcome
from pmcp_action.scenarios.executor import ScenarioResult, StepResult
from pmcp_action.scenarios.model import Phase

STEP_OK = StepResult(Phase.STEPS, "list", "list_tools", True, 0.012)
STEP_FAILED = StepResult(
    Phase.STEPS,
    "price",
    "tool_call price",
    False,
    0.034,
    assertions=(
        AssertionOutcome(
            "equals parsed.total == the expected value",
            False,
            "1.5",
            "parsed.total is 1.5, expected 99",
        ),
    ),
)
PASSED = ScenarioResult("Smoke", "smoke.yaml", True, 0.05, (STEP_OK,), steps_total=1)
FAILED = ScenarioResult(
    "Price",
    "price.yaml",
    False,
    0.09,
    (STEP_OK, STEP_FAILED),
    error="steps step 'price' failed",
    steps_total=3,
)
VERIFICATION = Verification(
    status=VerificationStatus.FAILED,
    url="https://calc.example/mcp",
    server_name="calc",
    checks=("connectivity", "conformance"),
    findings=(
        CheckFinding("conformance", "unknown-method", "warning", "answered with code -32600"),
    ),
    scenarios=(PASSED, FAILED),
    scenarios_given=3,
    latency=Latency(round_trips=9, p50_ms=4.2, max_ms=51.0, cold_start_ms=1830.4),
    warned="input 'verify-on-failure' is warn",
    detail="Failed: scenario 'Price'",
)
RUN = RunResult(
    command="deploy",
    target="google-cloud-run",
    server_name="calc",
    status=RunStatus.SUCCESS,
    result=TargetResult(
        url="https://calc-uc.a.run.app/mcp", service_url="https://calc-uc.a.run.app", version="2"
    ),
    verification=VERIFICATION,
)


def test_the_outputs_count_the_scenarios_and_give_the_service_url() -> None:
    outputs = build_outputs(RUN)
    assert outputs["url"] == "https://calc-uc.a.run.app/mcp"
    assert outputs["service-url"] == "https://calc-uc.a.run.app"
    assert (outputs["scenarios-passed"], outputs["scenarios-failed"]) == ("1", "1")
    none_given = build_outputs(
        RunResult(
            "deploy",
            "aws-lambda",
            "x",
            RunStatus.SUCCESS,
            verification=Verification(VerificationStatus.VERIFIED),
        )
    )
    assert none_given["scenarios-passed"] == none_given["scenarios-failed"] == ""


def test_the_markdown_summary_has_a_table_per_scenario() -> None:
    summary = render_summary(RUN)
    assert "| **MCP verification** | ❌ failed (warning only) |" in summary
    assert (
        "| **Verification failure** | a warning only "
        "(input &#x27;verify-on-failure&#x27; is warn) |" in summary
    )
    assert "| **Service URL** | [https://calc-uc.a.run.app](https://calc-uc.a.run.app) |" in summary
    assert "| **Checks** | connectivity, conformance |" in summary
    assert "| **Scenarios** | 1 passed, 1 failed, 1 not run |" in summary
    assert "| **Round trips** | 9, p50 4 ms, max 51 ms |" in summary
    assert "| **First answer (cold start)** | 1830 ms |" in summary
    assert "| conformance | `unknown-method` | warning | answered with code -32600 |" in summary
    assert "**✅ Smoke (smoke.yaml): passed, 1/1 steps, 0.05 s**" in summary
    assert "**❌ Price (price.yaml): failed, 2/3 steps, 0.09 s**" in summary
    assert (
        "| steps | price | `tool_call price` | ❌ failed: equals parsed.total == the expected "
        "value: parsed.total is 1.5, expected 99 | 34 |"
    ) in summary
    assert "_Stopped: steps step &#x27;price&#x27; failed_" in summary


def test_the_plain_summary_lists_the_same() -> None:
    text = render_text_summary(RUN)
    assert "  Scenarios                  1 passed, 1 failed, 1 not run" in text
    assert "Checks:\n  - conformance [unknown-method] warning: answered with code -32600" in text
    assert "  Price (price.yaml): failed, 2/3 steps, 0.09 s" in text
    assert "    steps 'price' (tool_call price): failed: equals parsed.total" in text
    assert "    stopped: steps step 'price' failed" in text


def test_the_report_holds_every_step_and_assertion() -> None:
    report = build_report(RUN, settings={}, platform="github", started_at=0)
    verification = report["verification"]
    assert verification["checks"] == ["connectivity", "conformance"]
    assert verification["warned"] == "input 'verify-on-failure' is warn"
    assert verification["latency"] == {
        "round_trips": 9,
        "p50_ms": 4.2,
        "max_ms": 51.0,
        "cold_start_ms": 1830.4,
    }
    price = verification["scenarios"][1]
    assert (price["name"], price["passed"], price["error"]) == (
        "Price",
        False,
        "steps step 'price' failed",
    )
    assert price["steps"][1]["assertions"] == [
        {
            "assertion": "equals parsed.total == the expected value",
            "passed": False,
            "actual": "1.5",
            "message": "parsed.total is 1.5, expected 99",
        }
    ]
    assert verification["findings"][0]["rule"] == "unknown-method"
