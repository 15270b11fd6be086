"""Every check a run asks for, against one server: connectivity first, then conformance,
apps and the scenario files, each over a conversation of its own in the era connectivity
settled on.

A server that demands authorization gets a token from its authorization server when client
credentials are given (:mod:`.oauth`); what its OAuth metadata gets wrong is a finding
(a warning, a failure under ``verify: strict``). A check runs only once the server answered
MCP; every request of every check is timed (:mod:`.timings`). Like
:func:`~pmcp_action.verify.verify_server`, nothing the server does raises: the
:class:`~pmcp_action.result.Verification` says what passed and what did not.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from ..http import HttpClientFactory, RetryPolicy
from ..result import CheckFinding, Verification, VerificationStatus
from ..scenarios.executor import CallFailed, ScenarioResult, ScenarioRunner
from ..scenarios.model import Scenario
from ..settings.vocabulary import AppsMode, Check
from . import verify_server
from .apps import check_apps
from .conformance import ConformanceResult, check_conformance
from .conversation import Conversation
from .oauth import ClientCredentials, client_credentials_token
from .options import VerifyOptions
from .protocol import LATEST_PROTOCOL_VERSION, LATEST_STATELESS_VERSION, STATELESS_PROTOCOL_VERSIONS
from .timings import RoundTrips
from .transport import REQUEST_TIMEOUT

__all__ = ["CheckPlan", "run_checks"]

#: How long one request for the OAuth metadata or the token may take.
_OAUTH_TIMEOUT = 15.0


@dataclass(frozen=True)
class CheckPlan:
    """What to verify and how: the verify inputs of one run, and the scenarios read from disk."""

    url: str
    timeout_seconds: float
    bearer_token: str = dataclasses.field(default="", repr=False)
    credentials: ClientCredentials | None = None
    required_tools: tuple[str, ...] = ()
    strict: bool = False
    access_settling: str = ""
    checks: tuple[Check, ...] = (Check.CONNECTIVITY,)
    apps_mode: AppsMode = AppsMode.CLAUDE_DESKTOP
    scenarios: tuple[Scenario, ...] = ()
    warmup_grace_seconds: float = 0.0


@dataclass
class _Run:
    plan: CheckPlan
    http: HttpClientFactory
    log: Callable[[str], None]
    redact: Callable[[str], str]
    sleep: Callable[[float], None]
    remaining: Callable[[], float]
    clock: Callable[[], float]
    trips: RoundTrips
    token: str = ""

    @contextmanager
    def conversation(self, version: str) -> Iterator[Conversation]:
        """A conversation opened at ``version`` (CallFailed when it cannot be opened)."""
        with self.http(timeout=REQUEST_TIMEOUT, policy=RetryPolicy(attempts=1)) as client:
            opened = self._open(client, version)
            try:
                yield opened
            finally:
                opened.close()

    def _open(self, client: httpx.Client, version: str) -> Conversation:
        return Conversation.open(
            client,
            self.plan.url,
            protocol_version=version,
            token=self.token,
            budget=self.remaining,
            clock=self.clock,
            log=self.log,
            trips=self.trips,
        )


def run_checks(
    plan: CheckPlan,
    *,
    http: HttpClientFactory,
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = lambda _m: None,
    mask: Callable[[str], None] = lambda _s: None,
    redact: Callable[[str], str] = lambda text: text,
    remaining: Callable[[], float] = lambda: float("inf"),
    clock: Callable[[], float] = time.monotonic,
    trips: RoundTrips | None = None,
) -> Verification:
    """Connectivity, then the other checks and the scenarios, against ``plan.url``."""
    run = _Run(
        plan,
        http,
        log,
        redact,
        sleep,
        remaining,
        clock,
        trips or RoundTrips(clock),
        plan.bearer_token,
    )
    if plan.warmup_grace_seconds > 0:
        log(f"MCP verify: waiting {plan.warmup_grace_seconds * 1000:.0f} ms (warm-up grace)")
        sleep(plan.warmup_grace_seconds)
    findings: list[CheckFinding] = []

    def authorize(challenge: str) -> str:
        assert plan.credentials is not None
        with http(timeout=_OAUTH_TIMEOUT) as client:
            got = client_credentials_token(
                client, plan.url, challenge, plan.credentials, strict=plan.strict, mask=mask
            )
        log(
            f"MCP verify: a token from {got.token_endpoint} (client credentials; the server's "
            f"metadata at {got.metadata_url})"
        )
        findings.extend(CheckFinding("oauth", f.rule, f.severity, f.message) for f in got.findings)
        run.token = got.access_token
        return got.access_token

    options = VerifyOptions(
        url=plan.url,
        timeout_seconds=plan.timeout_seconds,
        bearer_token=plan.bearer_token,
        required_tools=plan.required_tools,
        strict=plan.strict,
        access_settling=plan.access_settling,
        authorize=authorize if plan.credentials is not None else None,
    )
    verification = verify_server(
        options, http=http, sleep=sleep, log=log, clock=clock, trips=run.trips
    )
    scenarios: list[ScenarioResult] = []
    ran = [Check.CONNECTIVITY.value]
    if verification.status is VerificationStatus.VERIFIED:
        version = verification.protocol_version
        if Check.CONFORMANCE in plan.checks:
            ran.append(Check.CONFORMANCE.value)
            findings += _conformance(run, version)
        if Check.APPS in plan.checks:
            ran.append(Check.APPS.value)
            findings += _apps(run, version)
        for scenario in plan.scenarios:
            scenarios.append(_scenario(run, version, scenario))
    return _verdict(verification, plan, tuple(ran), findings, scenarios, run)


def _findings(check: Check, result: ConformanceResult) -> list[CheckFinding]:
    return [CheckFinding(check.value, f.rule, f.severity, f.message) for f in result.findings]


def _conformance(run: _Run, version: str) -> list[CheckFinding]:
    other = (
        LATEST_PROTOCOL_VERSION
        if version in STATELESS_PROTOCOL_VERSIONS
        else LATEST_STATELESS_VERSION
    )
    run.log(f"MCP verify: conformance of {run.plan.url}")
    try:
        with (
            run.conversation(version) as conversation,
            run.http(timeout=REQUEST_TIMEOUT, policy=RetryPolicy(attempts=1)) as client,
        ):
            opened: list[Conversation] = []

            def other_era() -> Conversation:
                made = run._open(client, other)
                opened.append(made)
                return made

            try:
                result = check_conformance(
                    conversation, conversation.capabilities, other_era=other_era
                )
            finally:
                for made in opened:
                    made.close()
    except CallFailed as exc:
        return [_unopened(Check.CONFORMANCE, exc)]
    return _findings(Check.CONFORMANCE, result)


def _apps(run: _Run, version: str) -> list[CheckFinding]:
    run.log(f"MCP verify: MCP Apps ({run.plan.apps_mode}) of {run.plan.url}")
    try:
        with run.conversation(version) as conversation:
            result = check_apps(conversation, conversation.capabilities, run.plan.apps_mode)
    except CallFailed as exc:
        return [_unopened(Check.APPS, exc)]
    return _findings(Check.APPS, result)


def _unopened(check: Check, exc: CallFailed) -> CheckFinding:
    return CheckFinding(
        check.value, "open", "failure", f"no conversation could be opened: {exc.message}"
    )


def _scenario(run: _Run, version: str, scenario: Scenario) -> ScenarioResult:
    run.log(f"MCP verify: scenario {scenario.name!r} ({scenario.source})")
    started = run.clock()
    try:
        with run.conversation(version) as conversation:
            runner = ScenarioRunner(
                conversation,
                clock=run.clock,
                sleep=run.sleep,
                remaining=run.remaining,
                redact=run.redact,
            )
            result = runner.run(scenario)
    except CallFailed as exc:
        return ScenarioResult(
            name=scenario.name,
            source=scenario.source,
            passed=False,
            seconds=run.clock() - started,
            steps=(),
            error=run.redact(f"no conversation could be opened: {exc.message}"),
            steps_total=len(scenario.setup) + len(scenario.steps) + len(scenario.cleanup),
        )
    run.log(
        f"MCP verify: scenario {scenario.name!r} "
        + ("passed" if result.passed else f"failed: {result.failure()}")
    )
    return result


def _verdict(
    verification: Verification,
    plan: CheckPlan,
    ran: tuple[str, ...],
    findings: list[CheckFinding],
    scenarios: list[ScenarioResult],
    run: _Run,
) -> Verification:
    """The connectivity result with what the other checks and the scenarios found."""
    status = verification.status
    failures = [f for f in findings if f.failure]
    failed_scenarios = [s for s in scenarios if not s.passed]
    lines = [verification.detail] if verification.detail else []
    if failures or failed_scenarios:
        status = VerificationStatus.FAILED
    for finding in findings:
        lines.append(run.redact(finding.render()))
    for scenario in failed_scenarios:
        lines.append(f"Failed: {scenario.failure()}")
    if plan.scenarios and status is not VerificationStatus.FAILED and scenarios:
        lines.append(f"Scenarios: {len(scenarios)} passed.")
    if plan.scenarios and not scenarios:
        lines.append(
            f"The {len(plan.scenarios)} scenario file(s) did not run: the server did not answer "
            "MCP."
        )
    return dataclasses.replace(
        verification,
        status=status,
        detail="\n".join(lines),
        checks=ran,
        findings=tuple(findings),
        scenarios=tuple(scenarios),
        scenarios_given=len(plan.scenarios),
        latency=run.trips.latency(),
    )
