"""bundle.obtain_bundle: a bad bundle fails before any API call."""

from __future__ import annotations

import pytest

from pmcp_action.artifact.workers_bundle import WorkersBundle
from pmcp_action.errors import ConfigError
from tests.unit.targets.cloudflare_workers.helpers import make_target, write_project


def test_a_missing_bundle_fails_before_any_api_call(tmp_path, fake):
    write_project(tmp_path)
    (tmp_path / "deploy" / "cloudflare" / "build" / "index.js").unlink()
    (tmp_path / "deploy" / "cloudflare" / "build" / "worker" / "shim.mjs").unlink()
    with pytest.raises(ConfigError) as caught:
        make_target(tmp_path, fake, environ={"PATH": "/nonexistent"}).target.deploy()
    assert "worker-build --release" in caught.value.remediation
    assert fake.requests == []


def test_a_missing_import_fails_before_any_api_call(tmp_path, fake):
    build = write_project(tmp_path).parent
    (build / "index_bg.wasm").unlink()
    with pytest.raises(ConfigError, match="imports './index_bg.wasm'"):
        make_target(tmp_path, fake, inputs={"artifact": str(build / "index.js")}).target.deploy()
    assert fake.requests == []


def test_an_oversize_bundle_fails_before_any_api_call(tmp_path, fake):
    write_project(tmp_path)
    kind = WorkersBundle(compressed_limit=200, free_compressed_limit=100)
    with pytest.raises(ConfigError, match="above the Workers Paid limit"):
        make_target(tmp_path, fake, bundle_kind=kind).target.deploy()
    assert fake.requests == []
