"""oci_image (the kind) end to end against the fake registry: auth, push, unchanged, faults,
refusals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pmcp_action.deadline import Deadline
from pmcp_action.errors import DeployError, RemoteApiError, TimeoutExceededError, ValidationError
from tests.fakes.oci_registry import FakeOciRegistry
from tests.unit.artifact.helpers import EM_AARCH64, elf, write
from tests.unit.artifact.oci_image.helpers import (
    HOST,
    HOST_BINARY,
    SHA,
    factory,
    kind,
    request,
    seed_base,
)


@pytest.fixture
def fake() -> FakeOciRegistry:
    return FakeOciRegistry(host=HOST)


@pytest.fixture
def binary(tmp_path: Path) -> Path:
    path = tmp_path / "target" / "release" / "calc"
    path.parent.mkdir(parents=True)
    shutil.copy(HOST_BINARY, path)
    return path


def _uploads(fake: FakeOciRegistry) -> list[str]:
    return [r.method for r in fake.requests if "/blobs/uploads/" in r.path]


def test_assembles_pushes_by_digest_and_an_unchanged_binary_pushes_nothing(
    fake: FakeOciRegistry, tmp_path: Path, binary: Path
) -> None:
    base = seed_base(fake)
    req, log = request(tmp_path)
    result = kind(fake, base).obtain(req)
    assert result.source == "assembled" and result.pushed
    assert result.reference == f"{HOST}/acme/calc@{result.digest}"
    assert result.tagged == f"{HOST}/acme/calc:{SHA}"
    assert fake.tags["acme/calc"][SHA] == result.digest
    media_type, body = fake.manifests["acme/calc"][result.digest]
    manifest = json.loads(body)
    assert len(manifest["layers"]) == 2
    config = json.loads(fake.blobs["acme/calc"][manifest["config"]["digest"]])
    assert config["config"]["Entrypoint"] == ["/usr/local/bin/calc"]
    assert config["config"]["Env"] == ["PATH=/usr/bin:/bin", "PORT=8080"]
    assert config["config"]["ExposedPorts"] == {"8080/tcp": {}}
    assert config["config"]["User"] == "65532:65532"
    assert config["config"]["Labels"] == {
        "org.opencontainers.image.revision": SHA,
        "org.opencontainers.image.source": "https://github.com/acme/calc",
    }
    # The base layer was mounted from base/debian, not uploaded.
    assert any("mount=" in r.query for r in fake.requests)
    # Tokens and passwords are masked and never printed.
    output = log.getvalue()
    assert "s3cret-pw" not in output.replace("::add-mask::s3cret-pw", "")
    assert "Bearer" not in output

    fake.requests.clear()
    again, _ = request(tmp_path)
    second = kind(fake, base).obtain(again)
    assert (second.digest, second.pushed, second.uploaded_bytes) == (result.digest, False, 0)
    assert _uploads(fake) == []


def test_basic_auth_registry(tmp_path: Path, binary: Path) -> None:
    fake = FakeOciRegistry(host=HOST, auth="basic")
    base = seed_base(fake)
    result = kind(fake, base).obtain(request(tmp_path)[0])
    assert result.pushed and fake.tags["acme/calc"][SHA] == result.digest


def test_a_5xx_and_a_dropped_connection_during_the_upload_resume_from_the_confirmed_offset(
    fake: FakeOciRegistry, tmp_path: Path, binary: Path
) -> None:
    base = seed_base(fake)
    fake.faults.status(503, method="PATCH", path="/v2/acme/calc/blobs/uploads/")
    fake.truncate_next_patch = None
    # Small chunks so the layer takes several PATCHes; the second one breaks half-way.
    image = kind(fake, base, chunk_size=4096)
    calls = {"n": 0}
    real_call = fake.handle

    def handle(req):
        if req.method == "PATCH":
            calls["n"] += 1
            if calls["n"] == 2:
                fake.truncate_next_patch = 1000
        return real_call(req)

    fake.handle = handle  # type: ignore[method-assign]
    result = image.obtain(request(tmp_path)[0])
    assert result.pushed
    patches = [r for r in fake.requests if r.method == "PATCH"]
    assert patches[0].fault == "status 503"
    ranges = [r.headers["Content-Range"] for r in patches]
    # After the 503 the upload resumed at 0; after the drop at the 1000 bytes confirmed.
    assert ranges[:4] == ["0-4095", "0-4095", "4096-8191", "5096-9191"]
    status_checks = [r for r in fake.requests if r.method == "GET" and "/uploads/" in r.path]
    assert len(status_checks) == 2
    layer = json.loads(fake.manifests["acme/calc"][result.digest][1])["layers"][-1]
    assert fake.blobs["acme/calc"][layer["digest"]][:2] == b"\x1f\x8b"


def test_an_upload_the_registry_forgot_is_restarted(
    fake: FakeOciRegistry, tmp_path: Path, binary: Path
) -> None:
    base = seed_base(fake)
    fake.faults.drop(method="PATCH")
    fake.faults.status(404, method="GET", path="/v2/acme/calc/blobs/uploads/")
    result = kind(fake, base).obtain(request(tmp_path)[0])
    assert result.pushed
    starts = [r for r in fake.requests if r.method == "POST" and not r.query]
    assert len(starts) >= 2  # a new upload after the registry lost the first


def test_a_push_past_the_deadline_stops_cleanly_and_tags_nothing(
    fake: FakeOciRegistry, tmp_path: Path, binary: Path
) -> None:
    base = seed_base(fake)
    now = {"t": 0.0}
    deadline = Deadline(60, clock=lambda: now["t"])

    fake.faults.drop(method="PATCH")  # the first PATCH takes "100 s", then breaks
    original = fake.process

    def process(req):
        if req.method == "PATCH":
            now["t"] += 100.0
        return original(req)

    fake.process = process  # type: ignore[method-assign]
    with pytest.raises(TimeoutExceededError) as error:
        kind(fake, base, http=factory(fake, deadline)).obtain(request(tmp_path)[0])
    assert "stopped at the deadline of 60 s" in error.value.message
    assert "nothing was tagged" in error.value.message
    assert "acme/calc" not in fake.tags
    assert any(r.method == "DELETE" for r in fake.requests)
    assert fake.uploads == {}


def test_a_refused_push_carries_the_registry_text(
    fake: FakeOciRegistry, tmp_path: Path, binary: Path
) -> None:
    base = seed_base(fake)
    fake.deny_push.add("acme/calc")
    with pytest.raises(RemoteApiError) as error:
        kind(fake, base).obtain(request(tmp_path)[0])
    assert error.value.status == 403
    assert "DENIED: requested access to the resource is denied" in error.value.message
    assert "registry-username" in error.value.remediation
    assert "acme/calc" not in fake.tags


def test_wrong_credentials_are_refused_by_the_token_service(
    fake: FakeOciRegistry, tmp_path: Path, binary: Path
) -> None:
    from pmcp_action.artifact.oci_image import RegistryLogin

    base = seed_base(fake)
    bad = RegistryLogin("pusher", "wrong", source="registry-username")
    with pytest.raises(RemoteApiError) as error:
        kind(fake, base, login=bad).obtain(request(tmp_path)[0])
    assert error.value.message == (
        f"The token service of {HOST} (http://{HOST}/token) refused registry-username: "
        "HTTP 401 UNAUTHORIZED: incorrect username or password."
    )


def test_wrong_architecture_and_old_glibc_fail_before_any_push(
    fake: FakeOciRegistry, tmp_path: Path, binary: Path
) -> None:
    old = seed_base(fake, glibc_file="lib/x86_64-linux-gnu/libc-2.31.so", libc=b"", tag="bullseye")
    with pytest.raises(DeployError) as error:
        kind(fake, old).obtain(request(tmp_path)[0])
    assert "has glibc 2.31: it would crash at start" in error.value.message
    assert _uploads(fake) == [] and "acme/calc" not in fake.tags

    arm = write(tmp_path / "arm" / "calc", elf(EM_AARCH64), 0o755)
    fake.requests.clear()
    with pytest.raises(DeployError, match="built for arm64"):
        kind(fake, old).obtain(request(tmp_path, arm)[0])
    assert fake.requests == []


def test_no_binary_and_no_dockerfile_or_a_dockerfile_only(
    fake: FakeOciRegistry, tmp_path: Path
) -> None:
    base = seed_base(fake)
    with pytest.raises(DeployError) as error:
        kind(fake, base, docker_socket=tmp_path / "no.sock").obtain(request(tmp_path)[0])
    assert error.value.message.startswith("No image to deploy: `image` is not set, no Dockerfile")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    no_engine = kind(fake, base, docker_socket=tmp_path / "no.sock")
    with pytest.raises(DeployError, match="has a Dockerfile but no Docker engine is reachable"):
        no_engine.obtain(request(tmp_path)[0])
    assert fake.requests == []


def test_bad_inputs_are_all_reported_before_any_request(
    fake: FakeOciRegistry, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError) as error:
        kind(fake, "debian", repository="ghcr.io/acme/calc:1", platform="linux/s390x").obtain(
            request(tmp_path)[0]
        )
    rendered = error.value.message
    assert "platform: 'linux/s390x' is not supported" in rendered
    assert "image-repository: 'ghcr.io/acme/calc:1' is not an image reference" in rendered
    assert "base-image: 'debian' is not an image reference" in rendered
    with pytest.raises(ValidationError, match="image: 'calc:latest' is not an image reference"):
        kind(fake, "", image="calc:latest").obtain(request(tmp_path)[0])
    assert fake.requests == []


def test_prebuilt_images(fake: FakeOciRegistry, tmp_path: Path) -> None:
    base = seed_base(fake)
    digest = fake.tags["base/debian"]["bookworm"]
    found = kind(fake, "", image=base).obtain(request(tmp_path)[0])
    assert (found.reference, found.digest, found.pushed) == (
        f"{HOST}/base/debian@{digest}",
        digest,
        False,
    )
    pinned = kind(fake, "", image=f"ghcr.io/x/y@{digest}").obtain(request(tmp_path)[0])
    assert pinned.reference == f"ghcr.io/x/y@{digest}"
    with pytest.raises(DeployError) as missing:
        kind(fake, "", image=f"{HOST}/base/debian:nope").obtain(request(tmp_path)[0])
    assert missing.value.message == (
        f"The registry {HOST} has no image {HOST}/base/debian:nope "
        "(the tag 'nope' does not exist in base/debian)."
    )
    fake.faults.status(500, times=20)
    req, log = request(tmp_path)
    unpinned = kind(fake, "", image=base).obtain(req)
    assert (unpinned.reference, unpinned.pinned) == (base, False)
    assert "deploying the reference as given, not pinned" in log.getvalue()


def test_the_base_falls_back_to_runtime_base_in_deploy_toml(
    fake: FakeOciRegistry, tmp_path: Path, binary: Path
) -> None:
    from dataclasses import replace
    from types import MappingProxyType

    base = seed_base(fake, tag="from-toml")
    req, _ = request(tmp_path)
    tables = MappingProxyType({"runtime": MappingProxyType({"base": base})})
    req = replace(req, config=replace(req.config, tables=tables))
    result = kind(fake, "").obtain(req)
    manifest = json.loads(fake.manifests["acme/calc"][result.digest][1])
    assert manifest["layers"][0]["digest"] in fake.blobs["base/debian"]
