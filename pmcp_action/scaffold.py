"""cargo-pmcp's record of the CDK scaffold it wrote: ``deploy/.pmcp-scaffold.toml``.

cargo-pmcp keeps the SHA-256 of each scaffold file it wrote (``lib/stack.ts``, and
``bin/app.ts``, relative to ``deploy/``) in a ``[files]`` table, as ``sha256:<hex>`` of the
text with CRLF line ends read as LF. A file that no longer matches was changed by hand.
pmcp-action deploys from ``.pmcp/deploy.toml`` and never runs the scaffold, so such changes
would be silently left out: :func:`scaffold_warnings` says so. The record is read when it is
there and never required; one that cannot be read is ignored with a warning.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import tomlkit
import tomlkit.exceptions

__all__ = ["RECORD", "content_digest", "scaffold_warnings"]

#: Where the record lives, relative to the project root.
RECORD = "deploy/.pmcp-scaffold.toml"
#: The scaffold files it records, relative to ``deploy/``.
_FILES = ("lib/stack.ts", "bin/app.ts")
#: Larger records or scaffold files are not read.
_MAX_BYTES = 1024 * 1024


def content_digest(text: str) -> str:
    """``sha256:<hex>`` of ``text``, CRLF read as LF (as the record holds it)."""
    return "sha256:" + hashlib.sha256(text.replace("\r\n", "\n").encode()).hexdigest()


def _read(path: Path) -> str | None:
    try:
        if not path.is_file() or path.stat().st_size > _MAX_BYTES:
            return None
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def scaffold_warnings(root: Path) -> list[str]:
    """What the record says about the scaffold files under ``root`` that matters to a deploy."""
    record = root / RECORD
    if not record.exists():
        return []
    text = _read(record)
    files: object = None
    if text is not None:
        try:
            files = tomlkit.parse(text).unwrap().get("files")
        except tomlkit.exceptions.TOMLKitError:
            files = None
    if not isinstance(files, dict):
        return [
            f"Ignoring {RECORD}: it is not a TOML file with a [files] table as cargo-pmcp "
            "writes it."
        ]
    warnings: list[str] = []
    for name in _FILES:
        recorded = files.get(name)
        on_disk = _read(root / "deploy" / name)
        if not isinstance(recorded, str) or on_disk is None:
            continue
        digest = content_digest(on_disk)
        if recorded not in (digest, digest.removeprefix("sha256:")):
            warnings.append(
                f"deploy/{name} was changed by hand since cargo-pmcp wrote it ({RECORD} records "
                "another digest). pmcp-action deploys from .pmcp/deploy.toml and does not run "
                "the CDK scaffold, so those changes are not applied; move them into "
                ".pmcp/deploy.toml ([server], [environment], [iam]) or deploy with cargo pmcp."
            )
    return warnings
