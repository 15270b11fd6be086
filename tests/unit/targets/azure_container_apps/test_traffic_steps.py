"""traffic-steps on Container Apps, the whole program against the emulator: the revision
weights of every app write sampled by the fake's hook and during each wait by the injected
sleep; a step whose live verification fails puts weight 100 back on the old revision;
another writer moving the weights between two steps stops the run, which undoes nothing.

Every app and revision URL of the emulator answers from one MCP server; here it is reached
through a front (:class:`Front`) that answers 503 while the test says the app fails."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.server import FakeBase, forward, serve

from .test_pipeline import IMAGE_2, _project, run, run_with

pytestmark = pytest.mark.timeout(300)

STEPS = {"INPUT_TRAFFIC-STEPS": "10,50,100", "INPUT_TRAFFIC-STEP-SECONDS": "7"}

Split = tuple[tuple[str, int], ...]


class Front(FakeBase):
    """What the app's FQDN reaches: the emulator's MCP server, or 503 while ``failing``."""

    name = "container-app-front"

    def __init__(self, origin: str) -> None:
        super().__init__()
        self.origin = origin
        self.failing = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.failing:
            return httpx.Response(503, text="upstream connect error (fault injected)")
        return forward(request, self.origin, request.url.path, "the MCP server")


@pytest.fixture
def front(emulator: Any) -> Iterator[tuple[Front, dict[str, str]]]:
    """The front, and the variable that points the action's app URLs at it."""
    mcp = httpx.URL(emulator.env["PMCP_AZURE_APPS_ORIGIN"])
    made = Front(f"{mcp.scheme}://{mcp.host}:{mcp.port}")
    with serve(made) as url:
        yield made, {"PMCP_AZURE_APPS_ORIGIN": f"{str(url).rstrip('/')}{mcp.path}"}


def split(app: dict[str, Any]) -> Split:
    traffic = app["properties"]["configuration"]["ingress"]["traffic"]
    return tuple((str(t["revisionName"]), int(t["weight"])) for t in traffic if t.get("weight"))


def _app(emulator: Any) -> dict[str, Any]:
    arm = emulator.fakes["azure-container-apps"].arm
    return next(r for r in arm.resources.values() if r["type"].endswith("containerApps"))


class Sampler:
    """Every split the app is written with (in order) and the split during each wait."""

    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator
        self.written: list[Split] = []
        self.waited: list[Split] = []
        #: The etag of the app at each write ("" without app_etags).
        self.etags: list[str] = []
        emulator.fakes["azure-container-apps"].arm.on_app_write = self.wrote

    def wrote(self, app: dict[str, Any]) -> None:
        self.written.append(split(app))
        self.etags.append(str(app.get("etag", "")))

    def sleep(self, seconds: float) -> None:
        if seconds == 7:  # traffic-step-seconds: the only wait that long in these runs
            self.waited.append(split(_app(self.emulator)))


def _deployed(emulator: Any, gha_files: Any, tmp_path: Any) -> tuple[Any, str]:
    project = _project(tmp_path)
    code, out, outputs, _, _ = run(emulator, gha_files, project)
    assert code == 0, out
    return project, outputs["version"]


def test_every_step_is_weighted_in_order_then_promoted(emulator, front, gha_files, tmp_path):
    # With etags on the app (ARM's convention; Container Apps shows none), each step's PATCH
    # carries If-Match.
    emulator.fakes["azure-container-apps"].arm.app_etags = True
    project, first = _deployed(emulator, gha_files, tmp_path)
    the_front, origin = front
    sampler = Sampler(emulator)
    code, out, outputs, summary, report = run_with(
        sampler.sleep, emulator, gha_files, project, PMCP_IMAGE=IMAGE_2, **STEPS, **origin
    )
    assert code == 0, out
    new = outputs["version"]
    assert sampler.written == [
        ((first, 100),),  # staged: the new revision at weight 0
        ((first, 90), (new, 10)),
        ((first, 50), (new, 50)),
        ((new, 100),),
    ]
    assert sampler.waited == [((first, 90), (new, 10)), ((first, 50), (new, 50))]
    assert len(set(sampler.etags)) == len(sampler.etags)  # each write a new etag
    assert [p["name"] for p in report["phases"]] == [
        "validate",
        "deploy",
        "verify candidate",
        "traffic 10 %",
        "traffic 50 %",
        "promote",
        "verify",
    ]
    # Every step went through If-Match with the etag read just before.
    patches = [
        r
        for r in emulator.fakes["azure-container-apps"].requests
        if r.method == "PATCH" and r.path.endswith("/containerApps/calc")
    ]
    assert [r.headers.get("If-Match") for r in patches[:2]] == sampler.etags[:2]
    assert len(the_front.requests) > 0  # verification went through the front


