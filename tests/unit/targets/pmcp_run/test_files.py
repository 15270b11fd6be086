"""The files a deployment is made from: a zip when there are assets, read within the deadline."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmcp_action.errors import TimeoutExceededError

from .helpers import make_harness, uploaded


def test_deploy_with_assets_uploads_a_deployment_zip(tmp_path: Path) -> None:
    toml = (
        '[target]\ntype = "pmcp-run"\n[server]\nname = "weather"\n[environment]\n'
        '[assets]\ninclude = ["data/*.json"]\n'
    )
    h = make_harness(tmp_path, deploy_toml=toml, extra_files={"data/cities.json": "[]"})

    h.target.deploy()

    (bootstrap,) = uploaded(h.fake, "bootstrap")
    assert bootstrap.content_type == "application/zip"
    assert bootstrap.data.startswith(b"PK\x03\x04")


def test_the_artifact_is_read_within_the_run_deadline(tmp_path: Path) -> None:
    h = make_harness(tmp_path, deadline_seconds=0)  # passed before the first chunk

    with pytest.raises(TimeoutExceededError) as caught:
        h.target.plan()

    assert caught.value.message == (
        "Stopped reading artifact input build/bootstrap after 0.0 MiB (0 bytes): the run's "
        "deadline of 0 s passed."
    )
