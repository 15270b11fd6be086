"""One run from flags to result: validate everything, act, prove, report.

The command line is read before (:mod:`pmcp_action.cli`); the pipeline starts
from its flags. It raises :class:`~pmcp_action.errors.PmcpActionError` on failure;
the :class:`RunRecorder` keeps what was learnt so far (phases, the target's
result, verification, rollback), so the CLI can report a failure as fully as
a success.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from .ci.base import Platform
from .cli.parsing import ParsedArgs
from .context import RunContext
from .deadline import Deadline
from .destinations import destination_problems, report_location
from .errors import (
    NotSupportedError,
    PmcpActionError,
    Problem,
    ValidationError,
    VerificationError,
)
from .http import HttpClientFactory
from .project import load_project
from .result import (
    LogExcerpt,
    PhaseOutcome,
    PhaseRecord,
    RegistryPublication,
    RunResult,
    RunStatus,
    TargetResult,
    Verification,
    VerificationStatus,
)
from .secrets import resolve_secrets
from .servers.matrix import MatrixEntry
from .settings.catalogue import catalogue
from .settings.core_settings import Settings, redact_given_inputs
from .settings.deploy_toml import DeployConfig
from .settings.deploy_toml_reading import ConfigLookup, find_config
from .settings.loader import load_settings
from .settings.precedence import read_given, resolve
from .settings.values import RawValue
from .settings.vocabulary import Command, OnFailure, VerifyMode
from .targets import StagingTarget, Target, create_target, logs_of, staging_of, traffic_of
from .traffic_steps import at_once, roll_out, traffic_problems

if TYPE_CHECKING:
    from .init.command import Prepared
    from .previews.identity import Preview
    from .registry.plan import RegistryPlan
    from .scenarios.model import Scenario
    from .trust.model import TrustRequest
    from .verify.timings import RoundTrips

#: How many of the server's last log lines a run shows.
LOG_LINES = 50

__all__ = ["RunRecorder", "execute"]


class RunRecorder:
    """Collects the facts of a run as they happen."""

    def __init__(self, platform: Platform, *, clock: Callable[[], float] = time.time) -> None:
        self.platform = platform
        self.clock = clock
        self.phases: list[PhaseRecord] = []
        self.command: str = Command.DEPLOY
        self.target = ""
        self.server_name = ""
        self.settings: Settings | None = None
        #: The given inputs as text (secrets replaced), known even when settings are invalid.
        self.given_inputs: dict[str, object] = {}
        self.result = TargetResult()
        self.verification: Verification | None = None
        self.rolled_back = False
        #: The version another run put live after this one's deploy (its rollback was skipped).
        self.superseded_by = ""
        self.logs: LogExcerpt | None = None
        #: The servers command's matrix.
        self.matrix: tuple[MatrixEntry, ...] | None = None
        #: The MCP Registry entry publish-registry made or found.
        self.registry: RegistryPublication | None = None
        #: The verify-scenarios, read and checked before any cloud call.
        self.scenarios: tuple[Scenario, ...] = ()
        #: Every verification request of the run, timed (made by the first verification).
        self.trips: RoundTrips | None = None
        #: preview / destroy-preview: the preview, its name checked before any call.
        self.preview: Preview | None = None
        #: Where the report goes, once worked out (see :meth:`report_location`).
        self._report: tuple[Path, str] | None = None
        self._report_located = False

    def report_location(self, environ: Mapping[str, str]) -> tuple[Path, str] | None:
        """Where this run writes its report (and the path to announce), worked out once: from
        the settings when they were valid by then, else from the inputs as given."""
        if not self._report_located:
            self._report = report_location(self.settings, self.given_inputs, self.platform, environ)
            self._report_located = True
        return self._report

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = self.clock()
        outcome = PhaseOutcome.FAILED
        with self.platform.group(name):
            try:
                yield
                outcome = PhaseOutcome.OK
            finally:
                self.phases.append(PhaseRecord(name, started, self.clock(), outcome))

    def finish(
        self, status: RunStatus, *, error_title: str = "", error_text: str = ""
    ) -> RunResult:
        return RunResult(
            command=self.command,
            target=self.target,
            server_name=self.server_name,
            status=status,
            result=self.result,
            verification=self.verification,
            rolled_back=self.rolled_back,
            logs=self.logs,
            matrix=self.matrix,
            registry=self.registry,
            phases=tuple(self.phases),
            error_title=error_title,
            error_text=error_text,
        )


def _remember_inputs(recorder: RunRecorder, raw: Mapping[str, RawValue]) -> None:
    recorder.given_inputs = redact_given_inputs(raw)
    recorder.command = raw["command"].text.strip() if "command" in raw else recorder.command
    recorder.target = raw["target"].text.strip() if "target" in raw else ""


def _read_settings(
    flags: ParsedArgs, environ: Mapping[str, str], recorder: RunRecorder
) -> tuple[Settings, ConfigLookup]:
    """The run's settings, and the deploy config they were read with (none for servers,
    which reads every server's own)."""
    platform = recorder.platform
    known = catalogue()
    # The one read of flags, action inputs and variables; all else is layered over it.
    given = read_given(flags, environ, known.inputs)
    early = resolve(given, known.inputs)
    _remember_inputs(recorder, early)
    if recorder.command == Command.SERVERS:
        lookup = ConfigLookup(DeployConfig(), [])
    else:
        workdir_raw = early.get("working-directory")
        config_raw = early.get("config")
        working_directory = Path(workdir_raw.text.strip()) if workdir_raw else Path(".")
        config_input = Path(config_raw.text.strip()) if config_raw else None
        lookup = find_config(working_directory, config_input, list(known.config_keys))
        for warning in lookup.warnings:
            platform.warning(warning.render(), title="deploy.toml")
    settings = load_settings(
        given,
        environ=environ,
        config_values=lookup.values,
        deploy_config=lookup.config,
        on_secret=platform.mask,
        extra_problems=lookup.problems,
        known=known,
        config_unreadable=lookup.unreadable,
    )
    platform.debug_enabled = settings.debug
    if settings.command is not Command.SERVERS:
        _warn_about_other_targets_inputs(settings, platform)
    return settings, lookup


