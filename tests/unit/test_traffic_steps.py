"""traffic_steps: what refuses gradual traffic before any call (a target that cannot split,
verification off, steps longer than the deadline). The steps themselves run against each
target's fake (tests/unit/targets/<target>/test_traffic_steps.py)."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest

from pmcp_action.__main__ import main
from tests.support.github import parse_github_output


def _no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no call may be made, but {request.method} {request.url} was")


def refused(gha_files: dict[str, Path], tmp_path: Path, target: str, **inputs: str) -> str:
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "demo"\nversion = "1.0.0"\n')
    env = {k: str(v) for k, v in gha_files.items()} | {"GITHUB_ACTIONS": "true"}
    env |= {"INPUT_TARGET": target, "INPUT_WORKING-DIRECTORY": str(tmp_path)}
    env |= {f"INPUT_{k.upper().replace('_', '-')}": v for k, v in inputs.items()}
    out = io.StringIO()
    code = main([], environ=env, stdout=out, stderr=out, transport=httpx.MockTransport(_no_network))
    assert code == 1, out.getvalue()
    assert parse_github_output(gha_files["GITHUB_OUTPUT"].read_text())["status"] == "failure"
    return gha_files["GITHUB_STEP_SUMMARY"].read_text()  # the problems, unescaped


@pytest.mark.parametrize("target", ["pmcp-run"])
def test_a_target_that_cannot_split_refuses_steps_before_any_call(gha_files, tmp_path, target):
    said = refused(gha_files, tmp_path, target, traffic_steps="10,50,100")
    assert (
        f"input 'traffic-steps': the {target} target moves all the traffic at once; it does not "
        "split it between two versions — leave traffic-steps out (or set it to 100)"
    ) in said


def test_steps_need_verification_at_the_deployed_url(gha_files, tmp_path):
    said = refused(gha_files, tmp_path, "google-cloud-run", traffic_steps="10,100", verify="false")
    assert "input 'traffic-steps': each step is verified over MCP, and verify is false" in said
    said = refused(
        gha_files,
        tmp_path,
        "google-cloud-run",
        traffic_steps="10,100",
        verify_url="https://mcp.example.com/mcp",
    )
    assert "each step verifies the deployed URL, and verify-url is given" in said


def test_steps_that_wait_longer_than_the_deadline_are_refused(gha_files, tmp_path):
    said = refused(
        gha_files,
        tmp_path,
        "cloudflare-workers",
        traffic_steps="10,50,100",
        traffic_step_seconds="300",
        timeout_minutes="10",
    )
    assert (
        "its 2 steps below 100 % wait 600 s in all (traffic-step-seconds), not less than "
        "timeout-minutes (10) — raise timeout-minutes, or take fewer or shorter steps"
    ) in said
