"""traffic-steps on Cloud Run, the whole program against the emulator: the split sampled at
every traffic write the run makes (the fake's hook) and while it waits (the injected
sleep); a step whose live verification fails puts 100 % back on the old revision; another
writer moving the traffic between two steps stops the run, which undoes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.google_cloud_run.run_resources import Service

from . import test_pipeline
from .test_pipeline import IMAGE_2, SERVICE, _fake, _project, run, run_with

emulator = test_pipeline.emulator  # the same fixture: the emulator with GitHub's OIDC

pytestmark = pytest.mark.timeout(300)

FIRST = "calc-00001-x"
STEPS = {"INPUT_TRAFFIC-STEPS": "10,50,100", "INPUT_TRAFFIC-STEP-SECONDS": "7"}

Split = tuple[tuple[str, int], ...]


def split(service: Service) -> Split:
    """Each revision's share, as the service's traffic says (tags without traffic left out)."""
    return tuple(
        (str(entry["revision"]), int(entry["percent"]))
        for entry in service.traffic
        if int(entry.get("percent", 0) or 0)
    )


class Sampler:
    """Every split the run writes (in order) and the split during each step's wait."""

    def __init__(self, emulator: Any) -> None:
        self.fake = _fake(emulator)
        self.written: list[Split] = []
        self.waited: list[Split] = []
        #: How many requests the live URL had answered at each write.
        self.live_requests: list[int] = []
        #: Each write's split and the revision tagged candidate ("" when none is).
        self.tags: list[tuple[Split, str]] = []
        self.fake.on_traffic = self.wrote

    def wrote(self, service: Service) -> None:
        self.written.append(split(service))
        live = f"/{service.short}-abc123-uc.a.run.app/"
        self.live_requests.append(sum(r.path.startswith(live) for r in self.fake.requests))
        tagged = [e["revision"] for e in service.traffic if e.get("tag") == "candidate"]
        self.tags.append((split(service), tagged[0] if tagged else ""))

    def sleep(self, seconds: float) -> None:
        if seconds == 7:  # traffic-step-seconds: the only wait that long in these runs
            self.waited.append(split(self.fake.services[SERVICE]))


def _first_deploy(emulator: Any, gha_files: Any, tmp_path: Any) -> Any:
    project = _project(tmp_path)
    assert run(emulator, gha_files, project).code == 0
    return project


def test_every_step_is_taken_in_order_then_promoted(emulator, gha_files, tmp_path):
    project = _first_deploy(emulator, gha_files, tmp_path)
    sampler = Sampler(emulator)
    done = run_with(sampler.sleep, emulator, gha_files, project, PMCP_IMAGE=IMAGE_2, **STEPS)
    assert done.code == 0, done.printed
    new = done.outputs["version"]
    assert new.startswith("calc-2222222-") and done.outputs["verified"] == "true"
    assert sampler.written == [
        ((FIRST, 100),),  # staged: the new revision tagged, without traffic
        ((FIRST, 90), (new, 10)),
        ((FIRST, 50), (new, 50)),
        ((new, 100),),
    ]
    assert sampler.waited == [((FIRST, 90), (new, 10)), ((FIRST, 50), (new, 50))]
    phases = [p["name"] for p in done.report["phases"]]
    assert phases == [
        "validate",
        "deploy",
        "verify candidate",
        "traffic 10 %",
        "traffic 50 %",
        "promote",
        "verify",
    ]
    assert "| traffic 10 % |" in done.summary and "| traffic 50 % |" in done.summary
    # Each step was verified at the live URL before the next write.
    assert sampler.live_requests[1] < sampler.live_requests[2] < sampler.live_requests[3]
    # The candidate keeps its tag (its own URL) through the steps, not once promoted.
    assert [tagged for _, tagged in sampler.tags] == [new, new, new, ""]


