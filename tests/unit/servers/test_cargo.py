"""servers.cargo: what a crate builds from, read from the manifests as cargo reads them."""

from __future__ import annotations

from pathlib import Path

from pmcp_action.errors import Problem
from pmcp_action.servers.cargo import WORKSPACE_FILES, BuildInputs, build_inputs
from tests.support.monorepo import write_files, write_monorepo


def inputs(crate: Path, stop: Path) -> tuple[BuildInputs, list[Problem]]:
    problems: list[Problem] = []
    return build_inputs(crate, stop, problems), problems


def test_a_workspace_member_builds_from_the_workspace_and_its_path_dependencies(
    tmp_path: Path,
) -> None:
    write_monorepo(tmp_path)

    weather, problems = inputs(tmp_path / "servers/weather", tmp_path)
    notes, _ = inputs(tmp_path / "servers/notes", tmp_path)
    calc, _ = inputs(tmp_path / "servers/calc", tmp_path)

    assert problems == []
    workspace = frozenset(tmp_path / name for name in WORKSPACE_FILES)
    assert weather == BuildInputs(frozenset({tmp_path / "crates/shared"}), workspace)
    assert notes == BuildInputs(frozenset({tmp_path / "crates/tools"}), workspace)
    assert calc == BuildInputs(frozenset(), workspace)


def test_dependencies_are_followed_through_and_cycles_end(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "server/Cargo.toml": '[package]\nname = "s"\n[build-dependencies]\n'
            'a = { path = "../a" }\n',
            "a/Cargo.toml": '[package]\nname = "a"\n[target."cfg(unix)".dependencies]\n'
            'b = { path = "../b" }\n',
            "b/Cargo.toml": '[package]\nname = "b"\n[dependencies]\na = { path = "../a" }\n'
            's = { path = "../server" }\n',
            "c/Cargo.toml": '[package]\nname = "c"\n',
        },
    )
    found, problems = inputs(tmp_path / "server", tmp_path)
    assert problems == []
    assert found == BuildInputs(frozenset({tmp_path / "a", tmp_path / "b"}), frozenset())


def test_development_dependencies_and_crates_outside_the_repository_do_not_count(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    write_files(
        tmp_path,
        {
            "repo/server/Cargo.toml": '[package]\nname = "s"\n[dev-dependencies]\n'
            't = { path = "../testing" }\n[dependencies]\nv = { path = "../../vendor" }\n',
            "vendor/Cargo.toml": '[package]\nname = "v"\n',
        },
    )
    assert inputs(repo / "server", repo) == (BuildInputs(frozenset(), frozenset()), [])


def test_a_crate_the_nearest_workspace_does_not_list_is_a_crate_of_its_own(
    tmp_path: Path,
) -> None:
    write_files(
        tmp_path,
        {
            "Cargo.toml": '[workspace]\nmembers = ["listed"]\nexclude = ["excluded"]\n',
            "listed/Cargo.toml": '[package]\nname = "l"\n',
            "excluded/Cargo.toml": '[package]\nname = "e"\n',
            "elsewhere/Cargo.toml": '[package]\nname = "o"\n',
        },
    )
    assert inputs(tmp_path / "listed", tmp_path)[0].files
    assert inputs(tmp_path / "excluded", tmp_path)[0].files == frozenset()
    assert inputs(tmp_path / "elsewhere", tmp_path)[0].files == frozenset()


def test_an_explicit_workspace_and_its_patches(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "root/Cargo.toml": '[workspace]\nmembers = ["../server"]\n'
            '[patch.crates-io]\nserde = { path = "../vendored/serde" }\n',
            "server/Cargo.toml": '[package]\nname = "s"\nworkspace = "../root"\n',
            "vendored/serde/Cargo.toml": '[package]\nname = "serde"\n',
        },
    )
    found, _ = inputs(tmp_path / "server", tmp_path)
    assert found.directories == {tmp_path / "vendored/serde"}
    assert tmp_path / "root/Cargo.lock" in found.files


def test_a_broken_manifest_is_a_problem_named_once(tmp_path: Path) -> None:
    write_files(tmp_path, {"server/Cargo.toml": "[package\nname = 's'\n"})
    found, problems = inputs(tmp_path / "server", tmp_path)
    assert found == BuildInputs(frozenset(), frozenset())
    [problem] = problems
    assert problem.where == str(tmp_path / "server/Cargo.toml")
    assert problem.what.startswith("cannot be read as TOML (")
    assert problem.fix == "fix the manifest so that cargo can read it"
