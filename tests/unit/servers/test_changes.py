"""servers.changes: a server nested in another's directory is its own; a change under it is
not the outer server's."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmcp_action.servers.changes import changed_servers
from pmcp_action.servers.discovery import find_servers
from tests.support.monorepo import commit_all, init_repository, write_files

DEPLOY = '[target]\ntype = "pmcp-run"\n[server]\nname = "{}"\n'


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("src/main.rs", ["outer"]),
        ("tools/inner/src/main.rs", ["inner"]),
        ("tools/README.md", ["outer"]),
    ],
)
def test_a_nested_servers_files_are_its_own(tmp_path: Path, path: str, expected: list[str]) -> None:
    repo = init_repository(tmp_path / "repo")
    write_files(
        repo,
        {
            ".pmcp/deploy.toml": DEPLOY.format("outer"),
            "src/main.rs": "fn main() {}\n",
            "tools/inner/.pmcp/deploy.toml": DEPLOY.format("inner"),
            "tools/inner/src/main.rs": "fn main() {}\n",
        },
    )
    base = commit_all(repo, "base")
    write_files(repo, {path: "changed\n"})
    commit_all(repo, "change")
    servers = find_servers(
        repo, shown_root=Path("."), target="", target_source="", known_targets=("pmcp-run",)
    )

    changed = changed_servers(servers, repo, base, "input 'changed-since'")

    assert [server.name for server in changed] == expected
