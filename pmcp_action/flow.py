"""One deploy flow for every target: the sequence written once, the platform in its steps.

A target is a :class:`DeployFlow` (its ``target.py``) and a :class:`Steps` (its
``deploying.py``). The flow owns the order of things and the rules every target keeps;
the steps own the platform's calls. The sequences:

- **plan**: check → prepare → connect → survey → ``planned`` (reads only, printed here);
- **stage**: check → prepare → connect → survey → ownership (refuse or adopt) → required
  secrets (given, or stored on the platform already) → a first deploy, or ``unchanged``,
  or ``stage`` (the new version without traffic, with its own
  ``candidate_url`` where the platform offers one; else deployed live, as ``deploy`` does);
- **deploy**: stage, then ``promote`` when the staged version has a ``candidate_url``;
- **promote** / **discard**: connect → move the traffic to it / leave it without any;
- **shift traffic** (``shifts_traffic`` flows): connect → ``shift_traffic`` (the staged
  version's share of a split, or 0 to put all back on the previous version);
- **outputs**: check → connect → survey → nothing deployed? → ``outputs``;
- **rollback**: … → nothing deployed? → ownership (refuse) → ``rollback_version`` → already
  serving (unchanged) or ``move_traffic``;
- **destroy**: … → nothing deployed? → ownership (refuse) → ``remove``;
- **logs** (:class:`ServesLogs`): … → nothing deployed? → ``read_logs``;
- **preview** (:class:`ServesPreviews`): check → prepare → connect → survey → ownership
  (refuse) → required secrets → ``deploy_preview`` (what serves is never touched);
- **destroy-preview**: check → connect → survey → ownership → ``remove_preview``.

The pipeline (:mod:`pmcp_action.pipeline`) verifies between ``stage`` and ``promote`` (and
at each step of ``traffic-steps``, :mod:`pmcp_action.traffic_steps`) and rolls back
through ``rollback``; it never sees a platform call. ``docs/adding-a-target.md``
has the anatomy (the modules every target package holds) that
``tests/unit/targets/test_anatomy.py`` checks.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar, Generic, Protocol, TypeVar

from .access import Access, AccessMissing
from .errors import DeployError, Problem, ValidationError
from .ownership import Adoption, Resource, not_ours
from .secrets.resolve import missing_problem

if TYPE_CHECKING:
    from .context import RunContext
    from .previews.identity import Preview
    from .result import LogExcerpt, PlanChange, TargetResult

__all__ = [
    "ANATOMY",
    "DeployFlow",
    "Deployed",
    "Module",
    "NothingDeployedError",
    "ServesLogs",
    "ServesPreviews",
    "Steps",
    "Surveyed",
    "TrafficMovedError",
    "print_changes",
]


@dataclass(frozen=True)
class Module:
    """One module of a target package: its name, what it holds, whether every target has it."""

    name: str
    holds: str
    required: bool = True


#: The modules of a target package, in the order a reader meets them. A plug-in target
#: needs only the required ones (``tests/plugin_target`` is one).
ANATOMY: tuple[Module, ...] = (
    Module("__init__", "the package docstring listing its modules; imports nothing heavy"),
    Module("declaration", "DECLARATION: inputs, outputs, fallbacks, notes, credentials"),
    Module("config", "resolve(context) -> (frozen typed config, problems), offline"),
    Module("credentials", "sign-in: OIDC exchange or secrets -> a session; masks tokens"),
    Module("connection", "Connector: open() signs in once and yields one command's Connection"),
    Module("failures", "the platform's error envelope -> the program's errors, with the fix"),
    Module("survey", "Survey (its .deployed) and take_survey: what is there, read only"),
    Module("deploying", "Steps: survey, planned, first_deploy, unchanged, stage, promote, …"),
    Module("results", "Results: each command's TargetResult and the target's outputs"),
    Module("target", "the DeployFlow subclass: connect, steps, prepare; create(context)"),
    Module("logs", "read_logs: what a version logged (targets whose platform keeps logs)", False),
    Module("trust", "plan/apply: what the cloud must trust for a CI's OIDC token", False),
)


class NothingDeployedError(DeployError):
    """The command needs a deployed server and there is none."""

    title = "Nothing deployed"


class TrafficMovedError(DeployError):
    """A traffic step found a split this run did not leave: another run moved the traffic.

    The step changed nothing; what the other run made serves on, not undone."""

    title = "Another run moved the traffic"

    def __init__(self, what: str, *, target: str, serving: str) -> None:
        super().__init__(
            f"{what} This run stopped moving traffic and changed nothing more; what the "
            "other run put there keeps serving.",
            target=target,
            remediation="Look at what the other run deployed before deploying again; a "
            "`concurrency:` group per server keeps deploys from overlapping.",
        )
        #: The version taking the most traffic when the step looked ("" when unknown).
        self.serving = serving


@dataclass(frozen=True)
class Deployed:
    """What the survey found, in the words every target shares."""

    #: The platform resource exists (a function, service, app, Worker, deployment).
    exists: bool
    #: The version serving all traffic ("" when none does).
    serving: str = ""
    #: The version that served before it ("" when none is known).
    previous: str = ""
    #: It carries the ownership mark (:mod:`pmcp_action.ownership`).
    managed: bool = False


class Surveyed(Protocol):
    """A target's ``survey.Survey``: whatever it read, and the shared view of it."""

    @property
    def deployed(self) -> Deployed: ...


