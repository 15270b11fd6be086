"""The ACR Tasks fake refuses what ACR Tasks refuses (checked with our ARM client)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from pmcp_action.targets.azure_container_apps.acr_tasks import TASKS_API
from pmcp_action.targets.azure_container_apps.failures import ArmError

from .helpers import REGISTRY_ID, build_world, client


def test_the_fake_refuses_what_acr_tasks_refuses(tmp_path: Path) -> None:
    world = build_world(tmp_path)
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
