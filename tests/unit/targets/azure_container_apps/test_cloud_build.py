"""build_in_registry against the ACR Tasks contract fake: upload, schedule, follow, digest."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from pmcp_action.ci.base import Platform
from pmcp_action.deadline import Deadline
from pmcp_action.errors import (
    ConfigError,
    DeployError,
    PmcpActionError,
    RemoteApiError,
    TimeoutExceededError,
)
from pmcp_action.http import HttpClientFactory, RetryPolicy
from pmcp_action.targets.azure_container_apps.acr_tasks import TASKS_API
from pmcp_action.targets.azure_container_apps.arm import Arm
from pmcp_action.targets.azure_container_apps.cloud_build import build_in_registry, task_platform
from pmcp_action.targets.azure_container_apps.failures import ArmError, CloudBuildError
from tests.fakes.azure_container_apps import BLOB_PREFIX, FakeArm, FakeEntra, built_manifest

from .helpers import CLIENT, SUBSCRIPTION, TENANT, client

ARM_BASE = "http://127.0.0.1:7002"
REGISTRY_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/calc-rg"
    "/providers/Microsoft.ContainerRegistry/registries/calcreg"
)
LOGIN_SERVER = "calcreg.azurecr.io"
TOKEN = "eyJ0eXAiOiJKV1QifQ.arm-token-" + "x" * 24
DOCKERFILE = """\
FROM rust:1-slim-bookworm AS builder
WORKDIR /app
COPY . .
RUN cargo build --release
FROM debian:bookworm-slim
COPY --from=builder /app/target/release/calc /app/calc
ENTRYPOINT ["/app/calc"]
"""


@dataclass
class Clock:
    now: float = 0.0
    slept: list[float] = field(default_factory=list)

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass
class World:
    fake: FakeArm
    arm: Arm
    console: Platform
    log: io.StringIO
    clock: Clock
    deadline: Deadline
    root: Path

    def build(self, **overrides: Any) -> str:
        args: dict[str, Any] = {
            "registry_id": REGISTRY_ID,
            "login_server": LOGIN_SERVER,
            "context_dir": self.root,
            "repository": "calc",
            "tag": "v1",
            "dockerfile": "Dockerfile",
            "build_args": {"FEATURES": "http", "BIN": "calc"},
            "platform": "linux/amd64",
            "deadline": self.deadline,
            "console": self.console,
        }
        args.update(overrides)
        return build_in_registry(self.arm, **args)

    @property
    def output(self) -> str:
        return self.log.getvalue()

    def runs(self) -> list[Any]:
        return self.fake.tasks.all_runs()

    def requests(self, rest: str, method: str = "POST") -> list[Any]:
        return self.fake.requests_to(f"{REGISTRY_ID}/{rest}", method)

    def sas_signatures(self) -> set[str]:
        """Every signature the fake issued, as the requests to its blobs carried them."""
        found: set[str] = set()
        for request in self.fake.requests_to(BLOB_PREFIX):
            found.update(v for k, v in request.params.multi_items() if k == "sig")
        return found


def _project(root: Path, dockerfile: str = DOCKERFILE) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "main.rs").write_text("fn main() {}\n")
    (root / "Cargo.toml").write_text('[package]\nname = "calc"\nversion = "0.1.0"\n')
    (root / "Dockerfile").write_text(dockerfile)
    (root / "target" / "release").mkdir(parents=True)
    (root / "target" / "release" / "calc").write_bytes(b"\x7fELF" + b"\0" * 64)
    (root / "build.log").write_text("a local log\n")
    (root / "keep.log").write_text("wanted in the image\n")
    (root / ".dockerignore").write_text("target/\n*.log\n!keep.log\n")
    return root


def _world(tmp_path: Path, *, retrying: bool = False, seconds: float = 900) -> World:
    entra = FakeEntra()
    entra.add_app(CLIENT, TENANT, secret="s")
    entra.issued[TOKEN] = CLIENT
    fake = FakeArm(entra, SUBSCRIPTION)
    fake.base = ARM_BASE
    clock = Clock()
    deadline = Deadline(seconds, clock=clock.time)
    transport = httpx.MockTransport(fake)
    # What a run uses (retries of 429/5xx and dropped connections), or the same client
    # with no retries of its own, so the target's own read-back is what recovers.
    policy = RetryPolicy() if retrying else RetryPolicy(attempts=1)
    client = HttpClientFactory(
        transport=transport, deadline=deadline, sleep=clock.sleep, policy=policy
    )()
    log = io.StringIO()
    console = Platform(environ={}, log_stream=log)
    console.mask(TOKEN)  # as sign-in does
    arm = Arm(
        client,
        ARM_BASE,
        TOKEN,
        SUBSCRIPTION,
        deadline=deadline,
        sleep=clock.sleep,
        client_id=CLIENT,
        on_wait=console.info,
    )
    return World(fake, arm, console, log, clock, deadline, _project(tmp_path / "calc"))


def _members(archive: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(archive)), mode="r:") as tar:
        return {
            m.name: (tar.extractfile(m).read() if m.isfile() else b"")  # type: ignore[union-attr]
            for m in tar.getmembers()
        }


def _expected_reference(archive: bytes) -> str:
    digest = hashlib.sha256(built_manifest(archive, "Dockerfile")).hexdigest()
    return f"{LOGIN_SERVER}/calc@sha256:{digest}"


# --- success ---------------------------------------------------------------------------


def test_a_build_returns_the_pushed_digest_and_streams_its_log_once_in_order(
    tmp_path: Path,
) -> None:
    world = _world(tmp_path)

    reference = world.build()

    [archive] = world.fake.tasks.uploaded()
    assert reference == _expected_reference(archive)
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


def test_the_upload_is_one_streamed_block_blob_without_the_arm_token(tmp_path: Path) -> None:
    world = _world(tmp_path)
    world.build()
    [put] = world.fake.requests_to(BLOB_PREFIX + "source/", "PUT")
    assert put.headers["x-ms-blob-type"] == "BlockBlob"
    assert "authorization" not in put.headers
    assert "transfer-encoding" not in put.headers
    assert int(put.headers["content-length"]) == len(put.body)
    assert all(
        r.params["api-version"] == TASKS_API
        for r in world.fake.requests
        if "/registries/" in r.path
    )


def test_dockerignore_is_honoured_with_its_exceptions(tmp_path: Path) -> None:
    world = _world(tmp_path)
    world.build()
    [archive] = world.fake.tasks.uploaded()
    members = _members(archive)
    assert "keep.log" in members  # !keep.log
    assert "build.log" not in members
    assert not [name for name in members if name.startswith("target")]
    assert members["Dockerfile"] == DOCKERFILE.encode()
    assert members["src/main.rs"] == b"fn main() {}\n"


def test_the_archive_is_reproducible(tmp_path: Path) -> None:
    world = _world(tmp_path)
    first = world.build()
    os.utime(world.root / "Cargo.toml", (12345, 12345))
    second = world.build(tag="v2")
    one, two = world.fake.tasks.uploaded()
    assert one == two
    assert first.split("@")[1] == second.split("@")[1]
    assert len(world.runs()) == 2


# --- refusals and failures -------------------------------------------------------------


def test_a_symlink_out_of_the_project_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    world = _world(tmp_path)
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
    world = _world(tmp_path)
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
    world = _world(tmp_path)
    with pytest.raises(ConfigError, match=match):
        world.build(**overrides)
    assert world.fake.requests == []


def test_a_dockerfile_missing_from_the_context_is_refused_locally(tmp_path: Path) -> None:
    world = _world(tmp_path)
    with pytest.raises(ConfigError, match="has no docker/Dockerfile"):
        world.build(dockerfile="docker/Dockerfile")
    assert world.fake.requests == []


# --- lost answers, throttling, outages -------------------------------------------------


@pytest.mark.parametrize("retrying", [False, True], ids=["no-client-retries", "retrying-client"])
@pytest.mark.parametrize("fault", ["drop", "503"])
def test_a_lost_schedule_answer_is_read_back_not_sent_twice(
    tmp_path: Path, retrying: bool, fault: str
) -> None:
    world = _world(tmp_path, retrying=retrying)
    schedule = f"{REGISTRY_ID}/scheduleRun"
    if fault == "drop":
        world.fake.faults.drop(after_handling=True, method="POST", path=schedule)
    else:
        world.fake.faults.status(503, after_handling=True, method="POST", path=schedule)

    reference = world.build()

    assert len(world.runs()) == 1  # the run the lost answer created, followed
    assert len(world.requests("scheduleRun")) == 1
    assert "but run ca1 was created; following it" in world.output
    assert reference == _expected_reference(world.fake.tasks.uploaded()[0])


def test_an_accepted_schedule_without_the_run_finds_it_in_the_list(tmp_path: Path) -> None:
    world = _world(tmp_path)
    world.fake.tasks.accept_async = True
    reference = world.build()
    assert len(world.runs()) == 1 and len(world.requests("scheduleRun")) == 1
    assert reference == _expected_reference(world.fake.tasks.uploaded()[0])


def test_a_lost_answer_with_two_new_runs_is_reported_not_guessed(tmp_path: Path) -> None:
    world = _world(tmp_path)
    world.fake.tasks.concurrent_builds = 1
    world.fake.faults.drop(after_handling=True, method="POST", path=f"{REGISTRY_ID}/scheduleRun")
    with pytest.raises(DeployError) as caught:
        world.build()
    assert caught.value.message == (
        "scheduling the ACR Tasks build of calc:v1: the answer was lost, and 2 new builds "
        "started meanwhile (ca1, ca2); which one is this run's cannot be told."
    )
    assert len(world.requests("scheduleRun")) == 1


def test_a_concurrent_build_does_not_confuse_a_clean_answer(tmp_path: Path) -> None:
    world = _world(tmp_path)
    world.fake.tasks.concurrent_builds = 1
    reference = world.build()
    assert reference == _expected_reference(world.fake.tasks.uploaded()[0])
    assert "run ca1 builds calc:v1" in world.output


@pytest.mark.parametrize("garbage", ["json", "truncated-json", "content-type"])
def test_an_unreadable_schedule_answer_is_read_back_then_sent_again(
    tmp_path: Path, garbage: Any
) -> None:
    world = _world(tmp_path)
    world.fake.faults.garbage(garbage, method="POST", path=f"{REGISTRY_ID}/scheduleRun")
    reference = world.build()
    assert len(world.requests("scheduleRun")) == 2  # the garbled one did not start a run
    assert len(world.runs()) == 1
    assert "no run was created, sending it again" in world.output
    assert reference == _expected_reference(world.fake.tasks.uploaded()[0])


def test_a_schedule_refused_before_it_ran_is_sent_again_after_a_read(tmp_path: Path) -> None:
    world = _world(tmp_path)
    world.fake.faults.status(429, retry_after=2, method="POST", path=f"{REGISTRY_ID}/scheduleRun")
    world.build()
    assert len(world.requests("scheduleRun")) == 2
    assert len(world.runs()) == 1
    assert "HTTP 429; no run was created, sending it again" in world.output


@pytest.mark.parametrize("retrying", [False, True], ids=["no-client-retries", "retrying-client"])
def test_throttling_and_outages_are_retried(tmp_path: Path, retrying: bool) -> None:
    world = _world(tmp_path, retrying=retrying)
    faults = world.fake.faults
    faults.status(429, retry_after=3, path=f"{REGISTRY_ID}/listBuildSourceUploadUrl")
    faults.status(503, times=2, method="PUT", path=BLOB_PREFIX)
    faults.drop(method="PUT", path=BLOB_PREFIX)
    faults.status(503, method="GET", path=f"{REGISTRY_ID}/runs/ca1")
    faults.status(429, method="GET", path=f"{REGISTRY_ID}/runs/ca1")
    faults.status(503, method="GET", path=BLOB_PREFIX + "logs/")

    reference = world.build()

    assert faults.pending == 0
    assert reference == _expected_reference(world.fake.tasks.uploaded()[0])
    assert len(world.fake.requests_to(BLOB_PREFIX + "source/", "PUT")) == 4
    assert [r.status for r in world.runs()] == ["Succeeded"]
    steps = [line for line in world.output.splitlines() if line.startswith("Step ")]
    assert len(steps) == len(set(steps)) == 7


def test_a_run_that_never_finishes_stops_at_the_deadline_and_is_cancelled(tmp_path: Path) -> None:
    world = _world(tmp_path, seconds=600)
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


def test_a_log_read_in_small_windows_shows_each_line_once_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pmcp_action.targets.azure_container_apps import sas_blob

    monkeypatch.setattr(sas_blob, "_WINDOW", 50)  # lines split across reads
    world = _world(tmp_path)
    world.build()
    [run] = world.runs()
    blob = world.fake.tasks.blobs[run.log_blob].data.decode()
    shown = world.output.splitlines()
    first = shown.index(blob.splitlines()[0])
    assert shown[first : first + len(blob.splitlines())] == blob.splitlines()
    ranges = [r.headers["range"] for r in world.fake.requests_to(BLOB_PREFIX + "logs/", "GET")]
    assert "bytes=50-99" in ranges and len(ranges) > len(blob) // 50


def test_a_refused_log_link_is_asked_for_again(tmp_path: Path) -> None:
    world = _world(tmp_path)
    world.fake.faults.status(403, method="GET", path=BLOB_PREFIX + "logs/")
    world.build()
    assert len(world.requests("runs/ca1/listLogSasUrl")) == 2
    steps = [line for line in world.output.splitlines() if line.startswith("Step ")]
    assert len(steps) == len(set(steps)) == 7


def test_a_log_that_may_not_be_read_does_not_stop_the_build(tmp_path: Path) -> None:
    world = _world(tmp_path)
    world.fake.forbidden.append(f"{REGISTRY_ID}/runs/ca1/listLogSasUrl".lower())
    reference = world.build()
    assert reference == _expected_reference(world.fake.tasks.uploaded()[0])
    assert len(world.requests("runs/ca1/listLogSasUrl")) == 1
    assert "warning: asking for the log of run ca1 failed: AuthorizationFailed" in world.output
    assert "The build goes on; its log is not shown here." in world.output
    assert "Step 1/" not in world.output


def test_a_forbidden_registry_names_the_role_and_is_not_retried(tmp_path: Path) -> None:
    world = _world(tmp_path)
    world.fake.forbidden.append(REGISTRY_ID.lower())
    with pytest.raises(ArmError) as caught:
        world.build()
    assert caught.value.status == 403
    assert "Contributor" in caught.value.remediation and "calc-rg" in caught.value.remediation
    assert len(world.requests("listBuildSourceUploadUrl")) == 1


# --- secrets ---------------------------------------------------------------------------


def _texts(error: PmcpActionError) -> str:
    return "\n".join([str(error), error.diagnostics(), getattr(error, "body", "")])


def test_sas_urls_and_tokens_never_reach_the_console_or_errors(tmp_path: Path) -> None:
    texts: list[str] = []
    worlds: list[World] = []

    world = _world(tmp_path / "ok")  # success, with retries of the blob calls
    world.fake.faults.status(503, method="PUT", path=BLOB_PREFIX)
    world.fake.faults.status(503, method="GET", path=BLOB_PREFIX)
    world.build()
    worlds.append(world)
    assert any(BLOB_PREFIX in value for value in world.console.redactor.values)

    world = _world(tmp_path / "failed")
    (world.root / "Dockerfile").write_text("FROM x\nRUN false\n")
    with pytest.raises(CloudBuildError) as failed:
        world.build()
    texts.append(_texts(failed.value))
    worlds.append(world)

    world = _world(tmp_path / "refused")  # storage refuses the upload (a wrong signature)
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

    world = _world(tmp_path / "slow", seconds=300)
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


# --- the fake's contract ---------------------------------------------------------------


def test_the_fake_refuses_what_acr_tasks_refuses(tmp_path: Path) -> None:
    world = _world(tmp_path)
    arm = world.arm
    upload = arm.call("POST", f"{REGISTRY_ID}/listBuildSourceUploadUrl", TASKS_API, "url").json()
    good = {
        "type": "DockerBuildRequest",
        "imageNames": ["calc:v1"],
        "isPushEnabled": True,
        "sourceLocation": upload["relativePath"],
        "dockerFilePath": "Dockerfile",
        "platform": {"os": "Linux", "architecture": "amd64"},
    }

    def refused(body: dict[str, Any]) -> ArmError:
        with pytest.raises(ArmError) as caught:
            arm.call("POST", f"{REGISTRY_ID}/scheduleRun", TASKS_API, "schedule", body=body)
        assert caught.value.status == 400
        return caught.value

    assert refused(good).code == "InvalidSourceLocation"  # nothing uploaded yet
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        info = tarfile.TarInfo("README")
        tar.addfile(info, io.BytesIO(b""))
    client(httpx.MockTransport(world.fake)).put(
        upload["uploadUrl"], content=archive.getvalue(), headers={"x-ms-blob-type": "BlockBlob"}
    )
    assert refused(good).code == "DockerfileNotFound"
    error = refused({**good, "cacheFrom": "x"})
    assert error.code == "InvalidRequestContent" and "cacheFrom" in error.message
    assert "timeout" in refused({**good, "timeout": 10}).message
    assert world.runs() == []


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
    root = _project(tmp_path / "calc")
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
    assert reference == _expected_reference(archive)
    assert log.getvalue().count("Run ID: ca1 was successful after 3s\n") == 1