SurveyT = TypeVar("SurveyT", bound=Surveyed)
ArtifactT = TypeVar("ArtifactT")
ConnT = TypeVar("ConnT")


def print_changes(context: RunContext, changes: Sequence[PlanChange]) -> None:
    """Each planned change on a line of its own."""
    for change in changes:
        context.console.info(f"  {change.action:<7} {change.resource}  {change.detail}".rstrip())


class Steps(ABC, Generic[SurveyT, ArtifactT]):
    """The platform's calls for one command, over one open connection (``deploying.Steps``).

    Every method but ``survey`` and ``planned`` may change something; each returns what the
    command reports. A method a target has no use for keeps the default here.
    """

    #: What a deploy does with an existing resource that lacks the ownership mark.
    adoption: ClassVar[Adoption] = Adoption.REFUSE

    @abstractmethod
    def resource(self) -> Resource:
        """The resource the server is (for messages), as this connection names it."""

    @abstractmethod
    def survey(self, artifact: ArtifactT | None) -> SurveyT:
        """Read what is there (compared with ``artifact`` when a deploy or plan has one);
        change nothing."""

    @abstractmethod
    def planned(self, survey: SurveyT, artifact: ArtifactT) -> TargetResult:
        """What a deploy would change (``changes``), from the survey; change nothing."""

    def adopt(self, survey: SurveyT) -> None:
        """Mark an existing resource made elsewhere as ours (``Adoption.ADOPT`` targets)."""
        raise NotImplementedError

    @abstractmethod
    def first_deploy(self, survey: SurveyT, artifact: ArtifactT) -> TargetResult:
        """Create the resource with the new version serving (nothing earlier to protect)."""

    def unchanged(self, survey: SurveyT, artifact: ArtifactT) -> TargetResult | None:
        """The result when what serves already is this artifact and these settings."""
        return None

    @abstractmethod
    def stage(self, survey: SurveyT, artifact: ArtifactT) -> TargetResult:
        """The new version without traffic (``candidate_url`` set), or deployed live."""

    def promote(self, staged: TargetResult) -> TargetResult:
        """Move all traffic to the staged, verified version."""
        raise NotImplementedError

    def discard(self, staged: TargetResult) -> None:
        """Leave the staged version without traffic; the serving one stays."""
        raise NotImplementedError

    def shift_traffic(self, staged: TargetResult, percent: int, *, current: int) -> TargetResult:
        """Give the staged, verified version ``percent`` % of the traffic and the version it
        replaces (``staged.previous_version``) the rest; 0 puts all of it back on that one.

        A conditional write (etag, If-Match) over a read that must find the split the run
        left, ``current`` % to the staged version: any other split raises
        :class:`TrafficMovedError`, changing nothing. ``percent == current`` only reads and
        checks (before the promotion). ``shifts_traffic`` flows only."""
        raise NotImplementedError

    @abstractmethod
    def outputs(self, survey: SurveyT) -> TargetResult:
        """What is deployed now (``version`` names what serves, as ``stage`` reports it)."""

    def rollback_version(self, survey: SurveyT, wanted: str) -> str:
        """The version a rollback serves: ``wanted`` checked, else the previous one."""
        if wanted:
            return wanted
        previous = survey.deployed.previous
        if not previous:
            resource = self.resource()
            raise DeployError(
                f"No version of {resource.title} served before {survey.deployed.serving}, so "
                "there is no previous version to return to.",
                remediation="Give the version to return to with rollback-to (--to).",
            )
        return previous

    def already_serving(self, survey: SurveyT) -> TargetResult:
        """A rollback to the version that serves: nothing to do."""
        return self.outputs(survey)

    def move_traffic(self, survey: SurveyT, version: str) -> TargetResult:
        """Serve ``version`` again (a rollback); conditional on what the survey read."""
        raise NotImplementedError

    @abstractmethod
    def remove(self, survey: SurveyT) -> TargetResult:
        """Delete what this tool made for the server (its mark checked by the flow)."""

    def stored_secrets(self, survey: SurveyT) -> frozenset[str]:
        """The names of the server's secrets the platform stores already (a required secret
        this run has no value for may be one of them)."""
        return frozenset()

    def probe_access(self, survey: SurveyT, artifact: ArtifactT | None) -> Access:
        """check: probe, with read-only calls, that the identity may do what a deploy does.
        The default probes nothing beyond the sign-in and the survey's reads."""
        return Access(
            identity="",
            notes=(
                "Signed in, and the survey's reads passed; this target has no read-only probe "
                "of its write permissions.",
            ),
        )

    def read_logs(
        self, survey: SurveyT, version: str, *, since: float | None, limit: int
    ) -> LogExcerpt:
        """The last ``limit`` lines ``version`` logged (targets that declare logs)."""
        raise NotImplementedError

    # --- previews (:class:`ServesPreviews` targets) ----------------------------------------
    def deploy_preview(
        self, survey: SurveyT, artifact: ArtifactT, preview: Preview
    ) -> TargetResult:
        """The artifact as ``preview`` beside what serves (never touching it): its own,
        stable URL (``url``, ``preview_url``), labelled as a preview."""
        raise NotImplementedError

    def remove_preview(self, survey: SurveyT, preview: str) -> TargetResult:
        """Remove the preview named ``preview`` and what was made for it (a missing one:
        a result with a note saying so)."""
        raise NotImplementedError

    def previews(self, survey: SurveyT) -> tuple[str, ...]:
        """The names of the server's previews (a destroy removes them too)."""
        return ()


