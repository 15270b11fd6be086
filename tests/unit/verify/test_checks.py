"""verify.checks: connectivity, then conformance, apps and the scenario files, against real
MCP servers no one here wrote (the official Python SDK's, server-everything from npm) and the
Rust stand-in; a protected server verified with client credentials; the round trips timed."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

import pytest

from pmcp_action.http import HttpClientFactory
from pmcp_action.redact import Redactor
from pmcp_action.result import VerificationStatus
from pmcp_action.scenarios import Scenario, load_scenarios
from pmcp_action.settings.vocabulary import AppsMode, Check
from pmcp_action.verify.checks import CheckPlan, run_checks
from pmcp_action.verify.oauth import ClientCredentials
from pmcp_action.verify.report import NEEDS_CREDENTIALS
from tests.fakes.mcp_apps import APP_URI, serve_apps_mcp
from tests.fakes.mcp_servers import serve_everything, serve_shop_mcp
from tests.fakes.oauth_server import FakeAuthorizationServer, serve_protected_mcp
from tests.fakes.rust_mcp import rustc_problem, serve_standin
from tests.support.npm import require_npm_tools

pytestmark = pytest.mark.timeout(120)

ALL = (Check.CONNECTIVITY, Check.CONFORMANCE, Check.APPS)
CLIENT, SECRET = "verifier", "cc-secret-9b1f27d4e8"

PRICE = """\
name: Price an apple
steps:
  - name: price
    operation: {type: tool_call, tool: price, arguments: {item: apple, quantity: 2}}
    assertions:
      - {type: equals, path: parsed.total, value: 3.0}
"""
WRONG_PRICE = PRICE.replace("value: 3.0", "value: 4")
GREET = """\
name: Greet
steps:
  - name: tools
    operation: {type: list_tools}
    assertions:
      - {type: array_length, path: tools, greater_than_or_equal: 1}
  - name: greet
    operation: {type: tool_call, tool: greet, arguments: {name: ci}}
    assertions:
      - {type: success}
"""
WHOAMI = """\
name: Who am I
steps:
  - name: whoami
    operation: {type: tool_call, tool: whoami}
    assertions:
      - {type: equals, path: result, value: protected}
