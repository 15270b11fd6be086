"""Using a deployment zip the user supplies as is, after checking its ``bootstrap``."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

from ...ci.base import Platform
from ...deadline import Deadline
from ...errors import ConfigError
from ...settings.deploy_toml import DeployConfig
from ..archive import unsafe_zip_entry
from ..binary import HEAD_BYTES
from ..common import display, join_listing, mib
from ..digest import sha256_file, sha256_stream
from ..files import open_regular
from .bundle import find_config_toml
from .checks import inspect_head
from .limits import check_unzipped_size, warn_zip_size
from .model import BOOTSTRAP, Found, LambdaArtifact

__all__ = ["use_zip"]


def use_zip(
    found: Found,
    project_root: Path,
    config: DeployConfig,
    architecture: str,
    console: Platform,
    deadline: Deadline | None,
) -> LambdaArtifact:
    """Check the zip's entries from its directory (names and kinds, then sizes), then its
    ``bootstrap``; the zip is used as is. Its size on disk was checked before it was opened."""
    label = f"`bootstrap` in {found.source}"
    try:
        with open_regular(found.path, found.source) as raw, zipfile.ZipFile(raw) as archive:
            infos = archive.infolist()
            _refuse_unsafe_entries(found, infos)
            check_unzipped_size([(i.filename, i.file_size) for i in infos if not i.is_dir()])
            entry = next((i for i in infos if i.filename == BOOTSTRAP), None)
            if entry is None:
                raise _zip_without_bootstrap(found, infos)
            with archive.open(entry) as handle:
                head = handle.read(HEAD_BYTES)
            inspect_head(head, label, architecture, console, size=entry.file_size)
            with archive.open(entry) as handle:
                bootstrap_sha = sha256_stream(handle, label, deadline)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ConfigError(
            f"{found.source} starts like a zip but cannot be read: {exc}.",
            remediation="Recreate the zip (e.g. `zip -j deployment.zip bootstrap`).",
        ) from exc
    mode = (entry.external_attr >> 16) & 0o777
    if not mode & 0o111:
        console.warning(
            f"`bootstrap` in {found.source} has no execute permission in the zip "
            f"(mode {mode:04o}); Lambda would fail with 'permission denied'.",
            title="Lambda artifact",
        )
    _warn_zip_extras(infos, project_root, config, found.source, console)
    size = found.size
    warn_zip_size(size, console)
    console.info(f"Artifact: zip {mib(size)} from {found.source} (used as is)")
    return LambdaArtifact(
        path=found.path,
        kind="zip",
        content_type="application/zip",
        sha256=sha256_file(found.path, found.source, deadline),
        size=size,
        source=found.source,
        bootstrap_sha256=bootstrap_sha,
    )


def _refuse_unsafe_entries(found: Found, infos: Sequence[zipfile.ZipInfo]) -> None:
    """Refuse a zip with entries that could be unpacked outside their directory (zip-slip)."""
    unsafe = [(i.filename, why) for i in infos if (why := unsafe_zip_entry(i)) is not None]
    if not unsafe:
        return
    count = f"{len(unsafe)} unsafe entr" + ("y" if len(unsafe) == 1 else "ies")
    shown = join_listing([f"{name!r} ({why})" for name, why in unsafe])
    raise ConfigError(
        f"{found.source} has {count} that could write outside the directory the zip is "
        f"unpacked into (zip-slip): {shown}. The zip was not used.",
        remediation=(
            "Rebuild it with relative names and regular files only, e.g. "
            "`zip -j deployment.zip target/lambda/bootstrap/bootstrap` (without -y, which "
            "stores symlinks), or set `artifact` to the binary and let the action package it."
        ),
    )


def _zip_without_bootstrap(found: Found, infos: Sequence[zipfile.ZipInfo]) -> ConfigError:
    names = [i.filename for i in infos]
    nested = [n for n in names if n.rsplit("/", 1)[-1] == BOOTSTRAP and "/" in n]
    if nested:
        folder = nested[0].rsplit("/", 1)[0]
        fix = (
            f"The binary is at {nested[0]}, but Lambda needs it at the zip root. Zip the "
            f"folder's contents instead: `cd {folder} && zip -r ../deployment.zip .`."
        )
    else:
        fix = (
            "Put the binary at the zip root under the name bootstrap "
            "(`zip -j deployment.zip target/lambda/bootstrap/bootstrap`), or set `artifact` to "
            "the binary and let the action package it."
        )
    return ConfigError(
        f"{found.source} is a zip without a `bootstrap` entry at its root. It contains: "
        f"{join_listing(names) if names else 'nothing'}.",
        remediation=fix,
    )


def _warn_zip_extras(
    infos: Sequence[zipfile.ZipInfo],
    project_root: Path,
    config: DeployConfig,
    source: str,
    console: Platform,
) -> None:
    names = {i.filename for i in infos}
    if config.assets.include and not any(n.startswith("assets/") for n in names):
        console.warning(
            f"{source} is used as is and has no assets/ entries, although [assets].include is "
            "set; the action does not add assets to a zip you supply.",
            title="Lambda artifact",
        )
    config_toml = find_config_toml(project_root)
    if config_toml is not None and "config.toml" not in names:
        console.info(
            f"Note: {source} has no config.toml, although {display(config_toml, project_root)} "
            "exists; cargo-pmcp would bundle it."
        )
