"""Value objects that describe what a run did.

A target returns a :class:`TargetResult`; the pipeline adds verification and
rollback facts and phase timings into a :class:`RunResult`, which the reporter
turns into step outputs, a job summary and a JSON report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .scenarios.executor import ScenarioResult

from .secrets.model import SecretOutcome
from .servers.matrix import MatrixEntry

__all__ = [
    "CheckFinding",
    "Latency",
    "LogExcerpt",
    "PhaseOutcome",
    "PhaseRecord",
    "PlanChange",
    "RegistryPublication",
    "RunResult",
    "RunStatus",
    "TargetResult",
    "Verification",
    "VerificationStatus",
]

_EMPTY: Mapping[str, str] = MappingProxyType({})


class RunStatus(StrEnum):
    """How a run ended (the status output)."""

    SUCCESS = "success"
    #: Deployed, and nothing had changed: no new version was made.
    UNCHANGED = "unchanged"
    FAILURE = "failure"


class VerificationStatus(StrEnum):
    """What speaking MCP to the server proved (the verified output)."""

    VERIFIED = "true"
    FAILED = "false"
    #: Not verified: no URL, or protected by OAuth without a usable token (not strict).
    SKIPPED = "skipped"


class PhaseOutcome(StrEnum):
    """How one phase of a run ended (the report's timings)."""

    OK = "ok"
    FAILED = "failed"


@dataclass(frozen=True)
class PlanChange:
    """One thing a deploy would do: ``action`` is create, update, replace, delete or keep."""

    action: str
    resource: str
    detail: str = ""


@dataclass(frozen=True)
class TargetResult:
    """What a target reports after plan, deploy, outputs, rollback or destroy."""

    #: The MCP endpoint (the service URL joined with the target's MCP path; see
    #: :mod:`pmcp_action.endpoint`).
    url: str = ""
    #: The bare service URL the platform reports ("" when it is the endpoint itself or unknown).
    service_url: str = ""
    version: str = ""
    previous_version: str = ""
    deployment_id: str = ""
    region: str = ""
    health_url: str = ""
    #: True when the deploy found nothing to change; None when not known.
    unchanged: bool | None = None
    #: Who acted: a role ARN, a client id, a service account; never a secret.
    identity: str = ""
    #: The target's own outputs, by the names its declaration gives them.
    outputs: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    #: For plan: what a deploy would change.
    changes: tuple[PlanChange, ...] = ()
    #: Facts worth a line in the summary.
    notes: tuple[str, ...] = ()
    #: Request ids the remote APIs returned, for support cases.
    request_ids: tuple[str, ...] = ()
    #: Whether the target can put ``previous_version`` back on its own.
    can_roll_back: bool = False
    #: From ``stage()``: where the new version answers before it takes traffic ("" when the
    #: target deployed it live instead, e.g. on a first deploy).
    candidate_url: str = ""
    #: The server's secrets by name and what this command did with each (never a value).
    secrets: tuple[SecretOutcome, ...] = ()
    #: Why a 401/403 from the new version may only mean "not yet" (an access grant this
    #: deploy just made, still propagating): verification then retries it until its deadline.
    access_settling: str = ""
    #: preview / destroy-preview: the preview's name, and its MCP endpoint (stable for the
    #: pull request: the same on every push).
    preview_id: str = ""
    preview_url: str = ""
    #: destroy: the names of the server's previews removed with it (their pull requests are
    #: told, :func:`pmcp_action.previews.run.announce_destroyed`).
    removed_previews: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckFinding:
    """One thing a check found wrong: ``check`` is conformance, apps or oauth, ``rule`` names
    what was broken; a warning does not fail the verification."""

    check: str
    rule: str
    severity: str
    message: str

    @property
    def failure(self) -> bool:
        return self.severity == "failure"

    def render(self) -> str:
        return f"{self.check} [{self.rule}] {self.severity}: {self.message}"


@dataclass(frozen=True)
class Latency:
    """The verification's requests as the server answered them."""

    #: HTTP round trips (every POST of every check and scenario).
    round_trips: int
    p50_ms: float
    max_ms: float
    #: From the first request until the server's first MCP answer (retries of a cold
    #: server included); None when it never answered.
    cold_start_ms: float | None = None

    def describe(self) -> str:
        text = f"{self.round_trips} round trips, p50 {self.p50_ms:.0f} ms, max {self.max_ms:.0f} ms"
        if self.cold_start_ms is not None:
            text += f"; first answer after {self.cold_start_ms:.0f} ms"
        return text


@dataclass(frozen=True)
class Verification:
    """Outcome of speaking MCP to the deployed server."""

    status: VerificationStatus
    url: str = ""
    server_name: str = ""
    server_version: str = ""
    protocol_version: str = ""
    tools: tuple[str, ...] = ()
    #: "protected" when the server demanded OAuth (no token given, or the token was refused).
    protection: str = ""
    detail: str = ""
    #: The checks that ran (connectivity, conformance, apps), in order.
    checks: tuple[str, ...] = ()
    #: What the checks found (conformance rules, apps, the OAuth metadata), warnings included.
    findings: tuple[CheckFinding, ...] = ()
    #: The verify-scenarios' results, in the order they ran.
    scenarios: tuple[ScenarioResult, ...] = ()
    #: How many scenario files were given (they may not all have run).
    scenarios_given: int = 0
    latency: Latency | None = None
    #: Why a failure is only a warning ("" when it is not): verify-on-failure is warn.
    warned: str = ""

    @property
    def scenarios_passed(self) -> int:
        return sum(1 for s in self.scenarios if s.passed)

    @property
    def scenarios_failed(self) -> int:
        return sum(1 for s in self.scenarios if not s.passed)

    @property
    def tool_count(self) -> str:
        return str(len(self.tools)) if self.status is VerificationStatus.VERIFIED else ""


@dataclass(frozen=True)
class PhaseRecord:
    name: str
    started_at: float
    ended_at: float
    outcome: PhaseOutcome

    @property
    def seconds(self) -> float:
        return max(0.0, self.ended_at - self.started_at)


@dataclass(frozen=True)
class LogExcerpt:
    """The last lines a deployed version logged (its stdout/stderr as the platform keeps it)."""

    #: Where the lines come from ("CloudWatch Logs /aws/lambda/demo, version 3").
    source: str
    lines: tuple[str, ...] = ()
    #: Why there are none, when there are none ("no log stream of version 3 yet").
    note: str = ""


@dataclass(frozen=True)
class RegistryPublication:
    """The server's entry in the MCP Registry after a deploy published it (or found it)."""

    name: str
    version: str
    #: The streamable-http remote the entry lists: the verified endpoint.
    url: str
    #: False when the same version with the same remote was there already.
    published: bool


@dataclass(frozen=True)
class RunResult:
    """Everything the reporter needs about one run, successful or not."""

    command: str
    target: str
    server_name: str
    status: RunStatus
    result: TargetResult = field(default_factory=TargetResult)
    verification: Verification | None = None
    rolled_back: bool = False
    phases: tuple[PhaseRecord, ...] = ()
    error_title: str = ""
    error_text: str = ""
    report_path: str = ""
    #: The process exit code (:mod:`pmcp_action.exit_codes`), known once the run ended.
    exit_code: int = 0
    #: The server's own recent log lines: asked for (command logs), or fetched because
    #: verification failed; None when the target cannot show them or they were not fetched.
    logs: LogExcerpt | None = None
    #: The servers command's matrix (None for every other command).
    matrix: tuple[MatrixEntry, ...] | None = None
    #: The MCP Registry entry a deploy with publish-registry made or found.
    registry: RegistryPublication | None = None
