"""Packaging a located bootstrap into ``deployment.zip``, as cargo-pmcp does.

The zip holds ``bootstrap`` (0755), an optional ``config.toml`` and the
``[assets]`` files under ``assets/``, the layout cargo-pmcp's Lambda packaging writes.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ...ci.base import Platform
from ...deadline import Deadline
from ...settings.deploy_toml import DeployConfig
from ..archive import ZipEntry, file_entry, write_zip
from ..assets import collect_assets
from ..common import display, inside, mib
from ..digest import sha256_file
from ..files import read_all, regular_size
from ..workspace import Bounds, check_links
from .limits import check_file_size, check_unzipped_size, warn_zip_size
from .model import BOOTSTRAP, Found, LambdaArtifact

__all__ = [
    "PACKAGE_FORMAT",
    "package_entries",
    "package_sha256",
    "write_package",
    "ZIP_NAME",
    "Extras",
    "build_deployment_zip",
    "find_config_toml",
    "gather_extras",
    "package_bootstrap",
]

ZIP_NAME = "deployment.zip"
_TOKEN_SECRET_LINE = re.compile(r"^(\s*)token_secret\s*=")


@dataclass(frozen=True)
class Extras:
    """What goes into the zip besides ``bootstrap``."""

    assets: tuple[tuple[Path, str], ...]
    config_toml: Path | None
    config_driven: bool

    @property
    def needed(self) -> bool:
        return bool(self.assets) or self.config_toml is not None


def gather_extras(
    project_root: Path, config: DeployConfig, work_dir: Path, console: Platform, bounds: Bounds
) -> Extras:
    """The ``[assets]`` files and the ``config.toml`` to bundle; a ``config.toml`` that is
    a symlink out of ``bounds`` is refused."""
    assets = collect_assets(project_root, config.assets, console=console, title="Lambda assets")
    work_real = os.path.realpath(work_dir)
    kept = tuple(
        (path, arcname) for path, arcname in assets if not inside(os.path.realpath(path), work_real)
    )
    if len(kept) != len(assets):
        console.debug(f"Skipped {len(assets) - len(kept)} asset(s) inside the work dir {work_dir}.")
    config_toml = find_config_toml(project_root)
    if config_toml is not None:
        check_links(config_toml, display(config_toml, project_root), bounds)
    return Extras(
        assets=kept,
        config_toml=config_toml,
        config_driven=_is_config_driven(project_root),
    )


def find_config_toml(project_root: Path) -> Path | None:
    """``<root>/config.toml``, else the only ``instances/*.toml`` (where cargo-pmcp looks for
    the server's configuration)."""
    direct = project_root / "config.toml"
    if direct.is_file():
        return direct
    instances = project_root / "instances"
    if not instances.is_dir():
        return None
    candidates = [p for p in instances.glob("*.toml") if p.is_file()]
    return candidates[0] if len(candidates) == 1 else None


def _is_config_driven(project_root: Path) -> bool:
    """A config-driven server crate: config.toml + schema.sql + pmcp-server-toolkit."""
    if not (project_root / "config.toml").is_file() or not (project_root / "schema.sql").is_file():
        return False
    try:
        manifest = (project_root / "Cargo.toml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return "pmcp-server-toolkit" in manifest


def _sanitize_config(data: bytes) -> bytes:
    """Point every ``token_secret = …`` line at ``${CODE_MODE_SECRET}`` (cargo-pmcp H4)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    out = []
    for raw in lines:
        line = raw[:-1] if raw.endswith("\r") else raw
        match = _TOKEN_SECRET_LINE.match(line)
        out.append(f'{match.group(1)}token_secret = "${{CODE_MODE_SECRET}}"' if match else line)
    return ("\n".join(out) + ("\n" if text.endswith("\n") else "")).encode("utf-8")


def _config_entry(path: Path, arcname: str, sanitize: bool, deadline: Deadline | None) -> ZipEntry:
    check_file_size(regular_size(path), str(path))
    data = read_all(path, str(path), deadline)
    if sanitize:
        data = _sanitize_config(data)
    return ZipEntry(arcname=arcname, mode=0o644, size=len(data), data=data)


#: Names the layout :func:`package_sha256` hashes; change it whenever the same entries could
#: give a different zip (then nothing recorded with the old name counts as unchanged).
PACKAGE_FORMAT = "pmcp-lambda-zip/1"


def package_entries(found: Found, extras: Extras, deadline: Deadline | None) -> list[ZipEntry]:
    """What ``deployment.zip`` holds, in order: bootstrap, config.toml, assets (sizes checked
    before any file is copied into it)."""
    entries = [file_entry(found.path, BOOTSTRAP, 0o755)]
    if extras.config_toml is not None:
        entries.append(
            _config_entry(extras.config_toml, "config.toml", extras.config_driven, deadline)
        )
    for path, arcname in extras.assets:
        if extras.config_driven and path.name == "config.toml":
            entries.append(_config_entry(path, arcname, True, deadline))
        else:
            entries.append(file_entry(path, arcname, 0o644))
    check_unzipped_size([(e.arcname, e.size) for e in entries])
    return entries


def package_sha256(entries: Sequence[ZipEntry], bootstrap_sha: str) -> str:
    """The SHA-256 of what the zip holds (names, modes, contents), known before zipping.

    The zip is reproducible, so equal hashes mean equal zips: a deploy compares this
    with what the serving version recorded and zips only when they differ.
    """
    digest = hashlib.sha256(f"{PACKAGE_FORMAT}\n".encode())
    for entry in entries:
        if entry.data is not None:
            content = hashlib.sha256(entry.data).hexdigest()
        elif entry.arcname == BOOTSTRAP:
            content = bootstrap_sha
        else:
            assert entry.path is not None
            content = sha256_file(entry.path)
        digest.update(f"{entry.arcname}\0{entry.mode:o}\0{entry.size}\0{content}\n".encode())
    return digest.hexdigest()


def package_bootstrap(
    found: Found,
    extras: Extras,
    work_dir: Path,
    bootstrap_sha: str,
    console: Platform,
    deadline: Deadline | None,
) -> LambdaArtifact:
    """Write ``deployment.zip``: sizes are checked before any file is copied into it."""
    entries = package_entries(found, extras, deadline)
    return write_package(found, extras, entries, work_dir, bootstrap_sha, console, deadline)


def write_package(
    found: Found,
    extras: Extras,
    entries: Sequence[ZipEntry],
    work_dir: Path,
    bootstrap_sha: str,
    console: Platform,
    deadline: Deadline | None,
) -> LambdaArtifact:
    """Deflate ``entries`` into ``work_dir/deployment.zip`` (the slow part: ~2 s per 100 MB)."""
    dest = work_dir / ZIP_NAME
    write_zip(dest, entries, deadline)
    size = dest.stat().st_size
    warn_zip_size(size, console)
    parts = [f"{len(extras.assets)} asset(s)"] if extras.assets else []
    if extras.config_toml is not None:
        parts.append(f"config.toml from {extras.config_toml.name}")
    contents = "bootstrap" + "".join(f" + {p}" for p in parts)
    console.info(f"Artifact: {dest} {mib(size)} ({contents}) from {found.source}")
    return LambdaArtifact(
        path=dest,
        kind="zip",
        content_type="application/zip",
        sha256=sha256_file(dest, str(dest), deadline),
        size=size,
        source=found.source,
        bootstrap_sha256=bootstrap_sha,
    )


def build_deployment_zip(
    bootstrap: Path,
    dest: Path,
    *,
    assets: Sequence[tuple[Path, str]],
    extra_root_files: Sequence[tuple[Path, str]] = (),
) -> None:
    """Write a reproducible Lambda zip: ``bootstrap`` (0755) plus files (0644).

    ``assets`` and ``extra_root_files`` are ``(file, name in the zip)`` pairs;
    the same inputs always give the same bytes, whatever the files' mtimes or
    modes on disk.
    """
    entries = [file_entry(bootstrap, BOOTSTRAP, 0o755)]
    entries += [file_entry(path, arcname, 0o644) for path, arcname in extra_root_files]
    entries += [file_entry(path, arcname, 0o644) for path, arcname in assets]
    write_zip(dest, entries)
