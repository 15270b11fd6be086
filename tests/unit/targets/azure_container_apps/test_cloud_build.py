"""build_in_registry against the ACR Tasks contract fake: upload, schedule, follow, digest."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from pathlib import Path

import httpx
import pytest

from pmcp_action.ci.base import Platform
from pmcp_action.deadline import Deadline
from pmcp_action.errors import (
    ConfigError,
    PmcpActionError,
    RemoteApiError,
    TimeoutExceededError,
)
from pmcp_action.http import HttpClientFactory
from pmcp_action.polling import OPERATION_POLL
from pmcp_action.targets.azure_container_apps.arm import Arm
from pmcp_action.targets.azure_container_apps.cloud_build import build_in_registry, task_platform
from pmcp_action.targets.azure_container_apps.failures import CloudBuildError
from tests.fakes.azure_container_apps import BLOB_PREFIX
from tests.support.sim_clock import FINISHING_TIMES

from .helpers import (
    CLIENT,
    DOCKERFILE,
    LOGIN_SERVER,
    REGISTRY_ID,
    SUBSCRIPTION,
    TOKEN,
    BuildWorld,
    Clock,
    build_project,
    build_world,
    expected_reference,
)


def _members(archive: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(archive)), mode="r:") as tar:
        return {
            m.name: (tar.extractfile(m).read() if m.isfile() else b"")  # type: ignore[union-attr]
            for m in tar.getmembers()
        }


def _texts(error: PmcpActionError) -> str:
    return "\n".join([str(error), error.diagnostics(), getattr(error, "body", "")])


def test_a_build_returns_the_pushed_digest_and_streams_its_log_once_in_order(
    tmp_path: Path,
) -> None:
    world = build_world(tmp_path)

    reference = world.build()

    [archive] = world.fake.tasks.uploaded()
    assert reference == expected_reference(archive)
    [run] = world.runs()
    assert run.status == "Succeeded"
    assert run.request == {
        "type": "DockerBuildRequest",
        "imageNames": ["calc:v1"],
        "isPushEnabled": True,
        "noCache": False,
        "sourceLocation": run.request["sourceLocation"],
        "dockerFilePath": "Dockerfile",
        "platform": {"os": "Linux", "architecture": "amd64"},
        "arguments": [
            {"name": "BIN", "value": "calc", "isSecret": False},
            {"name": "FEATURES", "value": "http", "isSecret": False},
        ],
        "timeout": 900,
    }
    assert run.request["sourceLocation"].startswith("source/")
    lines = world.output.splitlines()
    steps = [line for line in lines if line.startswith("Step ")]
    assert steps == [f"Step {i}/7 : {s}" for i, s in enumerate(DOCKERFILE.splitlines(), 1)]
    for line in ("Waiting for an agent...", "Run ID: ca1 was successful after 3s"):
        assert lines.count(line) == 1
    assert lines.index("Waiting for an agent...") < lines.index("Step 1/7 : " + DOCKERFILE[:36])
    assert lines[-1] == f"ACR Tasks run ca1 pushed {LOGIN_SERVER}/calc:v1 as {reference[-71:]}"
    # The log was read as it grew (several ranged reads), not once at the end.
    reads = world.fake.requests_to(BLOB_PREFIX + "logs/", "GET")
    assert len(reads) >= 4
    assert all(r.headers["range"].startswith("bytes=") for r in reads)


def test_dockerignore_is_honoured_with_its_exceptions(tmp_path: Path) -> None:
    world = build_world(tmp_path)
    world.build()
    [archive] = world.fake.tasks.uploaded()
    members = _members(archive)
    assert "keep.log" in members  # !keep.log
    assert "build.log" not in members
    assert not [name for name in members if name.startswith("target")]
    assert members["Dockerfile"] == DOCKERFILE.encode()
    assert members["src/main.rs"] == b"fn main() {}\n"


def test_the_archive_is_reproducible(tmp_path: Path) -> None:
    world = build_world(tmp_path)
    first = world.build()
    os.utime(world.root / "Cargo.toml", (12345, 12345))
    second = world.build(tag="v2")
    one, two = world.fake.tasks.uploaded()
    assert one == two
    assert first.split("@")[1] == second.split("@")[1]
    assert len(world.runs()) == 2


def test_a_symlink_out_of_the_project_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    world = build_world(tmp_path)
    (tmp_path / "id_rsa").write_text("private")
    os.symlink(tmp_path / "id_rsa", world.root / "src" / "key")
    with pytest.raises(ConfigError) as caught:
        world.build()
    assert caught.value.message.startswith(
        f"src/key in the build context is a symlink to {tmp_path / 'id_rsa'}, outside the build "
        f"context {world.root}"
    )
    assert world.fake.requests == []


def test_a_failing_build_shows_the_runs_error_and_the_log_tail(tmp_path: Path) -> None:
    world = build_world(tmp_path)
    (world.root / "Dockerfile").write_text("FROM rust:1\nCOPY . .\nRUN false\nRUN never\n")
    with pytest.raises(CloudBuildError) as caught:
        world.build()
    error = caught.value
    assert error.message == (
        "The ACR Tasks run ca1 building calc:v1 ended Failed: failed during run, err: exit "
        "status 1."
    )
    assert error.status == "Failed" and error.run_id == "ca1"
    assert error.details.startswith("Last ")
    assert error.details.endswith(
        "Step 3/4 : RUN false\n ---> Running in 3f9c0e\n"
        "The command '/bin/sh -c false' returned a non-zero code: 1\n"
        "failed to run step ID: build: exit status 1"
    )
    assert "Step 4/4" not in world.output
    assert "Fix Dockerfile" in error.remediation


@pytest.mark.parametrize(
    ("platform", "named"),
    [
        ("linux/amd64", {"os": "Linux", "architecture": "amd64"}),
        ("Linux/ARM64/v8", {"os": "Linux", "architecture": "arm64", "variant": "v8"}),
        ("darwin/arm64", None),
        ("linux", None),
        ("linux/riscv64", None),
    ],
)
def test_the_platform_is_named_as_acr_tasks_names_it(
    platform: str, named: dict[str, str] | None
) -> None:
    if named is None:
        with pytest.raises(ConfigError, match="cannot be built in ACR Tasks"):
            task_platform(platform)
    else:
        assert task_platform(platform) == named


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"repository": "Calc"}, "is not a valid image name"),
        ({"tag": "-v1"}, "is not a valid image name"),
        ({"platform": "linux/sparc"}, "cannot be built"),
    ],
)
def test_bad_names_are_refused_before_anything_is_sent(
    tmp_path: Path, overrides: dict[str, str], match: str
) -> None:
    world = build_world(tmp_path)
    with pytest.raises(ConfigError, match=match):
        world.build(**overrides)
    assert world.fake.requests == []


def test_a_dockerfile_missing_from_the_context_is_refused_locally(tmp_path: Path) -> None:
    world = build_world(tmp_path)
    with pytest.raises(ConfigError, match="has no docker/Dockerfile"):
        world.build(dockerfile="docker/Dockerfile")
    assert world.fake.requests == []


@pytest.mark.parametrize("retrying", [False, True], ids=["no-client-retries", "retrying-client"])
def test_throttling_and_outages_are_retried(tmp_path: Path, retrying: bool) -> None:
    world = build_world(tmp_path, retrying=retrying)
    faults = world.fake.faults
    faults.status(429, retry_after=3, path=f"{REGISTRY_ID}/listBuildSourceUploadUrl")
    faults.status(503, times=2, method="PUT", path=BLOB_PREFIX)
    faults.drop(method="PUT", path=BLOB_PREFIX)
    faults.status(503, method="GET", path=f"{REGISTRY_ID}/runs/ca1")
    faults.status(429, method="GET", path=f"{REGISTRY_ID}/runs/ca1")
    faults.status(503, method="GET", path=BLOB_PREFIX + "logs/")

    reference = world.build()

    assert faults.pending == 0
    assert reference == expected_reference(world.fake.tasks.uploaded()[0])
    assert len(world.fake.requests_to(BLOB_PREFIX + "source/", "PUT")) == 4
    assert [r.status for r in world.runs()] == ["Succeeded"]
    steps = [line for line in world.output.splitlines() if line.startswith("Step ")]
    assert len(steps) == len(set(steps)) == 7


def test_a_run_that_never_finishes_stops_at_the_deadline_and_is_cancelled(tmp_path: Path) -> None:
    world = build_world(tmp_path, seconds=600)
    world.fake.tasks.never_finish = True
    with pytest.raises(TimeoutExceededError) as caught:
        world.build()
    assert caught.value.message == (
        "The ACR Tasks run ca1 building calc:v1 had not finished (status Running) when the "
        "deadline of 600 s passed; it was cancelled."
    )
    assert "still building..." in caught.value.details
    assert "timeout-minutes" in caught.value.remediation
    assert [r.status for r in world.runs()] == ["Canceled"]
    assert 600 <= world.clock.now < 700


def test_sas_urls_and_tokens_never_reach_the_console_or_errors(tmp_path: Path) -> None:
    texts: list[str] = []
    worlds: list[BuildWorld] = []

    world = build_world(tmp_path / "ok")  # success, with retries of the blob calls
    world.fake.faults.status(503, method="PUT", path=BLOB_PREFIX)
    world.fake.faults.status(503, method="GET", path=BLOB_PREFIX)
    world.build()
    worlds.append(world)
    assert any(BLOB_PREFIX in value for value in world.console.redactor.values)

    world = build_world(tmp_path / "failed")
    (world.root / "Dockerfile").write_text("FROM x\nRUN false\n")
    with pytest.raises(CloudBuildError) as failed:
        world.build()
    texts.append(_texts(failed.value))
    worlds.append(world)

    world = build_world(tmp_path / "refused")  # storage refuses the upload (a wrong signature)
    world.fake.faults.status(
        403, method="PUT", path=BLOB_PREFIX, body="<Error><Code>AuthenticationFailed</Code></Error>"
    )
    with pytest.raises(RemoteApiError) as refused:
        world.build()
    assert refused.value.message == (
        "uploading the build context failed: HTTP 403 AuthenticationFailed."
    )
    texts.append(_texts(refused.value))
    worlds.append(world)

    world = build_world(tmp_path / "slow", seconds=300)
    world.fake.tasks.never_finish = True
    with pytest.raises(TimeoutExceededError) as slow:
        world.build()
    texts.append(_texts(slow.value))
    worlds.append(world)

    secrets = {TOKEN} | set().union(*(w.sas_signatures() for w in worlds))
    assert len(secrets) >= 8  # the token, each upload's and each log link's signature
    written = "\n".join(texts + [w.output for w in worlds])
    assert "Step 1/" in written  # the log is there, its links are not
    for secret in secrets:
        assert secret not in written
    assert BLOB_PREFIX not in written


def test_a_build_over_real_loopback_sockets(tmp_path: Path) -> None:
    """The streamed upload and the ranged log reads over HTTP/1.1, not a mock transport."""
    from tests.fakes.azure_container_apps import FakeAzure
    from tests.fakes.mcp_servers import unused_port
    from tests.fakes.server import LoopbackServer

    port = unused_port()
    base = f"http://127.0.0.1:{port}"
    fake = FakeAzure(base, SUBSCRIPTION)
    fake.entra.issued[TOKEN] = CLIENT
    clock = Clock()
    deadline = Deadline(900, clock=clock.time)
    log = io.StringIO()
    console = Platform(environ={}, log_stream=log)
    root = build_project(tmp_path / "calc")
    (root / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024))  # several chunks, incompressible
    with (
        LoopbackServer(fake, port=port),
        HttpClientFactory(deadline=deadline, sleep=clock.sleep)() as client,
    ):
        arm = Arm(client, base, TOKEN, SUBSCRIPTION, deadline=deadline, sleep=clock.sleep)
        reference = build_in_registry(
            arm,
            registry_id=REGISTRY_ID,
            login_server=LOGIN_SERVER,
            context_dir=root,
            repository="calc",
            tag="v1",
            dockerfile="Dockerfile",
            build_args={},
            platform="linux/amd64",
            deadline=deadline,
            console=console,
        )
    [archive] = fake.arm.tasks.uploaded()
    assert len(archive) > 3 * 1024 * 1024
    assert _members(archive)["big.bin"] == (root / "big.bin").read_bytes()
    assert reference == expected_reference(archive)
    assert log.getvalue().count("Run ID: ca1 was successful after 3s\n") == 1


@pytest.mark.parametrize("ends_at", FINISHING_TIMES)
def test_a_run_that_ends_is_noticed_within_3_s(tmp_path: Path, ends_at: float) -> None:
    """The run builds until ``ends_at`` s after its first read, then ends at the next read."""
    world = build_world(tmp_path)
    tasks = world.fake.tasks
    tasks.queued_reads = 0
    started: list[float] = []

    def gate(request: httpx.Request) -> None:
        parts = request.url.path.split("/runs/")
        if request.method != "GET" or len(parts) != 2 or "/" in parts[1]:
            return None
        started[:] = started or [world.clock.now]
        ended = world.clock.now >= started[0] + ends_at
        tasks.never_finish = not ended
        for run in tasks.runs.values():
            if ended and run.status == "Running":
                run.done_steps = len(run.steps)

    world.before.append(gate)
    reference = world.build()
    assert reference == expected_reference(world.fake.tasks.uploaded()[0])
    assert [r.status for r in world.runs()] == ["Succeeded"]
    lag = world.clock.now - (started[0] + ends_at)
    assert 0.0 <= lag <= OPERATION_POLL.worst_lag == 3.0
    assert max(world.clock.slept, default=0.0) <= 3.0
