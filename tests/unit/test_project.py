"""project: the server name and crate version, read from Cargo.toml as cargo-pmcp reads them."""

from __future__ import annotations

from pmcp_action.project import detect_server_name, read_crate_version


def test_server_name_detection_follows_cargo_pmcp(tmp_path):
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "solo"\nversion = "2.0.0"\n')
    assert detect_server_name(tmp_path) == "solo"
    assert read_crate_version(tmp_path) == "2.0.0"

    (tmp_path / "Cargo.toml").write_text(
        '[workspace]\nmembers = ["crates/mcp-weather-core", "weather-lambda", "server-common"]\n'
        '[workspace.package]\nversion = "0.9.0"\n'
    )
    assert detect_server_name(tmp_path) == "weather"
    assert read_crate_version(tmp_path) == "0.9.0"

    (tmp_path / "Cargo.toml").write_text(
        '[workspace]\nmembers = ["server-common", "calc-server"]\n'
    )
    assert detect_server_name(tmp_path) == "calc"
    (tmp_path / "Cargo.toml").write_text(
        '[workspace]\nmembers = ["server-common", "tool-lambda"]\n'
    )
    assert detect_server_name(tmp_path) == "tool"


def test_no_cargo_toml_means_no_name(tmp_path):
    assert detect_server_name(tmp_path) == ""
    assert read_crate_version(tmp_path) == ""
