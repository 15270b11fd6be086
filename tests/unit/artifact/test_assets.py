"""pmcp_action.artifact.assets: selecting the [assets] files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pmcp_action.artifact import collect_assets
from pmcp_action.errors import ConfigError
from pmcp_action.settings.deploy_toml import AssetsConfig
from tests.unit.artifact.helpers import new_console, write

# --- assets -----------------------------------------------------------------------------


def test_assets_include_exclude_and_defaults(tmp_path: Path) -> None:
    write(tmp_path / "static" / "app.js", "js")
    write(tmp_path / "static" / "css" / "site.css", "css")
    write(tmp_path / "static" / "css" / "old.tmp", "tmp")
    write(tmp_path / "static" / ".DS_Store", "mac")
    write(tmp_path / "static" / "draft.md", "md")
    write(tmp_path / "data" / "chinook.db", "db")
    write(tmp_path / "data" / "other.db", "db")
    write(tmp_path / "README.md", "readme")

    found = collect_assets(
        tmp_path,
        AssetsConfig(
            include=("static/**", "data/chinook.db", "*.md"), exclude=(*_defaults(), "**/draft.md")
        ),
    )

    assert [arc for _, arc in found] == [
        "assets/README.md",
        "assets/data/chinook.db",
        "assets/static/app.js",
        "assets/static/css/site.css",
    ]
    assert found[0][0] == tmp_path / "README.md"


def _defaults() -> tuple[str, ...]:
    return AssetsConfig().exclude


def test_assets_double_star_matches_zero_directories(tmp_path: Path) -> None:
    write(tmp_path / "top.json", "{}")
    write(tmp_path / "a" / "b" / "deep.json", "{}")
    write(tmp_path / "a" / "b" / "deep.txt", "x")

    found = collect_assets(tmp_path, AssetsConfig(include=("**/*.json",)))

    assert [arc for _, arc in found] == ["assets/a/b/deep.json", "assets/top.json"]


def test_assets_single_star_stays_in_its_directory(tmp_path: Path) -> None:
    write(tmp_path / "static" / "a.css", "a")
    write(tmp_path / "static" / "sub" / "b.css", "b")

    found = collect_assets(tmp_path, AssetsConfig(include=("static/*.css",)))

    assert [arc for _, arc in found] == ["assets/static/a.css"]


def test_assets_base_dir(tmp_path: Path) -> None:
    write(tmp_path / "web" / "dist" / "index.html", "i")
    write(tmp_path / "web" / "dist" / "js" / "app.js", "j")
    write(tmp_path / "web" / "dist" / "js" / "app.js.tmp", "t")

    found = collect_assets(tmp_path, AssetsConfig(include=("**",), base_dir="web/dist"))

    assert found == [
        (tmp_path / "web" / "dist" / "index.html", "assets/index.html"),
        (tmp_path / "web" / "dist" / "js" / "app.js", "assets/js/app.js"),
    ]


def test_assets_exclude_relative_to_project_root_with_base_dir(tmp_path: Path) -> None:
    write(tmp_path / "web" / "a.txt", "a")
    write(tmp_path / "web" / "b.txt", "b")

    found = collect_assets(
        tmp_path, AssetsConfig(include=("*.txt",), exclude=("web/b.txt",), base_dir="web")
    )

    assert [arc for _, arc in found] == ["assets/a.txt"]


def test_assets_file_matched_twice_is_packed_once(tmp_path: Path) -> None:
    write(tmp_path / "static" / "a.css", "a")

    found = collect_assets(tmp_path, AssetsConfig(include=("static/*", "**/*.css")))

    assert [arc for _, arc in found] == ["assets/static/a.css"]


def test_assets_unmatched_pattern_warns(tmp_path: Path) -> None:
    write(tmp_path / "static" / "a.css", "a")
    write(tmp_path / "tmp" / "x.tmp", "x")
    console, log = new_console()

    found = collect_assets(
        tmp_path, AssetsConfig(include=("static", "missing/*.png", "tmp/*")), console=console
    )

    assert found == []
    text = log.getvalue()
    assert "pattern 'static' matches no files" in text
    assert "use 'static/**' for its files" in text
    assert "pattern 'missing/*.png' matches no files" in text
    assert "its 1 match(es) are all excluded by [assets].exclude" in text


def test_assets_missing_base_dir_warns(tmp_path: Path) -> None:
    console, log = new_console()

    assert (
        collect_assets(tmp_path, AssetsConfig(include=("*",), base_dir="nope"), console=console)
        == []
    )
    assert "[assets].base_dir 'nope' is not a directory" in log.getvalue()


def test_assets_without_include_is_empty(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "a")

    assert collect_assets(tmp_path, AssetsConfig()) == []


@pytest.mark.parametrize("pattern", ["../shared/*.json", "static/../../x", "/etc/passwd"])
def test_assets_patterns_that_leave_the_root_are_refused(tmp_path: Path, pattern: str) -> None:
    with pytest.raises(ConfigError) as caught:
        collect_assets(tmp_path, AssetsConfig(include=(pattern,)))

    assert repr(pattern) in caught.value.message


def test_assets_base_dir_outside_the_root_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (tmp_path / "outside").mkdir()

    with pytest.raises(ConfigError, match="outside the project root"):
        collect_assets(root, AssetsConfig(include=("*",), base_dir="../outside"))


def test_assets_escaping_file_symlink_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    secret = write(tmp_path / "secret.txt", "s3cret")
    (root / "static").mkdir(parents=True)
    (root / "static" / "leak.txt").symlink_to(secret)

    with pytest.raises(ConfigError) as caught:
        collect_assets(root, AssetsConfig(include=("static/*",)))

    assert "static/leak.txt" in caught.value.message
    assert str(secret) in caught.value.message
    assert "outside the project root" in caught.value.message


def test_assets_escaping_directory_symlink_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    write(tmp_path / "shared" / "data.json", "{}")
    (root / "static").mkdir(parents=True)
    (root / "static" / "shared").symlink_to(tmp_path / "shared")

    with pytest.raises(ConfigError, match="static/shared/"):
        collect_assets(root, AssetsConfig(include=("static/**",)))


def test_assets_escaping_symlink_outside_the_patterns_is_ignored(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    write(root / "static" / "a.css", "a")
    (root / "venv-python").symlink_to("/usr/bin/env")
    (root / "external").symlink_to(tmp_path)

    found = collect_assets(root, AssetsConfig(include=("static/**",)))

    assert [arc for _, arc in found] == ["assets/static/a.css"]


def test_assets_symlinks_inside_the_root_are_followed(tmp_path: Path) -> None:
    write(tmp_path / "real" / "a.css", "a")
    (tmp_path / "static").symlink_to(tmp_path / "real")
    (tmp_path / "real" / "loop").symlink_to(tmp_path / "real")

    found = collect_assets(tmp_path, AssetsConfig(include=("static/**",)))

    assert [arc for _, arc in found] == ["assets/static/a.css"]


def test_an_escaping_asset_link_is_named_with_what_it_points_to(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    secret = write(tmp_path / "secret.txt", "s3cret")
    (root / "static").mkdir(parents=True)
    (root / "static" / "leak.txt").symlink_to("../../secret.txt")

    with pytest.raises(ConfigError) as caught:
        collect_assets(root, AssetsConfig(include=("static/*",)))

    assert caught.value.message == (
        f"[assets] reaches static/leak.txt, a symlink to ../../secret.txt, which resolves to "
        f"{os.path.realpath(secret)}, outside the project root {os.path.realpath(root)}; it was "
        "not read."
    )


def test_an_escaping_asset_directory_link_is_named(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    write(tmp_path / "shared" / "data.json", "{}")
    (root / "static").mkdir(parents=True)
    (root / "static" / "shared").symlink_to(tmp_path / "shared")

    with pytest.raises(ConfigError) as caught:
        collect_assets(root, AssetsConfig(include=("static/**",)))

    assert caught.value.message.startswith(
        f"[assets] reaches static/shared/, a symlink to {tmp_path / 'shared'}, which resolves to "
    )


@pytest.mark.timeout(10)
def test_a_selected_fifo_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "static" / "a.css", "a")
    os.mkfifo(tmp_path / "static" / "events")

    with pytest.raises(ConfigError) as caught:
        collect_assets(tmp_path, AssetsConfig(include=("static/**",)))

    assert caught.value.message == (
        "[assets] selects static/events, which is a FIFO (named pipe), not a regular file; it "
        "was not read."
    )
    assert caught.value.remediation == (
        "Add an [assets].exclude for it or narrow [assets].include; only regular files are "
        "packaged. Devices, FIFOs and sockets are never read: they can block or never end."
    )


def test_an_excluded_fifo_is_fine(tmp_path: Path) -> None:
    write(tmp_path / "static" / "a.css", "a")
    os.mkfifo(tmp_path / "static" / "events")

    found = collect_assets(tmp_path, AssetsConfig(include=("static/**",), exclude=("**/events",)))

    assert [arc for _, arc in found] == ["assets/static/a.css"]


def test_a_broken_asset_link_is_left_out(tmp_path: Path) -> None:
    write(tmp_path / "static" / "a.css", "a")
    (tmp_path / "static" / "gone.css").symlink_to(tmp_path / "nowhere")

    found = collect_assets(tmp_path, AssetsConfig(include=("static/**",)))

    assert [arc for _, arc in found] == ["assets/static/a.css"]
