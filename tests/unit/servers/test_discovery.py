"""servers.discovery: every directory with a .pmcp/deploy.toml, and only those."""

from __future__ import annotations

import os
from pathlib import Path

from pmcp_action.servers.discovery import Server, find_servers
from tests.support.monorepo import write_files

TARGETS = ("pmcp-run", "aws-lambda", "cloudflare-workers")


def found(root: Path, target: str = "") -> list[Server]:
    return find_servers(
        root,
        shown_root=Path("."),
        target=target,
        target_source="flag --target",
        known_targets=TARGETS,
    )


def test_build_output_dependencies_hidden_folders_and_links_are_not_searched(
    tmp_path: Path,
) -> None:
    deploy = '[target]\ntype = "pmcp-run"\n[server]\nname = "{}"\n'
    write_files(
        tmp_path,
        {
            ".pmcp/deploy.toml": deploy.format("root"),
            "nested/.pmcp/deploy.toml": deploy.format("nested"),
            "target/debug/x/.pmcp/deploy.toml": deploy.format("built"),
            "deploy/node_modules/y/.pmcp/deploy.toml": deploy.format("module"),
            ".cache/z/.pmcp/deploy.toml": deploy.format("hidden"),
            "outside/w/.pmcp/deploy.toml": deploy.format("linked"),
        },
    )
    os.symlink(tmp_path / "outside", tmp_path / "link")
    os.rename(tmp_path / "outside", tmp_path / ".outside")

    servers = found(tmp_path)

    assert [(s.name, s.working_directory) for s in servers] == [
        ("root", "."),
        ("nested", "nested"),
    ]
    assert servers[0].target_source == f"{tmp_path}/.pmcp/deploy.toml:2 [target].type"


def test_the_crate_name_names_a_server_without_server_name(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "a/.pmcp/deploy.toml": '[target]\ntype = "aws-lambda"\n',
            "a/Cargo.toml": '[package]\nname = "alpha"\n',
        },
    )
    [server] = found(tmp_path, target="pmcp-run")
    assert (server.name, server.target, server.target_source) == (
        "alpha",
        "pmcp-run",
        "flag --target",
    )