def _context(
    settings: Settings,
    lookup: ConfigLookup,
    environ: Mapping[str, str],
    platform: Platform,
    transport: httpx.BaseTransport | None,
    sleep: Callable[[float], None],
) -> tuple[RunContext, list[Problem]]:
    """The run's context; with the problems found after the settings (a missing server
    name, the secrets'), reported together with the target's."""
    problems: list[Problem] = []
    project = load_project(settings, lookup, problems=problems)
    resolved = resolve_secrets(
        settings.secrets,
        given_source=settings.sources.get("secrets", "input 'secrets'"),
        config=project.config,
        environ=environ,
        environment=project.environment,
        environment_input=settings.environment,
        prune=settings.prune_secrets,
        mask=platform.mask,
    )
    for said in resolved.warnings:
        platform.warning(said, title="Secrets")
    project = replace(project, environment=resolved.environment, secrets=resolved.secrets)
    if settings.command is Command.DESTROY and not settings.confirm_destroy:
        whose = f"of {project.server_name!r} " if not problems else ""
        raise ValidationError(
            [
                *problems,
                Problem(
                    "input 'confirm-destroy'",
                    f"destroy deletes {settings.target} resources {whose}and needs an explicit "
                    "confirmation",
                    "set confirm-destroy: true (CLI: --yes)",
                ),
            ]
        )
    deadline = Deadline(settings.timeout_minutes * 60.0)
    context = RunContext(
        settings=settings,
        project=project,
        console=platform,
        http=HttpClientFactory(transport=transport, deadline=deadline, sleep=sleep),
        deadline=deadline,
        id_token=lambda audience: _fetch_id_token(audience, settings, environ, platform),
        environ=environ,
        sleep=sleep,
    )
    return context, problems + list(resolved.problems)


def _warn_about_other_targets_inputs(settings: Settings, platform: Platform) -> None:
    """Name the inputs given by flag or input that only another target reads."""
    known = catalogue()
    mine = set(settings.inputs.declaration.input_names)
    for name, source in settings.sources.items():
        owners = known.input_owners.get(name, ())
        if not owners or name in mine or not source.startswith(("flag ", "input ")):
            continue
        platform.warning(
            f"{source} is read only by the {', '.join(owners)} target"
            f"{'s' if len(owners) > 1 else ''}; the {settings.target} target ignores it.",
            title="Input not used",
        )


def _fetch_id_token(
    audience: str, settings: Settings, environ: Mapping[str, str], platform: Platform
) -> str:
    from .oidc import fetch_id_token

    return fetch_id_token(
        audience,
        environ=environ,
        platform_name=platform.name,
        gitlab_variable=settings.id_token_variable,
        on_token=platform.mask,
    )


