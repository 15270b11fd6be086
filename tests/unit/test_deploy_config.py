from __future__ import annotations

from pathlib import Path

import pytest

from pmcp_action.deploy_config import DeployConfig, find_deploy_config, load_deploy_config
from pmcp_action.errors import ConfigError, ValidationError
from pmcp_action.project import detect_server_name, read_crate_version

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hello-mcp"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".pmcp" / "deploy.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_example_config_is_read_with_cargo_pmcp_defaults():
    config, _ = load_deploy_config(EXAMPLE / ".pmcp" / "deploy.toml")
    assert config.target_type == "pmcp-run"
    assert config.server.name == "hello-mcp"
    assert (config.server.memory_mb, config.server.timeout_seconds) == (256, 20)
    assert dict(config.environment) == {"RUST_LOG": "info", "GREETING": "Hello from CI"}
    assert config.composition.tier == "foundation" and config.composition.allow_composition
    assert config.assets.include == () and "**/.DS_Store" in config.assets.exclude
    assert config.auth.dcr.default_scopes == ("openid", "email", "mcp/read")
    assert config.table("aws")["region"] == "us-east-1"


def test_minimal_file_gets_defaults(tmp_path):
    config, _ = load_deploy_config(write(tmp_path, '[server]\nname = "x"\n'))
    assert config.server.memory_mb == 512 and config.server.timeout_seconds == 30
    assert config.target_version == "1.0.0"
    assert config.observability.log_retention_days == 30


def test_malformed_toml_names_file_and_line(tmp_path):
    path = write(tmp_path, '[target]\ntype = "pmcp-run"\n\n[server]\nname = "x\n')
    with pytest.raises(ConfigError) as caught:
        load_deploy_config(path)
    assert f"{path}:5:" in caught.value.message
    assert "Failed to parse .pmcp/deploy.toml" in caught.value.message
    assert "line 5" in caught.value.remediation


def test_wrong_types_name_the_key_and_line(tmp_path):
    path = write(
        tmp_path,
        '[server]\nname = "x"\nmemory_mb = "lots"\n\n[composition]\ntier = "other"\n'
        "[environment]\nNESTED = { a = 1 }\n",
    )
    with pytest.raises(ValidationError) as caught:
        load_deploy_config(path)
    text = caught.value.message
    assert f"{path}:3 [server].memory_mb: must be an integer, found 'lots'" in text
    assert f"{path}:6 [composition].tier: unknown tier 'other'" in text
    assert f"{path}:8 [environment].NESTED: must be a string" in text


def test_find_deploy_config_walks_up(tmp_path):
    path = write(tmp_path, '[server]\nname = "x"\n')
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    assert find_deploy_config(nested) == path.resolve()
    sibling = tmp_path.parent / f"{tmp_path.name}-sibling"
    sibling.mkdir()
    assert find_deploy_config(sibling) is None


def test_where_without_a_file():
    assert DeployConfig().where("server.name") == "[server].name"


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
