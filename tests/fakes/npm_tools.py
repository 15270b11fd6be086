"""The pinned npm peers of the tests (wrangler, workerd, server-everything), installed by
scripts/lib/npm-tools.sh.

:func:`npm_tools` installs them once per process (into a cache outside the checkout) and
returns their paths, or raises :class:`NpmToolsUnavailable` saying why; a fixture turns that
into a skip on a developer machine and a failure under CI.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["NpmTools", "NpmToolsUnavailable", "npm_tools"]

_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "lib" / "npm-tools.sh"


class NpmToolsUnavailable(RuntimeError):
    """node, npm or the pinned packages cannot be had on this machine."""


@dataclass(frozen=True)
class NpmTools:
    node_modules: Path

    @property
    def wrangler(self) -> Path:
        return self.node_modules / ".bin" / "wrangler"

    @property
    def everything(self) -> Path:
        """The reference MCP server's launcher (``node <it> streamableHttp``)."""
        return (
            self.node_modules / "@modelcontextprotocol" / "server-everything" / "dist" / "index.js"
        )

    @property
    def workerd(self) -> Path:
        return self.node_modules / "@cloudflare" / "workerd-linux-64" / "bin" / "workerd"

    def version(self, tool: Path) -> str:
        done = subprocess.run(
            [str(tool), "--version"], capture_output=True, text=True, timeout=60, check=False
        )
        return (done.stdout or done.stderr).strip().splitlines()[-1]


@functools.cache
def npm_tools() -> NpmTools:
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise NpmToolsUnavailable("node and npm are not on PATH")
    done = subprocess.run(
        ["bash", str(_SCRIPT)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        raise NpmToolsUnavailable(f"scripts/lib/npm-tools.sh failed: {done.stderr.strip()[-800:]}")
    return NpmTools(Path(done.stdout.strip().splitlines()[-1]))