"""


def scenarios(tmp_path: Path, **texts: str) -> tuple[Scenario, ...]:
    for name, text in texts.items():
        (tmp_path / f"{name}.yaml").write_text(text)
    loaded = load_scenarios([f"{name}.yaml" for name in texts], tmp_path)
    assert loaded.problems == [] and loaded.warnings == []
    return tuple(loaded.scenarios)


def check(url: str, **plan: Any) -> tuple[Any, list[str]]:
    logs: list[str] = []
    plan.setdefault("timeout_seconds", 15)
    extra = {k: plan.pop(k) for k in ("mask", "redact", "sleep", "trips") if k in plan}
    result = run_checks(
        CheckPlan(url=url, **plan), http=HttpClientFactory(), log=logs.append, **extra
    )
    return result, logs


@pytest.mark.parametrize("only", ["", "handshake"], ids=["both-eras", "handshake"])
def test_every_check_and_a_scenario_pass_on_the_sdk_server(tmp_path: Path, only: str) -> None:
    with serve_shop_mcp(json_response=True, only=only) as server:
        result, _ = check(server.url, checks=ALL, scenarios=scenarios(tmp_path, price=PRICE))
    assert result.status is VerificationStatus.VERIFIED, result.detail
    assert result.checks == ("connectivity", "conformance", "apps")
    assert result.findings == ()
    assert [s.passed for s in result.scenarios] == [True] and result.scenarios_given == 1
    assert (result.scenarios_passed, result.scenarios_failed) == (1, 0)
    latency = result.latency
    assert latency is not None and latency.round_trips >= 8
    assert 0 < latency.p50_ms <= latency.max_ms
    assert latency.cold_start_ms is not None and latency.cold_start_ms > 0


def test_the_conformance_check_asks_both_eras_of_a_server_that_has_both(tmp_path: Path) -> None:
    with serve_shop_mcp(json_response=True) as server:
        check(server.url, checks=(Check.CONNECTIVITY, Check.CONFORMANCE))
        methods = [r.rpc_method for r in server.requests]
    assert methods.count("initialize") == 1 and "server/discover" in methods
    assert "pmcp-action/no-such-method" in methods


def test_a_failing_scenario_names_the_step_the_assertion_and_what_came_back(
    tmp_path: Path,
) -> None:
    with serve_shop_mcp(json_response=True) as server:
        result, logs = check(server.url, scenarios=scenarios(tmp_path, price=WRONG_PRICE))
    assert result.status is VerificationStatus.FAILED
    assert (result.scenarios_passed, result.scenarios_failed) == (0, 1)
    assert (
        "Failed: scenario 'Price an apple' (price.yaml), steps step 'price' (tool_call price): "
        "equals parsed.total == the expected value: parsed.total is 3.0, expected 4"
    ) in result.detail
    assert any("scenario 'Price an apple' failed" in line for line in logs)


def test_what_came_back_is_masked_when_it_holds_a_secret(tmp_path: Path) -> None:
    secret = "s3cret-greeting-value"
    text = GREET.replace("name: ci", f"name: {secret}").replace(
        "- {type: success}", "- {type: equals, path: result, value: nope}"
    )
    redactor = Redactor()
    redactor.add(secret)
    with serve_shop_mcp(json_response=True) as server:
        result, _ = check(
            server.url, scenarios=scenarios(tmp_path, greet=text), redact=redactor.redact
        )
    assert result.status is VerificationStatus.FAILED
    assert secret not in result.detail and "Hello, ***!" in result.detail
    assert secret not in repr(result.scenarios)


def test_the_reference_server_from_npm_passes_every_check(tmp_path: Path) -> None:
    tools = require_npm_tools()
    everything = GREET.replace(
        "tool: greet, arguments: {name: ci}", "tool: echo, arguments: {message: ci}"
    )
    with serve_everything(tools.everything) as server:
        result, _ = check(server.url, checks=ALL, scenarios=scenarios(tmp_path, echo=everything))
    assert result.status is VerificationStatus.VERIFIED, result.detail
    assert result.server_name == "mcp-servers/everything" and result.findings == ()


def test_the_rust_stand_in_answers_but_fails_a_scenario_calling_a_tool(tmp_path: Path) -> None:
    if rustc_problem():
        pytest.skip(str(rustc_problem()))
    with serve_standin() as url:
        result, _ = check(url, checks=ALL, scenarios=scenarios(tmp_path, greet=GREET))
    assert result.server_name == "rust-standin" and result.findings == ()
    assert result.status is VerificationStatus.FAILED
    (greet,) = result.scenarios
    assert [step.passed for step in greet.steps] == [True, False]
    assert "JSON-RPC error -32601: unknown" in greet.failure()


def test_the_apps_check_reads_the_ui_resource_each_tool_names() -> None:
    with serve_apps_mcp() as server:
        passed, _ = check(server.url, checks=ALL)
        for_chatgpt, _ = check(server.url, checks=ALL, apps_mode=AppsMode.CHATGPT)
        reads = [r.json["params"]["uri"] for r in server.rpc("resources/read")]
    assert passed.status is VerificationStatus.VERIFIED and passed.findings == ()
    assert reads == [APP_URI, APP_URI]
    (finding,) = for_chatgpt.findings
    assert (finding.check, finding.rule, finding.severity) == ("apps", "app-mime-type", "warning")
    assert "not text/html+skybridge" in finding.message
    assert for_chatgpt.status is VerificationStatus.VERIFIED  # a warning does not fail


def test_a_ui_resource_missing_or_not_html_fails_the_apps_check() -> None:
    with serve_apps_mcp(mime_type="text/plain", broken=True) as server:
        result, _ = check(server.url, checks=ALL)
    assert result.status is VerificationStatus.FAILED
    rules = sorted((f.rule, f.severity) for f in result.findings)
    assert rules == [("app-mime-type", "failure"), ("app-resource-read", "failure")]
    assert "apps [app-resource-read] failure: tool missing: resources/read" in result.detail


def test_a_server_without_apps_has_nothing_to_check() -> None:
    with serve_shop_mcp(json_response=True) as server:
        result, _ = check(server.url, checks=(Check.CONNECTIVITY, Check.APPS))
        reads = server.rpc("resources/read")
    assert result.status is VerificationStatus.VERIFIED and reads == []


def test_the_warmup_grace_is_waited_before_the_first_request() -> None:
    slept: list[float] = []
    with serve_shop_mcp(json_response=True) as server:
        result, logs = check(server.url, warmup_grace_seconds=0.25, sleep=slept.append)
    assert slept == [0.25] and result.status is VerificationStatus.VERIFIED
    assert "MCP verify: waiting 250 ms (warm-up grace)" in logs


def _secrets_in(text: str, *secrets: str) -> list[str]:
    found = []
    for secret in secrets:
        if secret in text or base64.b64encode(secret.encode()).decode() in text:
            found.append(secret)
    return found


def test_a_protected_server_is_verified_with_client_credentials(tmp_path: Path) -> None:
    issuer = FakeAuthorizationServer()
    issuer.clients[CLIENT] = SECRET
    masked: list[str] = []
    with serve_protected_mcp(issuer) as protected:
        result, logs = check(
            protected.mcp.url,
            credentials=ClientCredentials(CLIENT, SECRET, scope="mcp.read"),
            checks=ALL,
            scenarios=scenarios(tmp_path, whoami=WHOAMI),
            mask=masked.append,
        )
    assert result.status is VerificationStatus.VERIFIED, result.detail
    assert result.tools == ("whoami",) and result.scenarios_passed == 1
    (token,) = issuer.issued
    assert masked == [token] and issuer.issued[token]["scope"] == "mcp.read"
    assert any("a token from" in line and "/token (client credentials" in line for line in logs)
    assert not _secrets_in(result.detail + repr(result) + "\n".join(logs), SECRET, token)


def test_without_credentials_a_protected_server_says_what_is_needed() -> None:
    issuer = FakeAuthorizationServer()
    with serve_protected_mcp(issuer) as protected:
        skipped, _ = check(protected.mcp.url)
        failed, _ = check(protected.mcp.url, strict=True)
    assert skipped.status is VerificationStatus.SKIPPED and skipped.protection == "protected"
    assert NEEDS_CREDENTIALS in skipped.detail
    assert "verify-oauth-client-id and verify-oauth-client-secret" in NEEDS_CREDENTIALS
    assert failed.status is VerificationStatus.FAILED


def test_refused_client_credentials_fail_and_say_what_to_check() -> None:
    issuer = FakeAuthorizationServer()
    issuer.clients[CLIENT] = SECRET
    with serve_protected_mcp(issuer) as protected:
        result, _ = check(protected.mcp.url, credentials=ClientCredentials(CLIENT, "wrong-one"))
    assert result.status is VerificationStatus.FAILED and result.protection == "protected"
    assert "refused the client credentials (HTTP 401, invalid_client" in result.detail
    assert "verify-oauth-client-secret" in result.detail and "wrong-one" not in result.detail


@pytest.mark.parametrize("strict", [False, True])
def test_metadata_naming_another_resource_is_a_finding(strict: bool) -> None:
    issuer = FakeAuthorizationServer()
    issuer.clients[CLIENT] = SECRET
    with serve_protected_mcp(issuer, resource_path="other") as protected:
        result, _ = check(
            protected.mcp.url, credentials=ClientCredentials(CLIENT, SECRET), strict=strict
        )
    (finding,) = result.findings
    assert (finding.check, finding.rule) == ("oauth", "prm-resource")
    assert finding.severity == ("failure" if strict else "warning")
    expected = VerificationStatus.FAILED if strict else VerificationStatus.VERIFIED
    assert result.status is expected
    assert "oauth [prm-resource]" in result.detail


def test_scenarios_do_not_run_when_the_server_does_not_answer(tmp_path: Path) -> None:
    from tests.fakes.mcp_servers import serve_static

    with serve_static("<h1>502</h1>", status=502) as server:
        result, _ = check(
            server.url,
            timeout_seconds=1,
            scenarios=scenarios(tmp_path, price=PRICE),
            sleep=lambda _s: time.sleep(0.01),
        )
    assert result.status is VerificationStatus.FAILED and result.scenarios == ()
    assert result.scenarios_given == 1
    assert "The 1 scenario file(s) did not run: the server did not answer MCP." in result.detail
