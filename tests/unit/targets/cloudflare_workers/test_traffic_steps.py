"""traffic-steps on Workers, the whole program against the fake (versions on workerd): the
split of every deployment the run makes sampled by the fake's hook and during each wait by
the injected sleep; a step whose live verification fails puts 100 % back on the old
version; another deployment between two steps stops the run, which undoes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.fakes.cloudflare_workers import SUBDOMAIN, FakeCloudflare
from tests.fakes.cloudflare_workers.state import Deployment, Script
from tests.unit.targets.cloudflare_workers.helpers import NAME, write_project

from .test_pipeline import run, run_with, serving

pytestmark = pytest.mark.timeout(300)

STEPS = {"traffic_steps": "10,50,100", "traffic_step_seconds": "7"}

Split = tuple[tuple[str, int], ...]


def split(script: Script) -> Split:
    live = script.live
    return tuple(live.versions) if live is not None else ()


class Sampler:
    """Every split the run deploys (in order) and the split during each step's wait."""

    def __init__(self, fake: FakeCloudflare) -> None:
        self.fake = fake
        self.written: list[Split] = []
        self.waited: list[Split] = []
        #: How many requests the live URL had answered at each deployment.
        self.live_requests: list[int] = []
        fake.on_deployment = self.wrote

    def wrote(self, script: Script) -> None:
        self.written.append(split(script))
        live = f"/{NAME}.{SUBDOMAIN}.workers.dev/"
        self.live_requests.append(sum(r.path.startswith(live) for r in self.fake.requests))

    def sleep(self, seconds: float) -> None:
        if seconds == 7:  # traffic-step-seconds: the only wait that long in these runs
            self.waited.append(split(self.script))

    @property
    def script(self) -> Script:
        found = self.fake.script(NAME)
        assert found is not None
        return found


def _deployed_twice(live_fake: Any, gha_files: Any, tmp_path: Any) -> str:
    """A first version deployed, the second written: the first's id."""
    fake, _ = live_fake
    write_project(tmp_path)
    assert run(live_fake, gha_files, tmp_path)[0] == 0
    write_project(tmp_path, version="2.0.0")
    script = fake.script(NAME)
    assert script is not None and script.live is not None
    return str(script.live.versions[0][0])


def test_every_step_is_deployed_in_order_then_promoted(live_fake, gha_files, tmp_path):
    fake, url = live_fake
    first = _deployed_twice(live_fake, gha_files, tmp_path)
    sampler = Sampler(fake)
    code, out, outputs, summary, report = run_with(
        sampler.sleep, live_fake, gha_files, tmp_path, **STEPS
    )
    assert code == 0, out
    new = outputs["version"]
    assert sampler.written == [
        ((first, 90), (new, 10)),
        ((first, 50), (new, 50)),
        ((new, 100),),
    ]
    assert sampler.waited == [((first, 90), (new, 10)), ((first, 50), (new, 50))]
    assert [p["name"] for p in report["phases"]] == [
        "validate",
        "deploy",
        "verify candidate",
        "traffic 10 %",
        "traffic 50 %",
        "promote",
        "verify",
    ]
    assert outputs["deployment-id"] == sampler.script.deployments[-1].id
    # Each step was verified at the live URL before the next deployment.
    assert sampler.live_requests[0] < sampler.live_requests[1] < sampler.live_requests[2]
    assert [c["detail"] for c in report["changes"] if c["resource"] == "traffic"] == [
        f"{new} at 10 %, {first} at 90 %",
        f"{new} at 50 %, {first} at 50 %",
    ]
    assert serving(fake, url) == "2.0.0"


def test_a_step_that_fails_puts_all_traffic_back_on_the_old_version(live_fake, gha_files, tmp_path):
    fake, url = live_fake
    first = _deployed_twice(live_fake, gha_files, tmp_path)
    sampler = Sampler(fake)

    def breaks_at_half(script: Script) -> None:
        sampler.wrote(script)
        live = script.live
        assert live is not None
        if (live.versions[-1][1]) == 50:
            # The new version fails once it takes real traffic (its preview passed).
            fake.failing.add(live.versions[-1][0])

    fake.on_deployment = breaks_at_half
    code, out, outputs, summary, report = run_with(
        sampler.sleep, live_fake, gha_files, tmp_path, verify_timeout_seconds="3", **STEPS
    )
    assert code == 1, out
    new = outputs["version"]
    assert outputs["rolled-back"] == "true" and outputs["verified"] == "false"
    assert sampler.written == [
        ((first, 90), (new, 10)),
        ((first, 50), (new, 50)),
        ((first, 100),),
    ]
    phases = [(p["name"], p["outcome"]) for p in report["phases"]]
    assert phases[-3:] == [("traffic 10 %", "ok"), ("traffic 50 %", "failed"), ("rollback", "ok")]
    assert f"while version {new} took 50 % of the traffic" in summary
    assert f"Version {first} serves 100 % again" in summary
    assert serving(fake, url) == "1.0.0"


@pytest.mark.parametrize("during", [10, 50])
def test_another_deployment_between_steps_stops_the_run_without_undoing_it(
    live_fake, gha_files, tmp_path, during
):
    fake, url = live_fake
    first = _deployed_twice(live_fake, gha_files, tmp_path)
    sampler = Sampler(fake)

    def another_run_rolls_back(seconds: float) -> None:
        sampler.sleep(seconds)
        if seconds == 7 and sampler.waited[-1][-1][1] == during:
            # While the run waits at this step, another run deploys the first version alone.
            sampler.script.deployments.append(
                Deployment(str(uuid.uuid4()), [(first, 100)], {}, "wrangler")
            )

    code, out, outputs, summary, report = run_with(
        another_run_rolls_back, live_fake, gha_files, tmp_path, **STEPS
    )
    assert code == 1, out
    new = outputs["version"]
    taken = [((first, 100 - p), (new, p)) for p in (10, 50) if p <= during]
    assert sampler.written == taken  # the run deployed nothing after: not promoted
    assert split(sampler.script) == ((first, 100),)
    assert sampler.script.deployments[-1].source == "wrangler"
    assert "Another run moved the traffic" in summary
    said = f"no longer the split this run left ({new} at {during} %, {first} at {100 - during} %)"
    assert said in summary
    assert outputs["rolled-back"] == "false"
    phases = [(p["name"], p["outcome"]) for p in report["phases"]]
    assert phases[-2:] == [("traffic 10 %", "ok"), ("traffic 50 %", "failed")]
    assert "promote" not in [name for name, _ in phases]
    assert serving(fake, url) == "1.0.0"


def test_without_previews_the_steps_are_not_taken_and_the_run_says_so(
    live_fake, gha_files, tmp_path
):
    fake, url = live_fake
    write_project(tmp_path)
    code, out, *_ = run(live_fake, gha_files, tmp_path, **STEPS)
    assert code == 0 and "a first deploy serves all the traffic at once" in out
    first = _deployed_twice(live_fake, gha_files, tmp_path)
    fake.previews = False
    sampler = Sampler(fake)
    code, out, outputs, summary, report = run_with(
        sampler.sleep, live_fake, gha_files, tmp_path, **STEPS
    )
    assert code == 0, out
    assert sampler.written == [((outputs["version"], 100),)] and sampler.waited == []
    assert "::warning title=Traffic not stepped::" in out
    assert "not in traffic-steps: the cloudflare-workers target could not stage it" in out
    assert outputs["previous-version"] == first
