"""traffic-steps on Lambda, the whole program against moto: alias ``live``'s routing
configuration sampled at every write the run makes (the proxy's log) and while it waits
(the injected sleep), and the versions its function URL reached at each step (the URL
hosts route by the weights); a step whose live verification fails puts 100 % back on the
old version; another writer moving ``live`` between two steps stops the run, which undoes
nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.aws_lambda import MotoProxy
from tests.fakes.aws_lambda.url_hosts import FunctionUrlHosts
from tests.fakes.mcp_servers import serve_mcp, serve_static

from .test_pipeline import staged_deploy

pytestmark = pytest.mark.timeout(300)

FUNCTION = "staged-demo"
STEPS = {"traffic_steps": "10,50,100", "traffic_step_seconds": "7"}

#: ``live``: its version, and the additional version's share in whole percent.
Split = tuple[str, tuple[tuple[str, int], ...]]


def split_of(alias: dict[str, Any]) -> Split:
    weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    return str(alias["FunctionVersion"]), tuple(
        (str(v), round(float(w) * 100)) for v, w in sorted(weights.items())
    )


class Sampler:
    """Every write to ``live`` (in order), ``live`` during each step's wait, and how far the
    URL hosts' log had got at each wait."""

    def __init__(self, proxy: MotoProxy, hosts: FunctionUrlHosts, lam: Any) -> None:
        self.proxy, self.hosts, self.lam = proxy, hosts, lam
        self.waited: list[Split] = []
        self.marks: list[int] = []

    def sleep(self, seconds: float) -> None:
        if seconds == 7:  # traffic-step-seconds: the only wait that long in these runs
            self.waited.append(split_of(self.lam.get_alias(FunctionName=FUNCTION, Name="live")))
            self.marks.append(len(self.hosts.invocations))

    def written(self) -> list[tuple[str, tuple[tuple[str, int], ...]]]:
        """Each UpdateAlias of ``live``: the version and the routing it asked for."""
        writes = []
        for request in self.proxy.requests_for("UpdateAlias"):
            if not request.path.endswith("/aliases/live"):
                continue
            body = json.loads(request.body)
            weights = (body.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
            writes.append(
                (
                    str(body["FunctionVersion"]),
                    tuple((str(v), round(float(w) * 100)) for v, w in sorted(weights.items())),
                )
            )
        return writes

    def live_versions(self, start: int, end: int | None = None) -> list[str]:
        """The versions live's URL reached between two marks of the hosts' log."""
        return [i.version for i in self.hosts.invocations[start:end] if i.qualifier == "live"]


def _phases(outputs: dict[str, str]) -> list[tuple[str, str]]:
    report = json.loads(Path(outputs["report-path"]).read_text())
    return [(p["name"], p["outcome"]) for p in report["phases"]]


def _first(gha_files: Any, workspace: Path, proxy: MotoProxy, hosts: FunctionUrlHosts) -> None:
    code, out, outputs, _ = staged_deploy(gha_files, workspace, proxy.url, hosts, b"v1")
    assert code == 0 and outputs["version"] == "1", out
    hosts.reset()
    proxy.reset()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    path.mkdir()
    return path


def test_every_step_is_taken_in_order_then_promoted(gha_files, workspace, proxy, aws):
    lam = aws("lambda")
    with serve_mcp(tools=("greet",)) as good:
        hosts = FunctionUrlHosts(default_url=good.url)
        _first(gha_files, workspace, proxy, hosts)
        sampler = Sampler(proxy, hosts, lam)
        code, out, outputs, summary = staged_deploy(
            gha_files, workspace, proxy.url, hosts, b"v2", sleep=sampler.sleep, **STEPS
        )

    assert code == 0, out
    assert (outputs["version"], outputs["previous-version"]) == ("2", "1")
    assert outputs["verified"] == "true" and outputs["rolled-back"] == "false"
    assert sampler.written() == [
        ("1", (("2", 10),)),
        ("1", (("2", 50),)),
        ("2", ()),  # promoted: live on 2, the routing cleared
    ]
    assert sampler.waited == [("1", (("2", 10),)), ("1", (("2", 50),))]
    assert split_of(lam.get_alias(FunctionName=FUNCTION, Name="live")) == ("2", ())
    assert _phases(outputs) == [
        ("validate", "ok"),
        ("deploy", "ok"),
        ("verify candidate", "ok"),
        ("traffic 10 %", "ok"),
        ("traffic 50 %", "ok"),
        ("promote", "ok"),
        ("verify", "ok"),
    ]
    # Each step was verified at live's URL; at 50 % the split reached both versions.
    at_10, at_50 = sampler.marks
    assert set(sampler.live_versions(at_10, at_50)) <= {"1", "2"}
    assert sampler.live_versions(at_10, at_50)
    assert set(sampler.live_versions(at_50)) == {"1", "2"}, sampler.live_versions(at_50)
    assert "Alias live: version 2 at 10 %, 1 at 90 %." in out
    assert "| traffic 10 % |" in summary and "| traffic 50 % |" in summary


def test_a_step_that_fails_puts_all_traffic_back_on_the_old_version(
    gha_files, workspace, proxy, aws
):
    lam = aws("lambda")
    with serve_mcp(tools=("greet",)) as good, serve_static("<h1>502</h1>", status=502) as bad:
        hosts = FunctionUrlHosts(default_url=good.url)
        _first(gha_files, workspace, proxy, hosts)
        sampler = Sampler(proxy, hosts, lam)

        def breaks_at_half(seconds: float) -> None:
            sampler.sleep(seconds)
            if sampler.waited and sampler.waited[-1][1] == (("2", 50),):
                # Version 2 fails once it takes real traffic (its own URL passed).
                hosts.serves["2"] = bad.url

        code, out, outputs, summary = staged_deploy(
            gha_files, workspace, proxy.url, hosts, b"v2", sleep=breaks_at_half, **STEPS
        )

    assert code == 1, out
    assert outputs["rolled-back"] == "true" and outputs["verified"] == "false"
    assert sampler.written() == [
        ("1", (("2", 10),)),
        ("1", (("2", 50),)),
        ("1", ()),  # 100 % back on version 1
    ]
    assert split_of(lam.get_alias(FunctionName=FUNCTION, Name="live")) == ("1", ())
    assert "2" in sampler.live_versions(sampler.marks[-1])  # the failure was seen live
    assert _phases(outputs)[-4:] == [
        ("traffic 10 %", "ok"),
        ("traffic 50 %", "failed"),
        ("logs", "ok"),
        ("rollback", "ok"),
    ]
    assert "while version 2 took 50 % of the traffic" in summary
    assert "Version 1 serves 100 % again" in summary


@pytest.mark.parametrize("during", [10, 50])
def test_another_writer_between_steps_stops_the_run_without_undoing_it(
    gha_files, workspace, proxy, aws, during
):
    lam = aws("lambda")
    with serve_mcp(tools=("greet",)) as good:
        hosts = FunctionUrlHosts(default_url=good.url)
        _first(gha_files, workspace, proxy, hosts)
        sampler = Sampler(proxy, hosts, lam)

        def another_run_rolls_back(seconds: float) -> None:
            sampler.sleep(seconds)
            if seconds == 7 and sampler.waited[-1][1] == (("2", during),):
                # While the run waits at this step, another run puts everything on 1.
                lam.update_alias(
                    FunctionName=FUNCTION,
                    Name="live",
                    FunctionVersion="1",
                    RoutingConfig={"AdditionalVersionWeights": {}},
                )

        code, out, outputs, summary = staged_deploy(
            gha_files, workspace, proxy.url, hosts, b"v2", sleep=another_run_rolls_back, **STEPS
        )

    assert code == 1, out
    taken = [("1", (("2", p),)) for p in (10, 50) if p <= during]
    assert sampler.written() == taken  # nothing after: not put back, not promoted
    assert split_of(lam.get_alias(FunctionName=FUNCTION, Name="live")) == ("1", ())
    assert "Another run moved the traffic" in summary
    said = f"no longer split as this run left it (version 2 at {during} %, 1 at {100 - during} %)"
    assert said in summary
    assert outputs["rolled-back"] == "false"
    phases = _phases(outputs)
    assert phases[-2:] == [("traffic 10 %", "ok"), ("traffic 50 %", "failed")]
    assert "promote" not in [name for name, _ in phases]


def test_a_write_refused_for_a_stale_revision_is_another_runs_move(
    gha_files, workspace, proxy, aws
):
    """The other run moves ``live`` between the step's read and its write: Lambda refuses the
    write (RevisionId), the re-read shows another split, and the run stops."""
    lam = aws("lambda")
    with serve_mcp(tools=("greet",)) as good:
        hosts = FunctionUrlHosts(default_url=good.url)
        _first(gha_files, workspace, proxy, hosts)
        sampler = Sampler(proxy, hosts, lam)
        moved = {"done": False}

        def moves_before_the_50_write() -> None:
            alias = lam.get_alias(FunctionName=FUNCTION, Name="live")
            if split_of(alias) == ("1", (("2", 10),)) and not moved["done"]:
                moved["done"] = True
                lam.update_alias(
                    FunctionName=FUNCTION,
                    Name="live",
                    FunctionVersion="1",
                    RoutingConfig={"AdditionalVersionWeights": {"2": 0.3}},
                )

        def sleep(seconds: float) -> None:
            sampler.sleep(seconds)
            if seconds == 7 and len(sampler.waited) == 1:
                # The next UpdateAlias (the 50 % write) meets the world after this move.
                proxy.meanwhile("UpdateAlias", moves_before_the_50_write)

        code, out, outputs, summary = staged_deploy(
            gha_files, workspace, proxy.url, hosts, b"v2", sleep=sleep, **STEPS
        )

    assert code == 1, out
    assert moved["done"]
    assert split_of(lam.get_alias(FunctionName=FUNCTION, Name="live")) == ("1", (("2", 30),))
    assert "Another run moved the traffic" in summary
    assert outputs["rolled-back"] == "false"
    assert "promote" not in [name for name, _ in _phases(outputs)]
