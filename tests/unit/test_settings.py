from __future__ import annotations

from pathlib import Path

import pytest

from pmcp_action.errors import Problem, ValidationError
from pmcp_action.keyvalue import parse_key_values
from pmcp_action.settings.catalogue import catalogue
from pmcp_action.settings.loader import load_settings
from pmcp_action.settings.precedence import read_given
from pmcp_action.settings.values import RawValue


def _load(flags=None, environ=None, config_values=None, **kwargs):
    known = kwargs.get("known") or catalogue()
    given = read_given(flags or {}, environ or {}, known.inputs)
    return load_settings(given, environ=environ or {}, config_values=config_values, **kwargs)


def test_precedence_flag_over_input_over_env_over_config_over_default():
    config = {"server-name": RawValue("from-config", ".pmcp/deploy.toml:3 [server].name")}
    env = {"INPUT_TARGET": "pmcp-run", "PMCP_SERVER_NAME": "from-env"}

    assert _load(environ=env, config_values=config).server_name == "from-env"
    env["INPUT_SERVER-NAME"] = "from-input"
    assert _load(environ=env, config_values=config).server_name == "from-input"
    settings = _load(flags={"server-name": "from-flag"}, environ=env, config_values=config)
    assert settings.server_name == "from-flag"
    assert settings.sources["server-name"] == "flag --server-name"

    del env["INPUT_SERVER-NAME"], env["PMCP_SERVER_NAME"]
    settings = _load(environ=env, config_values=config)
    assert settings.server_name == "from-config"
    assert settings.sources["server-name"] == ".pmcp/deploy.toml:3 [server].name"
    assert settings.timeout_minutes == 15 and settings.sources.get("timeout-minutes") == "default"


@pytest.mark.parametrize("key", ["INPUT_SERVER-NAME", "INPUT_SERVER_NAME"])
def test_both_input_spellings_are_read(key):
    settings = _load(environ={"INPUT_TARGET": "aws-lambda", key: "demo"})
    assert settings.server_name == "demo"


def test_an_empty_input_counts_as_not_given():
    env = {"INPUT_TARGET": "aws-lambda", "INPUT_REGION": "", "PMCP_REGION": "eu-west-1"}
    assert _load(environ=env).inputs.text("region") == "eu-west-1"


def test_first_listed_environment_variable_wins():
    env = {
        "INPUT_TARGET": "pmcp-run",
        "PMCP_RUN_API_URL": "https://b.example",
        "PMCP_API_URL": "https://a.example",
    }
    assert _load(environ=env).inputs.string("pmcp-api-url") == "https://a.example"
    del env["PMCP_API_URL"]
    assert _load(environ=env).inputs.string("pmcp-api-url") == "https://b.example"


def test_all_problems_are_reported_together():
    env = {
        "INPUT_TARGET": "gcp",
        "INPUT_TIMEOUT-MINUTES": "soon",
        "INPUT_DEBUG": "maybe",
        "INPUT_VERIFY-URL": "http://example.com/mcp",
        "INPUT_SERVER-NAME": "-bad name",
    }
    with pytest.raises(ValidationError) as caught:
        _load(environ=env)
    text = caught.value.message
    assert "5 problems" in text
    assert "input 'target': unknown value 'gcp' — valid values: pmcp-run, aws-lambda," in text
    assert "input 'timeout-minutes': 'soon' is not a whole number" in text
    assert "input 'debug': 'maybe' is not a boolean — use true or false" in text
    assert "input 'verify-url': plain http:// to a non-loopback host (example.com)" in text
    assert "is not a valid server name" in text


def test_missing_target_lists_the_valid_ones():
    with pytest.raises(ValidationError) as caught:
        _load(environ={})
    assert "no target given" in caught.value.message
    assert "cloudflare-workers" in caught.value.message


def test_int_range_is_checked():
    with pytest.raises(ValidationError) as caught:
        _load(environ={"INPUT_TARGET": "aws-lambda", "INPUT_ROLE-DURATION-SECONDS": "60"})
    assert "60 is out of range — use 900 to 43200" in caught.value.message


def test_loopback_http_is_accepted_and_trailing_slash_dropped():
    env = {"INPUT_TARGET": "pmcp-run", "INPUT_PMCP-API-URL": "http://127.0.0.1:8080/"}
    assert _load(environ=env).inputs.string("pmcp-api-url") == "http://127.0.0.1:8080"


def test_secrets_reach_on_secret_before_validation_fails():
    seen: list[str] = []
    env = {
        "INPUT_TARGET": "nope",
        "INPUT_PMCP-CLIENT-SECRET": " s3cr3t-value ",
        "AWS_SECRET_ACCESS_KEY": "abcd1234",
    }
    with pytest.raises(ValidationError):
        _load(environ=env, on_secret=seen.append)
    assert seen == ["s3cr3t-value", "abcd1234"]


def test_environment_input_parses_lines_and_reports_bad_ones():
    settings = _load(
        environ={"INPUT_TARGET": "pmcp-run", "INPUT_ENVIRONMENT": "A=1\n# c\n\nB = two=2\n"}
    )
    assert dict(settings.environment) == {"A": "1", "B": " two=2"}
    with pytest.raises(ValidationError) as caught:
        _load(environ={"INPUT_TARGET": "pmcp-run", "INPUT_ENVIRONMENT": "A=1\nnot a pair\n1X=2"})
    assert "input 'environment', line 2: expected KEY=VALUE" in caught.value.message
    assert "input 'environment', line 3" in caught.value.message


def test_parse_env_lines_collects_problems():
    problems: list[Problem] = []
    assert parse_key_values("K=v\nbad", "x", problems) == {"K": "v"}
    assert problems[0].where == "x, line 2"


def test_debug_follows_runner_debug():
    assert _load(environ={"INPUT_TARGET": "pmcp-run", "RUNNER_DEBUG": "1"}).debug is True
    assert _load(environ={"INPUT_TARGET": "pmcp-run"}).debug is False


def test_tools_are_split():
    env = {"INPUT_TARGET": "aws-lambda", "INPUT_VERIFY-TOOLS": "add\nsubtract, multiply"}
    assert _load(environ=env).verify_tools == ("add", "subtract", "multiply")


def test_redacted_hides_secret_values_and_environment_values():
    settings = _load(
        environ={
            "INPUT_TARGET": "pmcp-run",
            "PMCP_CLIENT_SECRET": "topsecret",
            "INPUT_ENVIRONMENT": "API_KEY=value-not-shown",
            "INPUT_WORKING-DIRECTORY": "sub",
        }
    )
    report = settings.redacted()
    assert report["pmcp-client-secret"] == "***"
    assert report["environment"] == ["API_KEY"]
    assert report["working-directory"] == "sub"
    assert "topsecret" not in repr(report) and "value-not-shown" not in repr(report)
    assert settings.working_directory == Path("sub")
