"""The SAS blobs: the build context in one streamed PUT without the ARM token; the run's
log read as it grows, a refused link asked for again, an unreadable log not fatal."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmcp_action.targets.azure_container_apps.acr_tasks import TASKS_API
from tests.fakes.azure_container_apps import BLOB_PREFIX

from .helpers import REGISTRY_ID, build_world, expected_reference


def test_the_upload_is_one_streamed_block_blob_without_the_arm_token(tmp_path: Path) -> None:
    world = build_world(tmp_path)
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


def test_a_log_read_in_small_windows_shows_each_line_once_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pmcp_action.targets.azure_container_apps import sas_blob

    monkeypatch.setattr(sas_blob, "_WINDOW", 50)  # lines split across reads
    world = build_world(tmp_path)
    world.build()
    [run] = world.runs()
    blob = world.fake.tasks.blobs[run.log_blob].data.decode()
    shown = world.output.splitlines()
    first = shown.index(blob.splitlines()[0])
    assert shown[first : first + len(blob.splitlines())] == blob.splitlines()
    ranges = [r.headers["range"] for r in world.fake.requests_to(BLOB_PREFIX + "logs/", "GET")]
    assert "bytes=50-99" in ranges and len(ranges) > len(blob) // 50


def test_a_refused_log_link_is_asked_for_again(tmp_path: Path) -> None:
    world = build_world(tmp_path)
    world.fake.faults.status(403, method="GET", path=BLOB_PREFIX + "logs/")
    world.build()
    assert len(world.requests("runs/ca1/listLogSasUrl")) == 2
    steps = [line for line in world.output.splitlines() if line.startswith("Step ")]
    assert len(steps) == len(set(steps)) == 7


def test_a_log_that_may_not_be_read_does_not_stop_the_build(tmp_path: Path) -> None:
    world = build_world(tmp_path)
    world.fake.forbidden.append(f"{REGISTRY_ID}/runs/ca1/listLogSasUrl".lower())
    reference = world.build()
    assert reference == expected_reference(world.fake.tasks.uploaded()[0])
    assert len(world.requests("runs/ca1/listLogSasUrl")) == 1
    assert "warning: asking for the log of run ca1 failed: AuthorizationFailed" in world.output
    assert "The build goes on; its log is not shown here." in world.output
    assert "Step 1/" not in world.output