def test_a_step_that_fails_puts_all_traffic_back_on_the_old_revision(emulator, gha_files, tmp_path):
    project = _first_deploy(emulator, gha_files, tmp_path)
    sampler = Sampler(emulator)

    def breaks_at_half(service: Service) -> None:
        sampler.wrote(service)
        if any(share == 50 and name != FIRST for name, share in split(service)):
            # The new revision fails once it takes real traffic (its own URL passed).
            sampler.fake.broken_images.add(IMAGE_2)

    sampler.fake.on_traffic = breaks_at_half
    failed = run_with(sampler.sleep, emulator, gha_files, project, PMCP_IMAGE=IMAGE_2, **STEPS)
    assert failed.code == 1, failed.printed
    new = failed.outputs["version"]
    assert failed.outputs["rolled-back"] == "true" and failed.outputs["verified"] == "false"
    assert sampler.written == [
        ((FIRST, 100),),
        ((FIRST, 90), (new, 10)),
        ((FIRST, 50), (new, 50)),
        ((FIRST, 100),),
    ]
    # 100 % back on the old revision, the candidate's tag gone with its traffic.
    assert _fake(emulator).services[SERVICE].traffic == [
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": FIRST, "percent": 100}
    ]
    phases = [(p["name"], p["outcome"]) for p in failed.report["phases"]]
    assert phases[-4:] == [
        ("traffic 10 %", "ok"),
        ("traffic 50 %", "failed"),
        ("logs", "ok"),  # what the failing revision logged
        ("rollback", "ok"),
    ]
    assert f"while version {new} took 50 % of the traffic" in failed.summary
    assert f"Version {FIRST} serves 100 % again" in failed.summary


@pytest.mark.parametrize("during", [10, 50])
def test_another_writer_between_steps_stops_the_run_without_undoing_it(
    emulator, gha_files, tmp_path, during
):
    project = _first_deploy(emulator, gha_files, tmp_path)
    sampler = Sampler(emulator)
    service = sampler.fake.services[SERVICE]

    def another_run_rolls_back(seconds: float) -> None:
        sampler.sleep(seconds)
        if seconds == 7 and sampler.waited[-1][-1][1] == during:
            # While the run waits at this step, another run puts everything on the first.
            service.traffic = [
                {
                    "type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
                    "revision": FIRST,
                    "percent": 100,
                }
            ]
            service.etag = '"another-run"'

    stopped = run_with(
        another_run_rolls_back, emulator, gha_files, project, PMCP_IMAGE=IMAGE_2, **STEPS
    )
    assert stopped.code == 1, stopped.printed
    new = stopped.outputs["version"]
    taken = [((FIRST, 100 - p), (new, p)) for p in (10, 50) if p <= during]
    assert sampler.written == [((FIRST, 100),), *taken]  # nothing after: not promoted
    assert split(service) == ((FIRST, 100),) and service.etag == '"another-run"'
    assert "Another run moved the traffic" in stopped.summary
    said = f"no longer split as this run left it ({new} at {during} %, {FIRST} at {100 - during} %)"
    assert said in stopped.summary
    assert stopped.outputs["rolled-back"] == "false"
    phases = [(p["name"], p["outcome"]) for p in stopped.report["phases"]]
    assert phases[-2:] == [("traffic 10 %", "ok"), ("traffic 50 %", "failed")]
    assert "promote" not in [name for name, _ in phases]


def test_with_verify_on_failure_warn_a_failing_step_warns_and_goes_on(
    emulator, gha_files, tmp_path
):
    project = _first_deploy(emulator, gha_files, tmp_path)
    sampler = Sampler(emulator)
    fake = sampler.fake

    def fails_at_half_only(service: Service) -> None:
        sampler.wrote(service)
        if dict(split(service)).get(FIRST) == 50:
            fake.broken_images.add(IMAGE_2)  # fails while it takes half
        else:
            fake.broken_images.discard(IMAGE_2)

    fake.on_traffic = fails_at_half_only
    warned = run_with(
        sampler.sleep,
        emulator,
        gha_files,
        project,
        PMCP_IMAGE=IMAGE_2,
        **{"INPUT_VERIFY-ON-FAILURE": "warn", "INPUT_VERIFY-TIMEOUT-SECONDS": "2"},
        **STEPS,
    )
    assert warned.code == 0, warned.printed
    new = warned.outputs["version"]
    assert sampler.written[-1] == ((new, 100),)  # promoted after the warning
    assert warned.outputs["rolled-back"] == "false"
    assert "Verification failed (warning only)" in warned.printed
