"""Links in the project may lead into the workspace, RUNNER_TEMP or the system temp dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmcp_action.artifact.workspace import Bounds, check_links
from pmcp_action.errors import ConfigError
from tests.unit.artifact.helpers import write

_FIX = (
    "Copy the file into the workspace (or build it there) instead of linking to it. Links out "
    "of the workspace are refused so that a checkout cannot make the action read and upload "
    "files from elsewhere on the runner."
)


def test_bounds_come_from_the_ci_variables(tmp_path: Path, system_temp: Path) -> None:
    root = tmp_path / "ws" / "server"
    environ = {"GITHUB_WORKSPACE": str(tmp_path / "ws"), "RUNNER_TEMP": str(tmp_path / "rt")}

    assert Bounds.of(root, environ) == Bounds(
        project_root=root,
        workspace=tmp_path / "ws",
        runner_temp=tmp_path / "rt",
        system_temp=system_temp,
    )
    assert Bounds.of(root, {"CI_PROJECT_DIR": str(tmp_path)}).workspace == tmp_path
    assert Bounds.of(root, {}).workspace == root
    assert Bounds.of(root, {}).runner_temp is None


def test_a_link_out_of_every_allowed_directory_is_refused(
    tmp_path: Path, system_temp: Path
) -> None:
    root = tmp_path / "proj"
    secret = write(tmp_path / "home" / ".aws" / "credentials", "x")
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "bootstrap").symlink_to(secret)
    bounds = Bounds.of(root, {"RUNNER_TEMP": str(tmp_path / "rt")})

    with pytest.raises(ConfigError) as caught:
        check_links(root / "bin" / "bootstrap", "the bootstrap", bounds)

    assert caught.value.message == (
        f"the bootstrap is a symlink to {secret}, outside the workspace ({root}), RUNNER_TEMP "
        f"({tmp_path / 'rt'}) and the system temp directory ({system_temp}); it was not read."
    )
    assert caught.value.remediation == _FIX


def test_a_relative_link_shows_what_it_says_and_where_it_resolves(
    tmp_path: Path, system_temp: Path
) -> None:
    root = tmp_path / "proj"
    write(tmp_path / "elsewhere" / "real", "x")
    (tmp_path / "hop").symlink_to(tmp_path / "elsewhere")
    root.mkdir()
    (root / "bootstrap").symlink_to("../hop/real")

    with pytest.raises(ConfigError) as caught:
        check_links(root / "bootstrap", "the bootstrap", Bounds.of(root, {}))

    assert caught.value.message == (
        f"the bootstrap is a symlink to ../hop/real (resolved: {tmp_path / 'elsewhere' / 'real'}), "
        f"outside the workspace ({root}) and the system temp directory ({system_temp}); it was "
        "not read."
    )


def test_a_directory_link_on_the_way_is_named(tmp_path: Path, system_temp: Path) -> None:
    root = tmp_path / "proj"
    write(tmp_path / "outside" / "bootstrap", "x")
    root.mkdir()
    (root / "dist").symlink_to(tmp_path / "outside")

    with pytest.raises(ConfigError) as caught:
        check_links(root / "dist" / "bootstrap", "the bootstrap", Bounds.of(root, {}))

    assert caught.value.message.startswith(
        f"the bootstrap leads through the symlink dist, which points to {tmp_path / 'outside'}, "
        "outside the workspace"
    )


@pytest.mark.parametrize("into", ["ws/shared", "rt", "system-temp"])
def test_links_into_the_workspace_and_the_temp_directories_are_followed(
    tmp_path: Path, system_temp: Path, into: str
) -> None:
    root = tmp_path / "ws" / "server"
    target = write(tmp_path / into / "bootstrap", "x")
    root.mkdir(parents=True)
    (root / "bootstrap").symlink_to(target)
    environ = {"GITHUB_WORKSPACE": str(tmp_path / "ws"), "RUNNER_TEMP": str(tmp_path / "rt")}

    check_links(root / "bootstrap", "the bootstrap", Bounds.of(root, environ))


def test_a_path_the_workflow_gives_outside_the_project_is_taken_as_given(
    tmp_path: Path, system_temp: Path
) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    real = write(tmp_path / "build" / "real-bootstrap", "x")
    (tmp_path / "build" / "bootstrap").symlink_to(real)

    check_links(tmp_path / "build" / "bootstrap", "the bootstrap", Bounds.of(root, {}))
    check_links(root / ".." / "build" / "bootstrap", "the bootstrap", Bounds.of(root, {}))


def test_a_link_that_leaves_and_comes_back_is_followed(tmp_path: Path, system_temp: Path) -> None:
    root = tmp_path / "proj"
    write(root / "bootstrap", "x")
    (root / "away").symlink_to(tmp_path / "outside")
    (tmp_path / "outside").mkdir()

    check_links(root / "away" / ".." / "proj" / "bootstrap", "the bootstrap", Bounds.of(root, {}))
