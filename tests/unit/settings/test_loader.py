"""settings.loader: every problem reported together, secrets masked first, the core's values."""

from __future__ import annotations

import pytest

from pmcp_action.errors import ValidationError

from .helpers import load_settings_from


def test_all_problems_are_reported_together():
    env = {
        "INPUT_TARGET": "gcp",
        "INPUT_TIMEOUT-MINUTES": "soon",
        "INPUT_DEBUG": "maybe",
        "INPUT_VERIFY-URL": "http://example.com/mcp",
        "INPUT_SERVER-NAME": "-bad name",
    }
    with pytest.raises(ValidationError) as caught:
        load_settings_from(environ=env)
    text = caught.value.message
    assert "5 problems" in text
    assert "input 'target': unknown value 'gcp' — valid values: pmcp-run, aws-lambda," in text
    assert "input 'timeout-minutes': 'soon' is not a whole number" in text
    assert "input 'debug': 'maybe' is not a boolean — use true or false" in text
    assert "input 'verify-url': plain http:// to a non-loopback host (example.com)" in text
    assert "is not a valid server name" in text


def test_missing_target_lists_the_valid_ones():
    with pytest.raises(ValidationError) as caught:
        load_settings_from(environ={})
    assert "no target given" in caught.value.message
    assert "cloudflare-workers" in caught.value.message


def test_secrets_reach_on_secret_before_validation_fails():
    seen: list[str] = []
    env = {
        "INPUT_TARGET": "nope",
        "INPUT_PMCP-CLIENT-SECRET": " s3cr3t-value ",
        "AWS_SECRET_ACCESS_KEY": "abcd1234",
    }
    with pytest.raises(ValidationError):
        load_settings_from(environ=env, on_secret=seen.append)
    assert seen == ["s3cr3t-value", "abcd1234"]


def test_environment_input_parses_lines_and_reports_bad_ones():
    settings = load_settings_from(
        environ={"INPUT_TARGET": "pmcp-run", "INPUT_ENVIRONMENT": "A=1\n# c\n\nB = two=2\n"}
    )
    assert dict(settings.environment) == {"A": "1", "B": " two=2"}
    with pytest.raises(ValidationError) as caught:
        load_settings_from(
            environ={"INPUT_TARGET": "pmcp-run", "INPUT_ENVIRONMENT": "A=1\nnot a pair\n1X=2"}
        )
    assert "input 'environment', line 2: expected KEY=VALUE" in caught.value.message
    assert "input 'environment', line 3" in caught.value.message


def test_debug_follows_runner_debug():
    assert (
        load_settings_from(environ={"INPUT_TARGET": "pmcp-run", "RUNNER_DEBUG": "1"}).debug is True
    )
    assert load_settings_from(environ={"INPUT_TARGET": "pmcp-run"}).debug is False


def test_tools_are_split():
    env = {"INPUT_TARGET": "aws-lambda", "INPUT_VERIFY-TOOLS": "add\nsubtract, multiply"}
    assert load_settings_from(environ=env).verify_tools == ("add", "subtract", "multiply")


def test_the_secrets_input_takes_heredoc_values_and_masks_each_one():
    seen: list[str] = []
    text = "API_KEY=key-0123\nPEM<<EOF\n-----BEGIN KEY-----\nabcdef\n-----END KEY-----\nEOF\n"
    settings = load_settings_from(
        environ={"INPUT_TARGET": "pmcp-run", "INPUT_SECRETS": text}, on_secret=seen.append
    )
    assert dict(settings.secrets) == {
        "API_KEY": "key-0123",
        "PEM": "-----BEGIN KEY-----\nabcdef\n-----END KEY-----",
    }
    assert {"key-0123", "-----BEGIN KEY-----\nabcdef\n-----END KEY-----"} <= set(seen)
    assert settings.redacted()["secrets"] == ["API_KEY", "PEM"]  # names, never values
    with pytest.raises(ValidationError) as caught:
        load_settings_from(environ={"INPUT_TARGET": "pmcp-run", "INPUT_SECRETS": "X<<EOF\nv\n"})
    assert "input 'secrets', line 1: the value started here never ends" in caught.value.message
