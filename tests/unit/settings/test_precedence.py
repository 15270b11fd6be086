"""settings.precedence: flag > action input > variable > deploy.toml > default, for every input."""

from __future__ import annotations

import pytest

from pmcp_action.settings.values import RawValue

from .helpers import load_settings_from


def test_precedence_flag_over_input_over_env_over_config_over_default():
    config = {"server-name": RawValue("from-config", ".pmcp/deploy.toml:3 [server].name")}
    env = {"INPUT_TARGET": "pmcp-run", "PMCP_SERVER_NAME": "from-env"}

    assert load_settings_from(environ=env, config_values=config).server_name == "from-env"
    env["INPUT_SERVER-NAME"] = "from-input"
    assert load_settings_from(environ=env, config_values=config).server_name == "from-input"
    settings = load_settings_from(
        flags={"server-name": "from-flag"}, environ=env, config_values=config
    )
    assert settings.server_name == "from-flag"
    assert settings.sources["server-name"] == "flag --server-name"

    del env["INPUT_SERVER-NAME"], env["PMCP_SERVER_NAME"]
    settings = load_settings_from(environ=env, config_values=config)
    assert settings.server_name == "from-config"
    assert settings.sources["server-name"] == ".pmcp/deploy.toml:3 [server].name"
    assert settings.timeout_minutes == 15 and settings.sources.get("timeout-minutes") == "default"


@pytest.mark.parametrize("key", ["INPUT_SERVER-NAME", "INPUT_SERVER_NAME"])
def test_both_input_spellings_are_read(key):
    settings = load_settings_from(environ={"INPUT_TARGET": "aws-lambda", key: "demo"})
    assert settings.server_name == "demo"


def test_an_empty_input_counts_as_not_given():
    env = {"INPUT_TARGET": "aws-lambda", "INPUT_REGION": "", "PMCP_REGION": "eu-west-1"}
    assert load_settings_from(environ=env).inputs.text("region") == "eu-west-1"


def test_first_listed_environment_variable_wins():
    env = {
        "INPUT_TARGET": "pmcp-run",
        "PMCP_RUN_API_URL": "https://b.example",
        "PMCP_API_URL": "https://a.example",
    }
    assert load_settings_from(environ=env).inputs.string("pmcp-api-url") == "https://a.example"
    del env["PMCP_API_URL"]
    assert load_settings_from(environ=env).inputs.string("pmcp-api-url") == "https://b.example"
