"""The deploy flow's order, written once for every target, against a recording platform."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pmcp_action.errors import DeployError, NotSupportedError, Problem, ValidationError
from pmcp_action.flow import Deployed, NothingDeployedError, ServesLogs, ServesPreviews, Steps
from pmcp_action.ownership import Adoption, NotOursError, Resource
from pmcp_action.previews.identity import Preview
from pmcp_action.result import LogExcerpt, PlanChange, TargetResult
from tests.support.context import make_context


@dataclass
class Platform:
    """What is deployed, and every step the flow took, in order."""

    exists: bool = False
    serving: str = ""
    previous: str = ""
    managed: bool = True
    artifact_digest: str = ""
    log: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Survey:
    deployed: Deployed
    digest: str


class ToySteps(Steps[Survey, str]):
    def __init__(self, platform: Platform, adoption: Adoption) -> None:
        self.platform = platform
        self.adoption = adoption  # type: ignore[misc]

    def _step(self, name: str) -> None:
        self.platform.log.append(name)

    def resource(self) -> Resource:
        return Resource("Toy", "calc", "in the toy cloud", "the tag toy", "server-name")

    def survey(self, artifact: str | None) -> Survey:
        self._step(f"survey({artifact})")
        p = self.platform
        return Survey(Deployed(p.exists, p.serving, p.previous, p.managed), p.artifact_digest)

    def planned(self, survey: Survey, artifact: str) -> TargetResult:
        self._step("planned")
        return TargetResult(changes=(PlanChange("create", "toy calc"),), unchanged=False)

    def adopt(self, survey: Survey) -> None:
        self._step("adopt")

    def first_deploy(self, survey: Survey, artifact: str) -> TargetResult:
        self._step("first_deploy")
        self.platform.exists, self.platform.serving = True, "v1"
        return TargetResult(url="https://toy/calc", version="v1", unchanged=False)

    def unchanged(self, survey: Survey, artifact: str) -> TargetResult | None:
        self._step("unchanged?")
        if survey.digest == artifact:
            return TargetResult(version=survey.deployed.serving, unchanged=True)
        return None

    def stage(self, survey: Survey, artifact: str) -> TargetResult:
        self._step("stage")
        return TargetResult(
            version="v2", previous_version="v1", candidate_url="https://toy/calc/v2"
        )

    def promote(self, staged: TargetResult) -> TargetResult:
        self._step(f"promote({staged.version})")
        return TargetResult(version=staged.version, previous_version=staged.previous_version)

    def discard(self, staged: TargetResult) -> None:
        self._step(f"discard({staged.version})")

    def outputs(self, survey: Survey) -> TargetResult:
        self._step("outputs")
        return TargetResult(version=survey.deployed.serving)

    def move_traffic(self, survey: Survey, version: str) -> TargetResult:
        self._step(f"move_traffic({version})")
        return TargetResult(version=version, previous_version=survey.deployed.serving)

    def remove(self, survey: Survey) -> TargetResult:
        self._step("remove")
        return TargetResult(changes=(PlanChange("delete", "toy calc"),), unchanged=False)

    def read_logs(
        self, survey: Survey, version: str, *, since: float | None, limit: int
    ) -> LogExcerpt:
        self._step(f"read_logs({version})")
        return LogExcerpt(source=f"toy logs of {version}")


class ToyFlow(ServesLogs[Platform, Survey, str]):
    name = "toy"

    def __init__(self, tmp_path: Path, platform: Platform, **kw: object) -> None:
        context = make_context(target="cloudflare-workers", root=tmp_path)
        super().__init__(context, list(kw.get("problems", [])))  # type: ignore[call-overload]
        self.platform = platform
        self.adoption = kw.get("adoption", Adoption.REFUSE)

    @contextmanager
    def prepare(self) -> Iterator[str]:
        self.platform.log.append("prepare")
        yield "digest-2"

    @contextmanager
    def connect(self) -> Iterator[Platform]:
        self.platform.log.append("connect")
        yield self.platform

    def steps(self, conn: Platform) -> ToySteps:
        return ToySteps(conn, self.adoption)  # type: ignore[arg-type]


def test_a_first_deploy_creates_without_asking_unchanged(tmp_path: Path) -> None:
    toy = Platform()
    result = ToyFlow(tmp_path, toy).deploy()
    assert toy.log == ["prepare", "connect", "survey(digest-2)", "first_deploy"]
    assert result.version == "v1"


def test_a_redeploy_stages_then_promotes(tmp_path: Path) -> None:
    toy = Platform(exists=True, serving="v1", artifact_digest="digest-1")
    result = ToyFlow(tmp_path, toy).deploy()
    assert toy.log == [
        "prepare",
        "connect",
        "survey(digest-2)",
        "unchanged?",
        "stage",
        "connect",
        "promote(v2)",
    ]
    assert (result.version, result.previous_version) == ("v2", "v1")


def test_the_same_artifact_is_unchanged(tmp_path: Path) -> None:
    toy = Platform(exists=True, serving="v1", artifact_digest="digest-2")
    assert ToyFlow(tmp_path, toy).deploy().unchanged is True
    assert toy.log[-1] == "unchanged?"


def test_what_another_tool_made_is_refused_or_adopted(tmp_path: Path) -> None:
    toy = Platform(exists=True, serving="v1", managed=False)
    with pytest.raises(NotOursError, match="lacks the tag toy"):
        ToyFlow(tmp_path, toy).deploy()
    assert "unchanged?" not in toy.log

    adopted = Platform(exists=True, serving="v1", managed=False)
    ToyFlow(tmp_path, adopted, adoption=Adoption.ADOPT).stage()
    assert adopted.log[-3:] == ["adopt", "unchanged?", "stage"]
    for command in ("rollback", "destroy"):
        with pytest.raises(NotOursError):
            flow = ToyFlow(tmp_path, adopted, adoption=Adoption.ADOPT)
            flow.rollback("v0") if command == "rollback" else flow.destroy()


@pytest.mark.parametrize(
    ("command", "doing"),
    [
        ("outputs", "No outputs"),
        ("rollback", "There is nothing to roll back"),
        ("destroy", "Nothing to destroy"),
        ("logs", "No logs"),
    ],
)
def test_commands_on_nothing_deployed_say_so(tmp_path: Path, command: str, doing: str) -> None:
    flow = ToyFlow(tmp_path, Platform())
    with pytest.raises(NothingDeployedError) as caught:
        if command == "rollback":
            flow.rollback("")
        elif command == "logs":
            flow.logs(version="", since=None, limit=5)
        else:
            getattr(flow, command)()
    assert caught.value.message == f"{doing}: there is no Toy calc in the toy cloud."
    assert caught.value.remediation == "Deploy first, or check server-name."
    assert caught.value.title == "Nothing deployed"


def test_rollback_to_the_previous_or_a_named_version(tmp_path: Path) -> None:
    toy = Platform(exists=True, serving="v2", previous="v1")
    assert ToyFlow(tmp_path, toy).rollback("").version == "v1"
    assert toy.log[-1] == "move_traffic(v1)"
    assert ToyFlow(tmp_path, toy).rollback(" v2 ").version == "v2"
    assert toy.log[-1] == "outputs"  # already serving: nothing moves


def test_no_previous_version_is_an_error_naming_rollback_to(tmp_path: Path) -> None:
    with pytest.raises(DeployError, match="no previous version to return to"):
        ToyFlow(tmp_path, Platform(exists=True, serving="v1")).rollback("")


def test_problems_stop_every_command_before_anything_is_touched(tmp_path: Path) -> None:
    toy = Platform(exists=True, serving="v1")
    flow = ToyFlow(tmp_path, toy, problems=[Problem("input 'x'", "bad")])
    assert [p.where for p in flow.validate()] == ["input 'x'"]
    for command in ("plan", "deploy", "outputs", "destroy"):
        with pytest.raises(ValidationError):
            getattr(flow, command)()
    assert toy.log == []


def test_plan_reads_and_prints_and_logs_read_the_serving_version(tmp_path: Path) -> None:
    toy = Platform(exists=True, serving="v3")
    flow = ToyFlow(tmp_path, toy)
    assert flow.plan().changes == (PlanChange("create", "toy calc"),)
    assert flow.logs(version="", since=None, limit=5).source == "toy logs of v3"
    assert toy.log[-1] == "read_logs(v3)"


def test_a_target_that_cannot_roll_back_says_why_first(tmp_path: Path) -> None:
    class NoRollback(ToyFlow):
        can_roll_back = False

        def refuse_rollback(self, to_version: str) -> None:
            raise NotSupportedError("Toy keeps no versions.")

    toy = Platform(exists=True, serving="v1", previous="v0")
    with pytest.raises(NotSupportedError, match="Toy keeps no versions"):
        NoRollback(tmp_path, toy).rollback("")
    assert toy.log == []


def test_a_required_secret_no_one_gave_stops_the_deploy_unless_the_platform_stores_it(
    tmp_path: Path,
) -> None:
    from dataclasses import replace

    from pmcp_action.secrets import ServerSecrets

    class Stores(ToySteps):
        def stored_secrets(self, survey: Survey) -> frozenset[str]:
            self._step("stored_secrets")
            return frozenset({"DB_URL"})

    def flow(platform: Platform, steps: type[ToySteps]) -> ToyFlow:
        made = ToyFlow(tmp_path, platform)
        project = replace(made.context.project, secrets=ServerSecrets(missing=("API_KEY",)))
        made.context = replace(made.context, project=project)
        made.steps = lambda conn: steps(conn, Adoption.REFUSE)  # type: ignore[method-assign]
        return made

    toy = Platform(exists=True, serving="v1")
    with pytest.raises(ValidationError, match="requires the secret API_KEY"):
        flow(toy, Stores).deploy()
    assert toy.log[-1] == "stored_secrets"  # read, then refused: nothing changed
    with pytest.raises(ValidationError):
        flow(Platform(), ToySteps).plan()

    class StoresIt(ToySteps):
        def stored_secrets(self, survey: Survey) -> frozenset[str]:
            return frozenset({"API_KEY"})

    assert flow(Platform(exists=True, serving="v1"), StoresIt).deploy().version == "v2"


# --- previews (ServesPreviews) ---------------------------------------------------------------


class PreviewSteps(ToySteps):
    def deploy_preview(self, survey: Survey, artifact: str, preview: Preview) -> TargetResult:
        self._step(f"deploy_preview({artifact}, {preview.id})")
        return TargetResult(url=f"https://{preview.id}.toy/mcp", preview_id=preview.id)

    def remove_preview(self, survey: Survey, preview: str) -> TargetResult:
        self._step(f"remove_preview({preview})")
        return TargetResult(preview_id=preview, changes=(PlanChange("delete", preview),))

    def previews(self, survey: Survey) -> tuple[str, ...]:
        self._step("previews")
        return ("pr-1", "pr-2")


class PreviewFlow(ServesPreviews[Platform, Survey, str], ToyFlow):
    def steps(self, conn: Platform) -> PreviewSteps:
        return PreviewSteps(conn, self.adoption)  # type: ignore[arg-type]


def test_a_preview_is_prepared_surveyed_and_deployed_beside_what_serves(tmp_path):
    platform = Platform(exists=True, serving="v1")
    result = PreviewFlow(tmp_path, platform).preview(Preview("pr-1", "input 'preview-id'"))
    assert result.preview_id == "pr-1"
    assert platform.log == [
        "prepare",
        "connect",
        "survey(digest-2)",
        "deploy_preview(digest-2, pr-1)",
    ]


def test_a_preview_of_a_resource_made_elsewhere_is_refused_before_any_change(tmp_path):
    platform = Platform(exists=True, serving="v1", managed=False)
    flow = PreviewFlow(tmp_path, platform, adoption=Adoption.ADOPT)
    with pytest.raises(NotOursError):
        flow.preview(Preview("pr-1", "input 'preview-id'"))
    with pytest.raises(NotOursError):
        flow.destroy_preview("pr-1")
    assert not any(
        step.startswith(("deploy_preview", "remove_preview", "adopt")) for step in platform.log
    )


def test_destroy_preview_and_destroy_say_what_went(tmp_path):
    platform = Platform(exists=True, serving="v1")
    flow = PreviewFlow(tmp_path, platform)
    assert flow.destroy_preview("pr-2").preview_id == "pr-2"
    removed = flow.destroy()
    assert removed.notes == ("Its previews were removed with it: pr-1, pr-2.",)
    assert platform.log[-2:] == ["previews", "remove"]


def test_a_flow_with_previews_is_one_the_pipeline_finds(tmp_path):
    from pmcp_action.targets import previews_of

    assert previews_of(PreviewFlow(tmp_path, Platform())) is not None  # type: ignore[arg-type]
    assert previews_of(ToyFlow(tmp_path, Platform())) is None  # type: ignore[arg-type]


def test_check_goes_up_to_the_first_write_and_says_what_it_could_not_probe(
    tmp_path: Path,
) -> None:
    toy = Platform(exists=True, serving="v1")

    result = ToyFlow(tmp_path, toy).check_access()

    assert toy.log == ["prepare", "connect", "survey(digest-2)"]
    assert "no read-only probe of its write permissions" in result.notes[0]
    with pytest.raises(ValidationError):
        ToyFlow(tmp_path, Platform(), problems=[Problem("input 'x'", "bad")]).check_access()


def test_check_refuses_what_the_probe_found_missing(tmp_path: Path) -> None:
    from pmcp_action.access import Access, AccessMissing, Missing

    class Thin(ToySteps):
        def probe_access(self, survey: Survey, artifact: str | None) -> Access:
            return Access(
                "toy-deployer",
                allowed=("toy.read on calc",),
                missing=(Missing("toy.write", "calc", "grant toy.write", "deploy"),),
            )

    class ThinFlow(ToyFlow):
        def steps(self, conn: Platform) -> ToySteps:
            return Thin(conn, self.adoption)  # type: ignore[arg-type]

    with pytest.raises(AccessMissing) as missing:
        ThinFlow(tmp_path, Platform(exists=True)).check_access()

    text = missing.value.diagnostics()
    assert (
        "toy-deployer lacks 1 permission a deploy needs:\n- toy.write on calc (to deploy)" in text
    )
    assert "grant toy.write" in text
