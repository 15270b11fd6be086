"""settings.deploy_toml_reading: finding and reading .pmcp/deploy.toml; every refusal names
the file and line."""

from __future__ import annotations

import pytest

from pmcp_action.errors import ConfigError, ValidationError
from pmcp_action.settings.deploy_toml_reading import find_deploy_config, load_deploy_config

from .helpers import EXAMPLE, write


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


def test_a_directory_named_deploy_toml_is_refused_not_skipped(tmp_path):
    (tmp_path / ".pmcp" / "deploy.toml").mkdir(parents=True)
    found = find_deploy_config(tmp_path)
    assert found is not None and found == (tmp_path / ".pmcp" / "deploy.toml").resolve()
    with pytest.raises(ConfigError) as caught:
        load_deploy_config(found)
    assert caught.value.message == f"{found} is a directory, not a file."


def test_a_looping_or_dangling_symlink_is_refused(tmp_path):
    (tmp_path / ".pmcp").mkdir()
    link = tmp_path / ".pmcp" / "deploy.toml"
    link.symlink_to(link)
    assert find_deploy_config(tmp_path) is not None
    with pytest.raises(ConfigError, match="is a symbolic link that loops"):
        load_deploy_config(link)
    link.unlink()
    link.symlink_to(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="is a symbolic link to a file that does not exist"):
        load_deploy_config(link)


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path):
    path = write(tmp_path, "")
    with path.open("wb") as handle:
        handle.truncate(60 * 1024 * 1024)  # sparse: 60 MiB without writing them
    with pytest.raises(ConfigError) as caught:
        load_deploy_config(path)
    assert "is 60.0 MiB" in caught.value.message
    assert "more than 1024 KiB is refused unread" in caught.value.message


def test_a_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "deploy.toml"
    path.write_bytes('\ufeff[server]\nname = "bom"\n'.encode())
    config, _ = load_deploy_config(path)
    assert config.server.name == "bom"
    assert config.where("server.name") == f"{path}:2 [server].name"


def test_a_table_of_the_wrong_type_is_refused_once(tmp_path):
    path = write(tmp_path, 'server = "x"\n[target]\ntype = "pmcp-run"\naws = 3\n')
    with pytest.raises(ValidationError) as caught:
        load_deploy_config(path)
    assert [p.render() for p in caught.value.problems] == [
        f"{path}:1 [server]: must be a table, found a string — write it as a [server] table "
        "with its keys below",
    ]


def test_cargo_pmcp_0_28_keys_are_read(tmp_path):
    path = write(
        tmp_path,
        '[server]\nname = "x"\nmcp_path = "/api/mcp"\nephemeral_storage_mb = 2048\n\n'
        '[build]\nfeatures = ["a", "b"]\nno_default_features = true\n\n'
        '[post_deploy_tests]\nenabled = false\nchecks = ["connectivity", "apps"]\n'
        'apps_mode = "chatgpt"\non_failure = "warn"\ntimeout_seconds = 30\n'
        "warmup_grace_ms = 500\n",
    )
    config, _ = load_deploy_config(path)
    assert config.server.mcp_path == "/api/mcp" and config.server.ephemeral_storage_mb == 2048
    assert config.build.features == ("a", "b") and config.build.no_default_features
    tests = config.post_deploy_tests
    assert tests.enabled is False and tests.checks == ("connectivity", "apps")
    assert (tests.apps_mode, tests.on_failure) == ("chatgpt", "warn")
    assert (tests.timeout_seconds, tests.warmup_grace_ms) == (30, 500)


def test_absent_0_28_keys_are_unset(tmp_path):
    config, _ = load_deploy_config(write(tmp_path, '[server]\nname = "x"\n'))
    assert config.server.mcp_path is None and config.server.ephemeral_storage_mb is None
    assert config.build.features == () and not config.build.no_default_features
    assert config.post_deploy_tests.enabled is None and config.post_deploy_tests.checks is None


def test_invalid_0_28_keys_name_the_file_line_and_rule(tmp_path):
    path = write(
        tmp_path,
        '[server]\nname = "x"\nmcp_path = "mcp?x"\nephemeral_storage_mb = 100\n\n'
        '[build]\nfeatures = "a"\nprofile = "fast"\n\n'
        '[post_deploy_tests]\nchecks = "all"\ntimeout_seconds = "soon"\n',
    )
    with pytest.raises(ValidationError) as caught:
        load_deploy_config(path)
    text = caught.value.message
    assert f"{path}:3 [server].mcp_path: 'mcp?x' must start with '/'" in text
    assert f"{path}:4 [server].ephemeral_storage_mb: 100 is out of range — use 512 to 10240" in text
    assert f"{path}:7 [build].features: must be a list of strings" in text
    assert f"{path}:8 [build].profile: unknown key [build].profile" in text
    assert f"{path}:11 [post_deploy_tests].checks: must be a list of strings" in text
    assert f"{path}:12 [post_deploy_tests].timeout_seconds: must be an integer" in text


def test_a_path_with_a_query_is_refused(tmp_path):
    path = write(tmp_path, '[server]\nname = "x"\nmcp_path = "/mcp?x=1"\n')
    with pytest.raises(ValidationError, match=r"contains '\?': it is a URL path"):
        load_deploy_config(path)
