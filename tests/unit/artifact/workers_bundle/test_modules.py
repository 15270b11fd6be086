"""workers_bundle.modules: a Workers bundle is read as strictly as a Lambda package: regular
files only, sized before reading, never through a link of the project's out of the workspace."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pmcp_action.artifact.files import NEVER_READ
from pmcp_action.artifact.workers_bundle import WORKERS_UNCOMPRESSED_LIMIT, WorkersBundle
from pmcp_action.errors import ConfigError
from tests.fakes.cloudflare_workers.stand_in import ADD_WASM, write_bundle
from tests.unit.artifact.workers_bundle.helpers import obtain

BUILD = "deploy/cloudflare/build"
_NOT_REGULAR_FIX = f"Point it at the file itself. {NEVER_READ}"
_LINK_FIX = (
    "Copy the file into the workspace (or build it there) instead of linking to it. Links out "
    "of the workspace are refused so that a checkout cannot make the action read and upload "
    "files from elsewhere on the runner."
)
_SHRINK = (
    'Build the wasm smaller: [profile.release] opt-level = "z", lto = true, '
    "codegen-units = 1, strip = true (cargo-pmcp's adapter does), and drop unused "
    "dependencies."
)
_MAIN = f"The Workers main module {BUILD}/index.js"
_WASM = f"The module {BUILD}/index_bg.wasm (imported by {BUILD}/index.js)"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A project with the current worker-build layout in deploy/cloudflare/build."""
    project = tmp_path / "proj"
    write_bundle(project / BUILD)
    return project