class DeployFlow(ABC, Generic[ConnT, SurveyT, ArtifactT]):
    """A target: the protocol of :class:`pmcp_action.targets.Target` over its steps."""

    #: The target id (its declaration's).
    name: ClassVar[str]
    #: False for a platform that cannot serve an earlier version again (rollback refused).
    can_roll_back: ClassVar[bool] = True
    #: True where the steps split the traffic between two versions (``shift_traffic``), so a
    #: deploy may move it in ``traffic-steps``.
    shifts_traffic: ClassVar[bool] = False

    def __init__(self, context: RunContext, problems: Sequence[Problem]) -> None:
        self.context = context
        self.console = context.console
        self.problems: list[Problem] = list(problems)

    # --- the steps a target fills in ---------------------------------------------------------
    @abstractmethod
    def connect(self) -> AbstractContextManager[ConnT]:
        """Sign in (once per target) and open one command's connection."""

    @abstractmethod
    def steps(self, conn: ConnT) -> Steps[SurveyT, ArtifactT]:
        """The platform's steps over ``conn``."""

    def prepare(self) -> AbstractContextManager[ArtifactT]:
        """The artifact, located and checked before any cloud is touched (if the target has
        one to prepare offline); held for the whole command."""
        return nullcontext()  # type: ignore[return-value]

    def extra_problems(self) -> Sequence[Problem]:
        """Offline checks beyond the config's (warnings go to the console here)."""
        return ()

    def refuse_rollback(self, to_version: str) -> None:
        """Raise why this platform cannot roll back (``can_roll_back = False`` targets)."""
        raise NotImplementedError

    # --- the protocol, in one order for every target ---------------------------------------
    def validate(self) -> Sequence[Problem]:
        return (*self.problems, *self.extra_problems())

    def check(self) -> None:
        """Refuse while the inputs have problems: before any file is read or call is made."""
        if self.problems:
            raise ValidationError(self.problems)

    def plan(self) -> TargetResult:
        self.check()
        with self.prepare() as artifact, self.connect() as conn:
            steps = self.steps(conn)
            survey = steps.survey(artifact)
            self._require_secrets(steps, survey)
            planned = steps.planned(survey, artifact)
        print_changes(self.context, planned.changes)
        return planned

    def deploy(self) -> TargetResult:
        staged = self.stage()
        return self.promote(staged) if staged.candidate_url else staged

    def stage(self) -> TargetResult:
        self.check()
        with self.prepare() as artifact, self.connect() as conn:
            steps = self.steps(conn)
            survey = steps.survey(artifact)
            deployed = survey.deployed
            if deployed.exists and not deployed.managed and steps.adoption is Adoption.REFUSE:
                raise not_ours(steps.resource(), target=self.name)
            self._require_secrets(steps, survey)
            if not deployed.exists:
                return steps.first_deploy(survey, artifact)
            if not deployed.managed:
                steps.adopt(survey)
            unchanged = steps.unchanged(survey, artifact)
            if unchanged is not None:
                return unchanged
            return steps.stage(survey, artifact)

    def promote(self, staged: TargetResult) -> TargetResult:
        with self.connect() as conn:
            return self.steps(conn).promote(staged)

    def discard(self, staged: TargetResult) -> None:
        with self.connect() as conn:
            self.steps(conn).discard(staged)

    def check_access(self) -> TargetResult:
        """check: everything a deploy does up to its first write (the inputs, the artifact,
        the sign-in, the survey), then the target's probes of what the deploy writes."""
        self.check()
        with self.prepare() as artifact, self.connect() as conn:
            steps = self.steps(conn)
            survey = steps.survey(artifact)
            self._require_secrets(steps, survey)
            access = steps.probe_access(survey, artifact)
        from .result import TargetResult

        for line in access.allowed:
            self.console.debug(f"allowed: {line}")
        if access.missing:
            raise AccessMissing.of(access)
        return TargetResult(identity=access.identity, notes=access.notes)

    def shift_traffic(self, staged: TargetResult, percent: int, *, current: int) -> TargetResult:
        with self.connect() as conn:
            return self.steps(conn).shift_traffic(staged, percent, current=current)

    def outputs(self) -> TargetResult:
        self.check()
        with self.connect() as conn:
            steps = self.steps(conn)
            survey = self._deployed(steps, "No outputs")
            return steps.outputs(survey)

    def rollback(self, to_version: str) -> TargetResult:
        if not self.can_roll_back:
            self.refuse_rollback(to_version)
        self.check()
        with self.connect() as conn:
            steps = self.steps(conn)
            survey = self._deployed(steps, "There is nothing to roll back")
            if not survey.deployed.managed:
                raise not_ours(steps.resource(), target=self.name)
            version = steps.rollback_version(survey, to_version.strip())
            if version == survey.deployed.serving:
                self.console.info(f"Version {version} already serves; nothing to do.")
                return steps.already_serving(survey)
            return steps.move_traffic(survey, version)

    def destroy(self) -> TargetResult:
        self.check()
        with self.connect() as conn:
            steps = self.steps(conn)
            survey = self._deployed(steps, "Nothing to destroy")
            if not survey.deployed.managed:
                raise not_ours(steps.resource(), target=self.name, deleting=True)
            removed = self._remove(steps, survey)
        print_changes(self.context, removed.changes)
        return removed

    def _remove(self, steps: Steps[SurveyT, ArtifactT], survey: SurveyT) -> TargetResult:
        """destroy's removal, once the resource is known to be ours."""
        return steps.remove(survey)

    def _require_secrets(self, steps: Steps[SurveyT, ArtifactT], survey: SurveyT) -> None:
        """Refuse, before any change, a deploy missing a required secret the platform does
        not store either."""
        missing = self.context.project.secrets.missing
        if not missing:
            return
        stored = steps.stored_secrets(survey)
        absent = tuple(name for name in missing if name not in stored)
        if absent:
            raise ValidationError(missing_problem(absent, self.context.project.config))

    def _deployed(self, steps: Steps[SurveyT, ArtifactT], doing: str) -> SurveyT:
        """The survey of a deployed server; :class:`NothingDeployedError` when there is none."""
        survey = steps.survey(None)
        if not survey.deployed.exists:
            resource = steps.resource()
            raise NothingDeployedError(
                f"{doing}: there is no {resource.title} {resource.where}.",
                target=self.name,
                remediation=f"Deploy first, or check {resource.chosen_by}.",
            )
        return survey