def _announce_destroyed(context: RunContext, previews: tuple[str, ...]) -> tuple[str, ...]:
    """The pull requests of the previews a destroy removed, told (the notes it said)."""
    from .previews.run import announce_destroyed

    return announce_destroyed(context, previews)


def _run_command(target: Target, settings: Settings) -> TargetResult:
    command = settings.command
    if command is Command.PLAN:
        return target.plan()
    if command is Command.OUTPUTS:
        return target.outputs()
    if command is Command.ROLLBACK:
        return target.rollback(settings.rollback_to)
    if command is Command.DESTROY:
        return target.destroy()
    if command is Command.CHECK:
        return target.check_access()
    return target.deploy()


def _verify(
    recorder: RunRecorder,
    context: RunContext,
    result: TargetResult,
    *,
    url: str = "",
    connectivity_only: bool = False,
) -> Verification:
    """The run's checks against ``url`` (else verify-url, else the result's URL); the
    scenarios run on a deploy only, and not again once a candidate passed them."""
    from .verify.checks import CheckPlan, run_checks
    from .verify.oauth import ClientCredentials
    from .verify.timings import RoundTrips

    settings = context.settings
    url = url or settings.verify_url or result.url
    if not url:
        return Verification(
            status=VerificationStatus.SKIPPED, detail="The target reported no URL to verify."
        )
    credentials = (
        ClientCredentials(
            settings.verify_oauth_client_id,
            settings.verify_oauth_client_secret,
            scope=settings.verify_oauth_scope,
        )
        if settings.verify_oauth_client_id
        else None
    )
    full = not connectivity_only
    plan = CheckPlan(
        url=url,
        timeout_seconds=float(settings.verify_timeout_seconds),
        bearer_token=settings.verify_bearer_token,
        credentials=credentials,
        required_tools=settings.verify_tools,
        strict=settings.verify is VerifyMode.STRICT,
        access_settling=result.access_settling,
        checks=settings.verify_checks if full else settings.verify_checks[:1],
        apps_mode=settings.verify_apps_mode,
        scenarios=recorder.scenarios if full and settings.command in _SCENARIO_COMMANDS else (),
        warmup_grace_seconds=settings.verify_warmup_grace_ms / 1000 if full else 0.0,
    )
    console = context.console
    if recorder.trips is None:
        recorder.trips = RoundTrips()
    verification = run_checks(
        plan,
        http=context.http,
        sleep=context.sleep,
        log=console.info,
        mask=console.mask,
        redact=console.redactor.redact,
        remaining=context.deadline.remaining,
        trips=recorder.trips,
    )
    if not full:
        return verification  # what it would warn about was said at the candidate
    if verification.protection and verification.status is VerificationStatus.SKIPPED:
        from .verify.report import NEEDS_CREDENTIALS

        console.warning(
            f"The server at {url} is protected by OAuth and was not verified. " + NEEDS_CREDENTIALS,
            title="Not verified",
        )
    for finding in verification.findings:
        if not finding.failure:
            console.warning(finding.render(), title=f"Verification ({finding.check})")
    return verification


def _disabled(settings: Settings) -> Verification | None:
    """A skipped verification when deploy.toml turned it off (said in the summary)."""
    source = settings.sources.get("verify", "")
    if settings.verify is not VerifyMode.FALSE or "[post_deploy_tests]" not in source:
        return None
    return Verification(
        status=VerificationStatus.SKIPPED,
        detail=f"Verification is off: {source} is false.",
    )


def _warn_instead(recorder: RunRecorder, settings: Settings, verification: Verification) -> bool:
    """With verify-on-failure: warn, a failed verification becomes a warning (True)."""
    if settings.verify_on_failure is not OnFailure.WARN:
        return False
    source = settings.sources.get("verify-on-failure", "verify-on-failure")
    why = f"{source} is warn"
    recorder.verification = replace(verification, warned=why)
    recorder.platform.warning(
        f"Verification of {verification.url} failed, and {why}: the new version serves and "
        "nothing was rolled back.\n" + verification.detail,
        title="Verification failed (warning only)",
    )
    return True