def test_a_step_that_fails_puts_all_traffic_back_on_the_old_revision(
    emulator, front, gha_files, tmp_path
):
    project, first = _deployed(emulator, gha_files, tmp_path)
    the_front, origin = front
    sampler = Sampler(emulator)

    def fails_at_half(app: dict[str, Any]) -> None:
        sampler.wrote(app)
        # The app fails while the new revision takes half of it; the old one alone is fine.
        the_front.failing = dict(split(app)).get(first) == 50

    emulator.fakes["azure-container-apps"].arm.on_app_write = fails_at_half
    code, out, outputs, summary, report = run_with(
        sampler.sleep,
        emulator,
        gha_files,
        project,
        PMCP_IMAGE=IMAGE_2,
        **{"INPUT_VERIFY-TIMEOUT-SECONDS": "3"},
        **STEPS,
        **origin,
    )
    assert code == 1, out
    new = outputs["version"]
    assert outputs["rolled-back"] == "true" and outputs["verified"] == "false"
    assert sampler.written == [
        ((first, 100),),
        ((first, 90), (new, 10)),
        ((first, 50), (new, 50)),
        ((first, 100),),
    ]
    assert split(_app(emulator)) == ((first, 100),)
    phases = [(p["name"], p["outcome"]) for p in report["phases"]]
    assert phases[-3:] == [("traffic 10 %", "ok"), ("traffic 50 %", "failed"), ("rollback", "ok")]
    assert f"while version {new} took 50 % of the traffic" in summary
    assert f"Version {first} serves 100 % again" in summary


@pytest.mark.parametrize("during", [10, 50])
def test_another_writer_between_steps_stops_the_run_without_undoing_it(
    emulator, front, gha_files, tmp_path, during
):
    project, first = _deployed(emulator, gha_files, tmp_path)
    _, origin = front
    sampler = Sampler(emulator)

    def another_run_rolls_back(seconds: float) -> None:
        sampler.sleep(seconds)
        if seconds == 7 and sampler.waited[-1][-1][1] == during:
            # While the run waits at this step, another run puts all the weight on the first.
            app = _app(emulator)
            app["properties"]["configuration"]["ingress"]["traffic"] = [
                {"revisionName": first, "weight": 100}
            ]

    code, out, outputs, summary, report = run_with(
        another_run_rolls_back,
        emulator,
        gha_files,
        project,
        PMCP_IMAGE=IMAGE_2,
        **STEPS,
        **origin,
    )
    assert code == 1, out
    new = outputs["version"]
    taken = [((first, 100 - p), (new, p)) for p in (10, 50) if p <= during]
    assert sampler.written == [((first, 100),), *taken]  # nothing after: not promoted
    # No etag on the app (as Container Apps): the read before the write stopped it.
    assert split(_app(emulator)) == ((first, 100),) and "etag" not in _app(emulator)
    assert "Another run moved the traffic" in summary
    said = f"no longer split as this run left it ({new} at {during} %, {first} at {100 - during} %)"
    assert said in summary
    assert outputs["rolled-back"] == "false"
    phases = [(p["name"], p["outcome"]) for p in report["phases"]]
    assert phases[-2:] == [("traffic 10 %", "ok"), ("traffic 50 %", "failed")]
    assert "promote" not in [name for name, _ in phases]