def _outside(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / "home" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _refused(
    root: Path, kind: WorkersBundle | None = None, *, artifact: Path | None = None
) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        obtain(kind or WorkersBundle(), root, artifact=artifact)
    return caught.value


def test_a_main_module_that_is_a_fifo_is_refused_unread(root: Path) -> None:
    main = root / BUILD / "index.js"
    main.unlink()
    os.mkfifo(main)

    error = _refused(root)

    assert error.message == f"{_MAIN} is a FIFO (named pipe), not a regular file; it was not read."
    assert error.remediation == _NOT_REGULAR_FIX


def test_an_imported_module_that_is_a_fifo_is_refused_unread(root: Path) -> None:
    wasm = root / BUILD / "index_bg.wasm"
    wasm.unlink()
    os.mkfifo(wasm)

    error = _refused(root)

    assert error.message == f"{_WASM} is a FIFO (named pipe), not a regular file; it was not read."
    assert error.remediation == _NOT_REGULAR_FIX


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_an_imported_module_that_is_a_device_is_refused_unread(root: Path) -> None:
    wasm = root / BUILD / "index_bg.wasm"
    wasm.unlink()
    os.mknod(wasm, stat.S_IFCHR | 0o600, os.makedev(1, 5))  # like /dev/zero

    error = _refused(root)

    assert error.message == (f"{_WASM} is a character device, not a regular file; it was not read.")


def test_a_device_as_the_artifact_input_is_refused(root: Path) -> None:
    error = _refused(root, artifact=Path("/dev/null"))

    assert error.message == (
        "The `artifact` input points at /dev/null, which is a character device, not a regular "
        "file or a directory."
    )
    assert error.remediation == (
        "Set `artifact` to worker-build's output directory (deploy/cloudflare/build) or the "
        f"bundle's main module (index.js). {NEVER_READ}"
    )


def test_an_imported_module_above_the_limit_is_refused_before_it_is_read(root: Path) -> None:
    wasm = root / BUILD / "index_bg.wasm"
    size = WORKERS_UNCOMPRESSED_LIMIT + 1024 * 1024
    os.truncate(wasm, size)  # sparse: nothing of it is on disk, and nothing is read

    error = _refused(root)

    assert error.message == (
        f"{_WASM} is 65.0 MiB ({size} bytes), above the Workers limit of 64.0 MiB "
        f"({WORKERS_UNCOMPRESSED_LIMIT} bytes) for a whole bundle uncompressed; it was not read."
    )
    assert error.remediation == _SHRINK


def test_a_main_module_above_the_limit_is_refused_before_it_is_read(root: Path) -> None:
    main = root / BUILD / "index.js"
    size = main.stat().st_size
    kind = WorkersBundle(uncompressed_limit=1024)

    error = _refused(root, kind)

    assert error.message == (
        f"{_MAIN} is 0.0 MiB ({size} bytes), above the Workers limit of 0.0 MiB (1024 bytes) "
        "for a whole bundle uncompressed; it was not read."
    )


def test_modules_above_the_limit_together_stop_the_reading(root: Path) -> None:
    build = root / BUILD
    main = build / "index.js"
    main.write_text('import a from "./a.wasm";\nimport b from "./b.wasm";\nexport default {};\n')
    half = 40 * 1024 * 1024
    for name in ("a.wasm", "b.wasm"):
        (build / name).write_bytes(ADD_WASM)
        os.truncate(build / name, half)
    total = main.stat().st_size + 2 * half

    error = _refused(root)

    assert error.message == (
        f"The Workers bundle reaches {total / (1024 * 1024):.1f} MiB ({total} bytes) "
        f"uncompressed with {BUILD}/b.wasm, above the platform's 64.0 MiB limit; "
        f"{BUILD}/b.wasm and what it imports were not read, and nothing was uploaded."
    )
    assert error.details.splitlines()[1:] == [
        f"- {BUILD}/a.wasm: 40.0 MiB ({half} bytes)",
        f"- {BUILD}/b.wasm: 40.0 MiB ({half} bytes)",
        f"- {BUILD}/index.js: 0.0 MiB ({main.stat().st_size} bytes)",
    ]


def test_a_main_module_linked_out_of_the_workspace_is_refused(
    root: Path, tmp_path: Path, system_temp: Path
) -> None:
    main = root / BUILD / "index.js"
    elsewhere = _outside(tmp_path, "index.js", main.read_bytes())
    main.unlink()
    main.symlink_to(elsewhere)

    error = _refused(root)

    assert error.message == (
        f"{_MAIN} is a symlink to {elsewhere}, outside the workspace ({root}) and the system "
        f"temp directory ({system_temp}); it was not read."
    )
    assert error.remediation == _LINK_FIX


def test_an_imported_module_linked_out_of_the_workspace_is_refused(
    root: Path, tmp_path: Path, system_temp: Path
) -> None:
    wasm = root / BUILD / "index_bg.wasm"
    secret = _outside(tmp_path, "credentials.wasm", b"secret")
    wasm.unlink()
    wasm.symlink_to(secret)

    error = _refused(root)

    assert error.message == (
        f"{_WASM} is a symlink to {secret}, outside the workspace ({root}) and the system "
        f"temp directory ({system_temp}); it was not read."
    )
    assert "secret" not in error.message.replace(str(secret), "")  # the path, not the bytes


def test_a_build_directory_linked_out_of_the_workspace_is_refused(
    root: Path, tmp_path: Path, system_temp: Path
) -> None:
    build = root / BUILD
    elsewhere = tmp_path / "home" / "build"
    elsewhere.parent.mkdir(parents=True)
    build.rename(elsewhere)
    build.symlink_to(elsewhere)

    error = _refused(root)

    assert error.message == (
        f"{_MAIN} leads through the symlink {BUILD}, which points to {elsewhere}, outside the "
        f"workspace ({root}) and the system temp directory ({system_temp}); it was not read."
    )


def test_links_into_the_workspace_are_followed(
    root: Path, tmp_path: Path, system_temp: Path
) -> None:
    wasm = root / BUILD / "index_bg.wasm"
    shared = root / "shared" / "add.wasm"
    shared.parent.mkdir()
    shared.write_bytes(ADD_WASM)
    wasm.unlink()
    wasm.symlink_to(shared)

    bundle, _ = obtain(WorkersBundle(), root)

    assert [m.name for m in bundle.modules] == ["index.js", "index_bg.wasm"]
    assert bundle.modules[1].data == ADD_WASM


def test_an_import_that_climbs_out_of_the_bundle_is_refused_unread(root: Path) -> None:
    secret = root / "notes.txt"
    secret.write_text("not part of the bundle")
    main = root / BUILD / "index.js"
    main.write_text('import notes from "../../../notes.txt";\n' + main.read_text())

    error = _refused(root)

    assert error.message == (
        f"{BUILD}/index.js imports '../../../notes.txt', which leads to notes.txt, outside the "
        f"bundle's directory {BUILD}; it was not read."
    )
    assert "not part of the bundle" not in error.diagnostics()


def test_the_older_layouts_shim_may_import_from_the_build_directory(root: Path) -> None:
    bundle, _log = obtain(WorkersBundle(), root, artifact=root / BUILD / "worker" / "shim.mjs")
    assert {module.name for module in bundle.modules} >= {"worker/shim.mjs", "index.js"}