def _load_scenarios(settings: Settings) -> tuple[tuple[Scenario, ...], list[Problem], list[str]]:
    """The verify-scenarios, read before any cloud call: scenarios, problems, warnings."""
    if not settings.verify_scenarios:
        return (), [], []
    from .scenarios import load_scenarios

    loaded = load_scenarios(settings.verify_scenarios, settings.working_directory)
    return tuple(loaded.scenarios), loaded.problems, loaded.warnings


def execute(
    flags: ParsedArgs,
    environ: Mapping[str, str],
    recorder: RunRecorder,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> RunResult:
    """Run the command; raise on failure, leaving the facts in ``recorder``."""
    prepared: tuple[RunContext, Target, RegistryPlan | None] | None = None
    init: Prepared | None = None
    trust: TrustRequest | None = None
    with recorder.phase("validate"):
        settings, lookup = _read_settings(flags, environ, recorder)
        recorder.settings = settings
        recorder.command = settings.command
        recorder.target = settings.target
        problems: list[Problem] = []
        if settings.command is Command.INIT:
            init = _prepare_init(settings, lookup, recorder.platform)
            recorder.server_name = init.plan.server_name
        elif settings.command is not Command.SERVERS:
            context, problems = _context(
                settings, lookup, environ, recorder.platform, transport, sleep
            )
            if not any(p.where == "input 'server-name'" for p in problems):
                recorder.server_name = context.project.server_name  # not the placeholder
            target = create_target(context)
            if settings.command is Command.LOGS and logs_of(target) is None:
                raise _no_logs(settings)  # before asking for anything it would not use
            if settings.command is Command.TRUST:
                # trust signs in as the terminal does, never with the job's sign-in inputs:
                # what a deploy would refuse is said, and trust goes on.
                for problem in target.validate():
                    recorder.platform.warning(
                        f"{problem.render()} (a deploy refuses this; trust goes on)",
                        title="Input",
                    )
            else:
                problems += target.validate()
                problems += traffic_problems(settings, target)
                problems += _preview_problems(recorder, context, target)
            plan, registry_problems = _registry_plan(context)
            problems += registry_problems
            prepared = context, target, plan
            if settings.command is Command.TRUST:
                trust, trust_problems = _trust_request(settings, environ, context)
                problems += trust_problems
            recorder.scenarios, scenario_problems, scenario_warnings = _load_scenarios(settings)
            problems += scenario_problems
            for warning in scenario_warnings:
                recorder.platform.warning(warning, title="Scenario file")
        report = recorder.report_location(environ)
        problems += destination_problems(recorder.platform, report)
        if problems:
            raise ValidationError(problems)

    if init is not None:
        with recorder.phase("init"):
            _write_init(init, recorder.platform)
        return recorder.finish(RunStatus.SUCCESS)
    if prepared is None:
        with recorder.phase("servers"):
            recorder.matrix = _servers_command(settings, recorder.platform)
        return recorder.finish(RunStatus.SUCCESS)
    context, target, plan = prepared

    if settings.command is Command.TRUST:
        with recorder.phase("trust"):
            assert trust is not None, "a trust run has its request after validation"
            _run_trust(target, trust, recorder.platform)
        return recorder.finish(RunStatus.SUCCESS)
    if settings.command is Command.LOGS:
        with recorder.phase("logs"):
            recorder.logs = _logs_command(target, settings, context)
        return recorder.finish(RunStatus.SUCCESS)

    if recorder.preview is not None:
        status = _preview_command(recorder, context, target, recorder.preview)
        return recorder.finish(status)

    staging = _staging(target, settings)
    deploy_started = recorder.clock()
    if staging is not None:
        _deploy_staged(recorder, context, staging, deploy_started)
    else:
        with recorder.phase(settings.command):
            recorder.result = _run_command(target, settings)
        if recorder.result.removed_previews:
            with recorder.phase("pull requests"):
                said = _announce_destroyed(context, recorder.result.removed_previews)
            recorder.result = replace(recorder.result, notes=(*recorder.result.notes, *said))

    verifies = settings.command in (Command.DEPLOY, Command.ROLLBACK)
    if verifies and settings.verify is VerifyMode.FALSE:
        recorder.verification = _disabled(settings)
    elif verifies:
        candidate = recorder.verification
        with recorder.phase("verify"):
            live = _verify(
                recorder, context, recorder.result, connectivity_only=candidate is not None
            )
        recorder.verification = _merged(candidate, live)
        verification = recorder.verification
        if (
            verification.status is VerificationStatus.FAILED
            and not verification.warned
            and not _warn_instead(recorder, settings, verification)
        ):
            _fetch_logs_of_failed_version(recorder, target, recorder.result.version, deploy_started)
            rollback_error = _roll_back_after_failed_verification(recorder, target, settings)
            # Exit 3 when what failed is live: nothing put the previous version back.
            still_serving = not (
                recorder.rolled_back or recorder.superseded_by or recorder.result.unchanged
            )
            raise VerificationError(
                f"{_verified_what(settings, verification.url)} did not prove that it works.",
                details=verification.detail,
                remediation=_verification_remediation(
                    recorder, settings, rollback_error, rolls_back=_rolls_back(target)
                ),
                still_serving=still_serving,
            )

    if plan is not None:
        with recorder.phase("registry"):
            recorder.registry = _publish(context, plan, recorder.verification)
    status = RunStatus.UNCHANGED if recorder.result.unchanged else RunStatus.SUCCESS
    return recorder.finish(status)


#: The commands whose verification runs the verify-scenarios.
_SCENARIO_COMMANDS = frozenset({Command.DEPLOY, Command.PREVIEW})


def _preview_problems(recorder: RunRecorder, context: RunContext, target: Target) -> list[Problem]:
    """preview / destroy-preview: the preview's name (and the target's limits on it)."""
    from .previews.run import PREVIEW_COMMANDS, check_preview

    if context.settings.command not in PREVIEW_COMMANDS:
        return []
    recorder.preview, problems = check_preview(context, target)
    return problems


def _preview_command(
    recorder: RunRecorder, context: RunContext, target: Target, preview: Preview
) -> RunStatus:
    from .previews.run import run_preview

    def verify(result: TargetResult, url: str) -> Verification:
        return _verify(recorder, context, result, url=url)

    return run_preview(recorder, context, target, preview, verify)


def _servers_command(settings: Settings, platform: Platform) -> tuple[MatrixEntry, ...]:
    from .servers.command import list_servers

    return list_servers(settings, platform, catalogue().ids)


def _prepare_init(settings: Settings, lookup: ConfigLookup, platform: Platform) -> Prepared:
    from .init.command import prepare_init

    return prepare_init(
        settings, lookup, warn=lambda said: platform.warning(said, title="pmcp-action init")
    )


def _trust_request(
    settings: Settings, environ: Mapping[str, str], context: RunContext
) -> tuple[TrustRequest | None, list[Problem]]:
    from .trust.command import trust_request

    return trust_request(settings, environ, context.project.root)


def _run_trust(target: Target, request: TrustRequest, platform: Platform) -> None:
    from .trust.command import run_trust

    run_trust(target, request, platform)  # type: ignore[arg-type]


def _write_init(prepared: Prepared, platform: Platform) -> None:
    from .init.command import write_init

    write_init(prepared, platform)


def _registry_plan(context: RunContext) -> tuple[RegistryPlan | None, list[Problem]]:
    """What publish-registry will publish, or why it never could (checked before deploying)."""
    if not context.settings.publish_registry:
        return None, []
    from .registry.plan import plan_publication

    return plan_publication(
        context.settings, context.project, context.environ, context.console.name
    )


def _publish(
    context: RunContext, plan: RegistryPlan, verification: Verification | None
) -> RegistryPublication:
    """Publish after a verified deploy; refuse when verification did not prove the server."""
    from .registry.publish import RegistryError, publish

    if verification is None or verification.status is not VerificationStatus.VERIFIED:
        why = verification.detail if verification is not None else "it was not verified"
        raise RegistryError(
            "The deploy succeeded, but it was not published to the MCP Registry: verification "
            f"did not prove the server ({why}).",
            remediation="Publishing needs a verified server: give verify-bearer-token for a "
            "server behind OAuth, or verify-url for one the deployed URL does not reach.",
        )
    return publish(context, plan, verification)


def _merged(candidate: Verification | None, live: Verification) -> Verification:
    """The live URL's verification, with what the candidate's checks and scenarios found
    (they ran there, before the traffic moved); its latency counts the round trips of both.
    A candidate that failed (promoted under verify-on-failure: warn) keeps it failed."""
    if candidate is None:
        return live
    status, detail = live.status, live.detail
    if candidate.status is VerificationStatus.FAILED:
        status = VerificationStatus.FAILED
        detail = f"At the candidate URL {candidate.url}:\n{candidate.detail}\n\n{live.detail}"
    return replace(
        live,
        status=status,
        detail=detail,
        checks=candidate.checks or live.checks,
        findings=tuple(dict.fromkeys(candidate.findings + live.findings)),
        scenarios=candidate.scenarios,
        scenarios_given=candidate.scenarios_given,
        latency=live.latency or candidate.latency,
        warned="" if live.status is VerificationStatus.FAILED else candidate.warned,
    )


def _staging(target: Target, settings: Settings) -> StagingTarget | None:
    """The target's two-phase deploy, when this run verifies at the deployed URL."""
    if settings.command is not Command.DEPLOY or settings.verify is VerifyMode.FALSE:
        return None
    if settings.verify_url:
        return None
    return staging_of(target)


def _no_logs(settings: Settings) -> NotSupportedError:
    return NotSupportedError(
        f"The {settings.target} target cannot show the server's logs.",
        remediation="Read them where the platform keeps them (its console or CLI).",
    )


def _logs_command(target: Target, settings: Settings, context: RunContext) -> LogExcerpt:
    """``logs``: the serving version's last lines, printed and kept for the summary."""
    reader = logs_of(target)
    if reader is None:
        raise _no_logs(settings)
    excerpt = reader.logs(version="", since=None, limit=LOG_LINES)
    context.console.info(f"{excerpt.source}:")
    for line in excerpt.lines or (f"({excerpt.note or 'no lines'})",):
        context.console.info(f"  {line}")
    return excerpt


def _fetch_logs_of_failed_version(
    recorder: RunRecorder, target: Target, version: str, since: float
) -> None:
    """Best effort: what the failing version logged, for the summary and the report."""
    reader = logs_of(target)
    if reader is None or not version:
        return
    try:
        with recorder.phase("logs"):
            recorder.logs = reader.logs(version=version, since=since, limit=LOG_LINES)
    except PmcpActionError as exc:
        recorder.platform.warning(
            f"Could not read the server's logs: {exc.message}", title="Server logs"
        )


def _deploy_staged(
    recorder: RunRecorder, context: RunContext, target: StagingTarget, started: float
) -> None:
    """Stage the new version, prove it at its own URL, and only then move the traffic."""
    with recorder.phase("deploy"):
        staged = target.stage()
        recorder.result = staged
    if not staged.candidate_url:
        at_once(context, staged)
        return  # deployed live (first deploy, no candidate URL, or nothing changed)
    with recorder.phase("verify candidate"):
        recorder.verification = _verify(recorder, context, staged, url=staged.candidate_url)
    verification = recorder.verification
    if verification.status is VerificationStatus.FAILED and not _warn_instead(
        recorder, context.settings, verification
    ):
        _fetch_logs_of_failed_version(recorder, target, staged.version, started)
        with recorder.phase("discard"):
            try:
                target.discard(staged)
            except PmcpActionError as exc:
                recorder.platform.warning(f"Could not discard the new version: {exc.message}")
        serving = staged.previous_version
        # The failed version never served: what serves is the previous one, as a rollback
        # would have left it (rolled-back=true), and the exit code is 1, not 3.
        recorder.rolled_back = bool(serving)
        raise VerificationError(
            f"The new version at {verification.url} did not prove that it works; it was "
            "given no traffic.",
            details=verification.detail,
            remediation=(f"Version {serving} still serves, untouched. " if serving else "")
            + "Fix the server (see the details), then deploy again.",
        )
    staged = _in_steps(recorder, context, target, staged, started)
    with recorder.phase("promote"):
        recorder.result = target.promote(staged)


def _in_steps(
    recorder: RunRecorder,
    context: RunContext,
    target: StagingTarget,
    staged: TargetResult,
    started: float,
) -> TargetResult:
    """traffic-steps below 100 (:mod:`.traffic_steps`), each verified at the live URL; the
    result to promote."""
    traffic = traffic_of(target)
    if traffic is None or len(context.settings.traffic_steps) == 1:
        return staged

    def verified(result: TargetResult) -> bool:
        live = _verify(recorder, context, result, connectivity_only=True)
        if live.status is not VerificationStatus.FAILED:
            return True
        merged = _merged(recorder.verification, live)
        if _warn_instead(recorder, context.settings, merged):
            return True
        recorder.verification = merged
        return False

    def failed(result: TargetResult) -> None:
        _fetch_logs_of_failed_version(recorder, target, result.version, started)

    return roll_out(recorder, context, traffic, staged, verified, on_failure=failed)


def _roll_back_after_failed_verification(
    recorder: RunRecorder, target: Target, settings: Settings
) -> PmcpActionError | None:
    """Put the previous version back when asked and possible; the rollback's own error."""
    result = recorder.result
    if settings.command is not Command.DEPLOY or not settings.rollback_on_failure:
        return None
    if not result.unchanged and not _rolls_back(target):
        recorder.platform.warning(
            f"Verification failed, but the {settings.target} target cannot roll back; "
            "the new version stays live."
        )
        return None
    if result.unchanged or not result.previous_version:
        recorder.platform.warning(
            "Verification failed and there is no previous version to return to."
        )
        return None
    if not result.can_roll_back:
        recorder.platform.warning(
            f"Verification failed, but the {settings.target} target cannot roll back; "
            "the new version stays live."
        )
        return None
    try:
        with recorder.phase("rollback"):
            serving = _serving_now(target)
            if serving and result.version and serving != result.version:
                # Another run deployed after this one: its version is not ours to undo.
                recorder.superseded_by = serving
                recorder.platform.warning(
                    f"Verification failed, but version {serving} serves now, not version "
                    f"{result.version} that this run deployed: another run deployed since. "
                    "It is left serving; nothing was rolled back.",
                    title="Rollback skipped",
                )
                return None
            target.rollback(result.previous_version)
    except PmcpActionError as exc:
        recorder.platform.warning(
            f"Verification failed, and putting version {result.previous_version} back failed "
            f"too: {exc.message}",
            title="Rollback failed",
        )
        return exc
    recorder.rolled_back = True
    return None


def _rolls_back(target: Target) -> bool:
    """Whether the platform can serve an earlier version again at all (a target whose
    platform keeps no earlier version cannot, whatever a deploy's result says about its
    previous version)."""
    return bool(getattr(target, "can_roll_back", True))


def _serving_now(target: Target) -> str:
    """The version serving right now, read just before a rollback ("" when it cannot tell)."""
    try:
        return target.outputs().version
    except PmcpActionError:
        return ""


def _verified_what(settings: Settings, url: str) -> str:
    """The server that was verified, named for what it is."""
    if settings.verify_url:
        return f"The MCP server at {url} (verify-url, not the deployed URL)"
    return f"The deployed server at {url}"


def _advice(settings: Settings, verification: Verification | None) -> str:
    """What to look at: the tools, when the server answered MCP but lacks a verify-tools
    name; else why it does not answer MCP requests."""
    listed = verification.tools if verification is not None else ()
    answered = verification is not None and bool(verification.protocol_version)
    missing = [name for name in settings.verify_tools if name not in listed]
    if answered and missing:
        return (
            f"The server answers MCP but does not list {', '.join(missing)}: check the names in "
            "verify-tools against the tools it lists (see the details), or add the tool to the "
            "server."
        )
    return (
        "Look at the server's logs for why it does not answer MCP requests; set verify: false "
        "only if the endpoint is not meant to be reachable from CI."
    )


def _verification_remediation(
    recorder: RunRecorder,
    settings: Settings,
    rollback_error: PmcpActionError | None,
    *,
    rolls_back: bool,
) -> str:
    result = recorder.result
    if recorder.superseded_by:
        return (
            f"Version {recorder.superseded_by}, deployed by another run after this one, serves "
            "and was left alone. Fix the server (see the details) before the next deploy; a "
            "`concurrency:` group per server keeps deploys from overlapping."
        )
    if recorder.rolled_back:
        return (
            f"Version {result.previous_version} serves again. Fix the server (see the details), "
            "then deploy again; set rollback-on-failure: false to keep a failing version live."
        )
    advice = _advice(settings, recorder.verification)
    if result.unchanged:
        return advice
    live = f"version {result.version}" if result.version else "the new version"
    if rollback_error is not None:
        why = f"putting version {result.previous_version} back failed ({rollback_error.title})"
    elif settings.command is Command.ROLLBACK:
        why = "a rollback is not undone"
    elif not settings.rollback_on_failure:
        why = "rollback-on-failure is false"
    elif not rolls_back:
        why = f"the {settings.target} target cannot roll back"
    elif not result.previous_version:
        why = "there is no previous version"
    else:
        why = f"the {settings.target} target cannot roll back"
    return f"{live[:1].upper()}{live[1:]} is still serving ({why}; exit code 3). {advice}"
