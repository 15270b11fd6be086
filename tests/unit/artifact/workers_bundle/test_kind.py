"""workers_bundle (the kind): both worker-build layouts, imports followed, limits, building it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pmcp_action.artifact.workers_bundle import WorkersBundle
from pmcp_action.errors import ConfigError, DeployError
from tests.fakes.cloudflare_workers.stand_in import ADD_WASM, write_bundle
from tests.unit.artifact.workers_bundle.helpers import obtain

KIND = WorkersBundle()


def resolve(root: Path, artifact: Path | None = None, environ=None, kind=KIND):
    return obtain(kind, root, artifact=artifact, environ=environ)


def _fake_worker_build(bin_dir: Path, script: str) -> dict[str, str]:
    bin_dir.mkdir()
    program = bin_dir / "worker-build"
    program.write_text("#!/bin/sh\n" + script)
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return {"PATH": f"{bin_dir}{os.pathsep}/usr/bin:/bin"}


def test_current_layout_uploads_index_js_and_its_wasm(tmp_path):
    write_bundle(tmp_path / "deploy/cloudflare/build")
    bundle, _ = resolve(tmp_path)
    assert bundle.layout == "current" and bundle.source == "deploy/cloudflare/build"
    assert [(m.name, m.content_type) for m in bundle.modules] == [
        ("index.js", "application/javascript+module"),
        ("index_bg.wasm", "application/wasm"),
    ]
    assert bundle.modules[1].data == ADD_WASM
    assert bundle.main_module == "index.js"


def test_legacy_layout_uploads_the_shim_and_index_wasm(tmp_path):
    write_bundle(tmp_path / "deploy/cloudflare/build", layout="legacy")
    bundle, _ = resolve(tmp_path)
    assert bundle.layout == "legacy"
    assert [m.name for m in bundle.modules] == ["shim.mjs", "index.wasm"]


def test_a_main_module_that_re_exports_brings_what_it_imports(tmp_path):
    build = tmp_path / "deploy/cloudflare/build"
    write_bundle(build)
    bundle, _ = resolve(tmp_path, artifact=build / "worker" / "shim.mjs")
    assert bundle.layout == "file" and "input 'artifact'" in bundle.source
    assert [m.name for m in bundle.modules] == ["worker/shim.mjs", "index.js", "index_bg.wasm"]


def test_the_digest_follows_the_bytes(tmp_path):
    write_bundle(tmp_path / "a" / "deploy/cloudflare/build")
    write_bundle(tmp_path / "b" / "deploy/cloudflare/build")
    write_bundle(tmp_path / "c" / "deploy/cloudflare/build", version="2.0.0")
    digests = [resolve(tmp_path / name)[0].sha256 for name in ("a", "b", "c")]
    assert digests[0] == digests[1] != digests[2]


def test_a_missing_import_is_refused_by_name(tmp_path):
    build = tmp_path / "deploy/cloudflare/build"
    write_bundle(build)
    (build / "index_bg.wasm").unlink()
    (build / "worker" / "shim.mjs").unlink()
    with pytest.raises(ConfigError) as caught:
        resolve(tmp_path, artifact=build / "index.js")
    assert "imports './index_bg.wasm'" in caught.value.message
    assert "does not exist" in caught.value.message


def test_a_bare_package_import_is_refused(tmp_path):
    main = tmp_path / "bundle" / "index.js"
    main.parent.mkdir()
    main.write_text('import { z } from "zod";\nexport default { fetch() {} };\n')
    with pytest.raises(ConfigError, match="imports the package 'zod'"):
        resolve(tmp_path, artifact=main.parent)


def test_no_bundle_and_no_worker_build_says_how_to_build(tmp_path):
    with pytest.raises(ConfigError) as caught:
        resolve(tmp_path)
    assert "no worker-build on PATH" in caught.value.message
    assert "worker-build --release" in caught.value.remediation
    assert "cargo pmcp deploy init" in caught.value.remediation


def test_worker_build_runs_when_there_is_no_bundle(tmp_path):
    crate = tmp_path / "deploy" / "cloudflare"
    crate.mkdir(parents=True)
    (crate / "Cargo.toml").write_text('[package]\nname = "x"\n')
    source = tmp_path / "prebuilt"
    write_bundle(source)
    environ = _fake_worker_build(tmp_path / "bin", f'echo "building $1"\ncp -r {source} build\n')
    bundle, log = resolve(tmp_path, environ=environ)
    assert "running `worker-build --release`" in log and "building --release" in log
    assert bundle.main_module == "index.js"


def test_a_failing_worker_build_shows_its_output(tmp_path):
    crate = tmp_path / "deploy" / "cloudflare"
    crate.mkdir(parents=True)
    (crate / "Cargo.toml").write_text('[package]\nname = "x"\n')
    environ = _fake_worker_build(tmp_path / "bin", 'echo "error: no wasm32 target" >&2\nexit 3\n')
    with pytest.raises(DeployError) as caught:
        resolve(tmp_path, environ=environ)
    assert "exit code 3" in caught.value.message and "no wasm32 target" in caught.value.details


def test_an_oversize_bundle_is_refused_before_upload(tmp_path):
    build = tmp_path / "deploy/cloudflare/build"
    write_bundle(build)
    (build / "index_bg.wasm").write_bytes(ADD_WASM + os.urandom(40_000))
    small = WorkersBundle(compressed_limit=20_000, free_compressed_limit=10_000)
    with pytest.raises(ConfigError) as caught:
        resolve(tmp_path, kind=small)
    assert "gzip-compressed" in caught.value.message and "index_bg.wasm" in caught.value.details
    warn_only = WorkersBundle(free_compressed_limit=10_000)
    _, log = resolve(tmp_path, kind=warn_only)
    assert "Free plan" in log
    uncompressed = WorkersBundle(uncompressed_limit=30_000)
    with pytest.raises(ConfigError, match="uncompressed"):
        resolve(tmp_path, kind=uncompressed)
