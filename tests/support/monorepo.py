"""A monorepo of MCP servers on disk, and a real git repository around it (git's own CLI).

``write_monorepo`` lays out the fixture the servers tests share: one Cargo workspace with
three servers on two targets, two library crates and a workspace dependency:

    Cargo.toml                 [workspace] members servers/*, crates/*; shared = { path }
    Cargo.lock
    servers/weather/           aws-lambda          depends on shared (workspace = true)
    servers/calc/              cloudflare-workers  no path dependencies
    servers/notes/             aws-lambda          depends on tools (path = ...)
    crates/shared/, crates/tools/
    README.md
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "FIXTURE_SERVERS",
    "commit_all",
    "git",
    "init_repository",
    "write_files",
    "write_monorepo",
]

#: (server, target, working directory) of the fixture, in directory order.
FIXTURE_SERVERS = (
    ("calc", "cloudflare-workers", "servers/calc"),
    ("notes", "aws-lambda", "servers/notes"),
    ("weather", "aws-lambda", "servers/weather"),
)

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "pmcp-test",
    "GIT_AUTHOR_EMAIL": "pmcp-test@localhost",
    "GIT_COMMITTER_NAME": "pmcp-test",
    "GIT_COMMITTER_EMAIL": "pmcp-test@localhost",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str, when: int | None = None) -> str:
    """Run git in ``repo`` (no user or system configuration); its trimmed stdout.

    ``when`` fixes the author and committer time (seconds since the epoch)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | _GIT_ENV
    env["HOME"] = str(repo)  # no ~/.gitconfig of the machine's
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"@{when} +0000"
    done = subprocess.run(
        ["git", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout.strip()


def init_repository(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "--quiet", "--initial-branch=main")
    return root


def commit_all(repo: Path, message: str, *, when: int | None = None) -> str:
    """Stage everything and commit it; the new commit's name."""
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--allow-empty", "-m", message, when=when)
    return git(repo, "rev-parse", "HEAD")


def write_files(root: Path, files: Mapping[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _crate(name: str, extra: str = "", description: str = "") -> str:
    about = f'description = "{description}"\n' if description else ""
    return f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2021"\n{about}{extra}'


def write_monorepo(root: Path) -> Path:
    """The fixture monorepo (see the module's docstring) under ``root``; returns ``root``."""
    write_files(
        root,
        {
            "Cargo.toml": '[workspace]\nmembers = ["servers/*", "crates/*"]\nresolver = "2"\n\n'
            '[workspace.dependencies]\nshared = { path = "crates/shared" }\n',
            "Cargo.lock": "# lock\nversion = 3\n",
            "README.md": "# servers\n",
            "servers/weather/Cargo.toml": _crate(
                "weather", "\n[dependencies]\nshared.workspace = true\n", "Weather forecasts"
            ),
            "servers/weather/src/main.rs": "fn main() {}\n",
            "servers/weather/.pmcp/deploy.toml": '[target]\ntype = "aws-lambda"\n',
            "servers/calc/Cargo.toml": _crate("calc", "", "A calculator"),
            "servers/calc/src/main.rs": "fn main() { /* calc */ }\n",
            "servers/calc/.pmcp/deploy.toml": '[target]\ntype = "cloudflare-workers"\n',
            "servers/notes/Cargo.toml": _crate(
                "notes-server", '\n[dependencies]\ntools = { path = "../../crates/tools" }\n'
            ),
            "servers/notes/src/main.rs": "fn main() { /* notes */ }\n",
            "servers/notes/.pmcp/deploy.toml": '[target]\ntype = "aws-lambda"\n\n'
            '[server]\nname = "notes"\n',
            "crates/shared/Cargo.toml": _crate("shared"),
            "crates/shared/src/lib.rs": "pub fn shared() {}\n",
            "crates/tools/Cargo.toml": _crate("tools"),
            "crates/tools/src/lib.rs": "pub fn tools() {}\n",
        },
    )
    return root
