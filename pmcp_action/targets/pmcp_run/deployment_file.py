"""Write ``.pmcp/deployment.toml`` as cargo-pmcp does after a pmcp.run deploy.

A new file gets cargo-pmcp's exact text (two comment lines, then
``[deployment]`` with ``server_id`` and ``endpoint``). An existing file is
edited with tomlkit, so its other tables, keys and comments stay as they were.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import tomlkit
import tomlkit.exceptions
from tomlkit.items import Table

from ...ci.base import Platform

__all__ = ["DEPLOYMENT_FILE", "save_deployment_file", "write_deployment_file"]

DEPLOYMENT_FILE = Path(".pmcp") / "deployment.toml"

_HEADER = (
    "# Auto-generated deployment info for landing page integration\n"
    "# This file is created automatically when deploying to pmcp-run\n"
)


def _fresh(server_id: str, endpoint: str) -> str:
    document = tomlkit.parse(_HEADER)
    document.add(tomlkit.nl())
    table = tomlkit.table()
    table.add("server_id", server_id)
    table.add("endpoint", endpoint)
    document.add("deployment", table)
    return tomlkit.dumps(document)


def _updated(text: str, server_id: str, endpoint: str) -> str:
    document = tomlkit.parse(text)
    existing = document.get("deployment")
    if isinstance(existing, Table):
        existing["server_id"] = server_id
        existing["endpoint"] = endpoint
    else:
        if existing is not None:
            del document["deployment"]
        table = tomlkit.table()
        table.add("server_id", server_id)
        table.add("endpoint", endpoint)
        document.add("deployment", table)
    return tomlkit.dumps(document)


def write_deployment_file(root: Path, *, server_id: str, endpoint: str, console: Platform) -> Path:
    """Create or update ``<root>/.pmcp/deployment.toml``; return its path."""
    path = root / DEPLOYMENT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    content = _fresh(server_id, endpoint)
    if path.exists():
        try:
            content = _updated(path.read_text(encoding="utf-8"), server_id, endpoint)
        except (tomlkit.exceptions.ParseError, UnicodeDecodeError) as exc:
            console.warning(
                f"{path} is not valid TOML ({exc}); replacing it with a fresh deployment record.",
                title="deployment.toml rewritten",
            )
    # Write atomically so a crash never leaves half a file behind.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".deployment.", suffix=".toml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def save_deployment_file(root: Path, *, server_id: str, endpoint: str, console: Platform) -> None:
    """Write the file after a deploy; a failure is a warning (the deploy itself succeeded)."""
    try:
        path = write_deployment_file(root, server_id=server_id, endpoint=endpoint, console=console)
    except OSError as exc:
        console.warning(
            f"Could not write {DEPLOYMENT_FILE}: {exc.strerror or exc}. The deployment "
            "itself succeeded.",
            title="deployment.toml",
        )
        return
    console.info(f"Wrote {path}.")