class ServesLogs(DeployFlow[ConnT, SurveyT, ArtifactT]):
    """A flow whose platform keeps what the server logged (``logs`` in the declaration)."""

    def logs(self, *, version: str, since: float | None, limit: int) -> LogExcerpt:
        self.check()
        with self.connect() as conn:
            steps = self.steps(conn)
            survey = self._deployed(steps, "No logs")
            wanted = version.strip() or survey.deployed.serving
            return steps.read_logs(survey, wanted, since=since, limit=limit)


class ServesPreviews(DeployFlow[ConnT, SurveyT, ArtifactT]):
    """A flow whose platform can run a preview beside production, under its own stable URL
    (a tag, label, alias or separate deployment); ``destroy`` removes the previews too."""

    def preview_problems(self, preview: str) -> Sequence[Problem]:
        """The platform's limits on a preview's name (length, alphabet), checked offline."""
        return ()

    def preview(self, preview: Preview) -> TargetResult:
        self.check()
        with self.prepare() as artifact, self.connect() as conn:
            steps = self.steps(conn)
            survey = steps.survey(artifact)
            deployed = survey.deployed
            if deployed.exists and not deployed.managed:
                raise not_ours(steps.resource(), target=self.name)
            self._require_secrets(steps, survey)
            return steps.deploy_preview(survey, artifact, preview)

    def destroy_preview(self, preview: str) -> TargetResult:
        self.check()
        with self.connect() as conn:
            steps = self.steps(conn)
            survey = steps.survey(None)
            if survey.deployed.exists and not survey.deployed.managed:
                raise not_ours(steps.resource(), target=self.name, deleting=True)
            removed = steps.remove_preview(survey, preview)
        print_changes(self.context, removed.changes)
        return removed

    def _remove(self, steps: Steps[SurveyT, ArtifactT], survey: SurveyT) -> TargetResult:
        """The server's removal takes its previews with it, and says so."""
        previews = steps.previews(survey)
        removed = steps.remove(survey)
        if not previews:
            return removed
        note = f"Its previews were removed with it: {', '.join(previews)}."
        self.console.info(note)
        return replace(removed, notes=(*removed.notes, note), removed_previews=tuple(previews))
