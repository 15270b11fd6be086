"""Builders for the init tests: a project in a git repository, and init run on it."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import pytest

from pmcp_action.__main__ import main
from tests.support.monorepo import init_repository, write_files

__all__ = ["cli", "deploy_toml", "write_project"]


def deploy_toml(
    target: str,
    name: str = "weather",
    *,
    tables: str = "",
    secrets: Mapping[str, str] | None = None,
) -> str:
    """A deploy.toml as cargo-pmcp writes one; ``secrets``: name -> its entry's TOML."""
    text = f'[target]\ntype = "{target}"\n\n[server]\nname = "{name}"\n\n{tables}'
    if secrets is not None:
        text += "\n[secrets]\n" + "".join(f"{k} = {v}\n" for k, v in secrets.items())
    return text


def write_project(
    repo: Path,
    target: str,
    *,
    where: str = ".",
    name: str = "weather",
    tables: str = "",
    secrets: Mapping[str, str] | None = None,
    files: Mapping[str, str] | None = None,
    git: bool = True,
) -> Path:
    """A server project at ``repo/where`` (a git repository at ``repo`` unless ``git`` is
    false); returns the project's directory."""
    if git:
        init_repository(repo)
    project = repo / where
    write_files(
        project,
        {
            ".pmcp/deploy.toml": deploy_toml(target, name, tables=tables, secrets=secrets),
            "Cargo.toml": f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2021"\n',
            "src/main.rs": "fn main() {}\n",
            **(files or {}),
        },
    )
    return project


def cli(where: Path, *args: str, env: Mapping[str, str] | None = None) -> tuple[int, str, str]:
    """``pmcp-action init ARGS`` run in ``where`` at a terminal (no CI)."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(where)
        code = main(["init", *args], environ=dict(env or {}), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()
