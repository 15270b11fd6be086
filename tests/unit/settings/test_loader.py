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


def _with_file(tmp_path, text: str, environ: dict[str, str]):
    from pmcp_action.settings.deploy_toml_reading import find_config

    from .helpers import write

    write(tmp_path, text)
    lookup = find_config(tmp_path, None, [])
    assert lookup.problems == []
    return load_settings_from(
        environ={"INPUT_TARGET": "pmcp-run", **environ},
        config_values=lookup.values,
        deploy_config=lookup.config,
    )


POST_DEPLOY = (
    '[post_deploy_tests]\nenabled = false\nchecks = ["conformance", "apps"]\n'
    'apps_mode = "chatgpt"\non_failure = "warn"\ntimeout_seconds = 30\nwarmup_grace_ms = 250\n'
)


def test_post_deploy_tests_are_fallbacks_of_the_verify_inputs(tmp_path):
    from pmcp_action.settings.vocabulary import AppsMode, Check, OnFailure, VerifyMode

    settings = _with_file(tmp_path, POST_DEPLOY, {})
    assert settings.verify is VerifyMode.FALSE
    assert settings.verify_checks == (Check.CONNECTIVITY, Check.CONFORMANCE, Check.APPS)
    assert settings.verify_apps_mode is AppsMode.CHATGPT
    assert settings.verify_on_failure is OnFailure.WARN
    assert (settings.verify_timeout_seconds, settings.verify_warmup_grace_ms) == (30, 250)
    assert settings.sources["verify"].endswith(":2 [post_deploy_tests].enabled")
    assert settings.sources["verify-on-failure"].endswith(":5 [post_deploy_tests].on_failure")


def test_inputs_win_over_post_deploy_tests(tmp_path):
    from pmcp_action.settings.vocabulary import AppsMode, Check, OnFailure, VerifyMode

    settings = _with_file(
        tmp_path,
        POST_DEPLOY,
        {
            "INPUT_VERIFY": "true",
            "INPUT_VERIFY-CHECKS": "connectivity",
            "INPUT_VERIFY-APPS-MODE": "standard",
            "INPUT_VERIFY-ON-FAILURE": "fail",
            "INPUT_VERIFY-TIMEOUT-SECONDS": "90",
            "PMCP_VERIFY_WARMUP_GRACE_MS": "0",
        },
    )
    assert settings.verify is VerifyMode.TRUE and settings.verify_checks == (Check.CONNECTIVITY,)
    assert settings.verify_apps_mode is AppsMode.STANDARD
    assert settings.verify_on_failure is OnFailure.FAIL
    assert (settings.verify_timeout_seconds, settings.verify_warmup_grace_ms) == (90, 0)


def test_the_defaults_without_post_deploy_tests(tmp_path):
    from pmcp_action.settings.vocabulary import AppsMode, Check, OnFailure, VerifyMode

    settings = _with_file(tmp_path, '[server]\nname = "x"\n', {})
    assert settings.verify is VerifyMode.TRUE and settings.verify_checks == (Check.CONNECTIVITY,)
    assert settings.verify_on_failure is OnFailure.FAIL
    assert settings.verify_apps_mode is AppsMode.CLAUDE_DESKTOP
    assert (settings.verify_timeout_seconds, settings.verify_warmup_grace_ms) == (120, 0)
    assert settings.verify_scenarios == () and settings.verify_oauth_client_id == ""


def test_unknown_checks_and_modes_name_the_file_and_line(tmp_path):
    from pmcp_action.settings.deploy_toml_reading import find_config

    from .helpers import write

    path = write(
        tmp_path,
        '[post_deploy_tests]\nchecks = ["connectivity", "smoke"]\non_failure = "ignore"\n'
        'apps_mode = "gemini"\nwarmup_grace_ms = -1\n',
    )
    lookup = find_config(tmp_path, None, [])
    with pytest.raises(ValidationError) as caught:
        load_settings_from(
            environ={"INPUT_TARGET": "pmcp-run", "INPUT_VERIFY-CHECKS": "connectivity,lint"},
            config_values=lookup.values,
            deploy_config=lookup.config,
        )
    text = caught.value.message
    assert "input 'verify-checks': unknown check 'lint' — valid checks: connectivity," in text
    assert f"{path}:3 [post_deploy_tests].on_failure: unknown value 'ignore'" in text
    assert "valid values: fail, warn, rollback" in text
    assert f"{path}:4 [post_deploy_tests].apps_mode: unknown value 'gemini'" in text
    assert f"{path}:5 [post_deploy_tests].warmup_grace_ms: -1 is out of range" in text
    with pytest.raises(ValidationError) as caught:
        load_settings_from(
            environ={"INPUT_TARGET": "pmcp-run"},
            config_values=lookup.values,
            deploy_config=lookup.config,
        )
    assert f"{path}:2 [post_deploy_tests].checks: unknown check 'smoke'" in caught.value.message


def test_scenario_patterns_are_one_a_line():
    settings = load_settings_from(
        environ={
            "INPUT_TARGET": "pmcp-run",
            "INPUT_VERIFY-SCENARIOS": "tests/scenarios/*.yaml\n\n  smoke.json  \n",
        }
    )
    assert settings.verify_scenarios == ("tests/scenarios/*.yaml", "smoke.json")


def test_client_credentials_come_as_a_pair_and_alone():
    seen: list[str] = []
    settings = load_settings_from(
        environ={
            "INPUT_TARGET": "pmcp-run",
            "INPUT_VERIFY-OAUTH-CLIENT-ID": "verifier",
            "INPUT_VERIFY-OAUTH-CLIENT-SECRET": "cc-secret-1",
            "INPUT_VERIFY-OAUTH-SCOPE": "mcp:read mcp:write",
        },
        on_secret=seen.append,
    )
    assert seen == ["cc-secret-1"]
    assert settings.verify_oauth_scope == "mcp:read mcp:write"
    assert settings.redacted()["verify-oauth-client-secret"] == "***"
    with pytest.raises(ValidationError) as caught:
        load_settings_from(
            environ={
                "INPUT_TARGET": "pmcp-run",
                "INPUT_VERIFY-OAUTH-CLIENT-SECRET": "cc-secret-1",
                "INPUT_VERIFY-OAUTH-SCOPE": "mcp",
            }
        )
    text = caught.value.message
    assert "input 'verify-oauth-client-secret': is given without verify-oauth-client-id" in text
    assert "input 'verify-oauth-scope': is given without verify-oauth-client-id" in text
    assert "cc-secret-1" not in text
    with pytest.raises(ValidationError, match="given with verify-bearer-token"):
        load_settings_from(
            environ={
                "INPUT_TARGET": "pmcp-run",
                "INPUT_VERIFY-OAUTH-CLIENT-ID": "verifier",
                "INPUT_VERIFY-OAUTH-CLIENT-SECRET": "cc-secret-1",
                "INPUT_VERIFY-BEARER-TOKEN": "tok",
            }
        )


def test_a_rollback_asked_for_against_rollback_on_failure_false(tmp_path):
    with pytest.raises(ValidationError) as caught:
        load_settings_from(
            environ={
                "INPUT_TARGET": "pmcp-run",
                "INPUT_VERIFY-ON-FAILURE": "rollback",
                "INPUT_ROLLBACK-ON-FAILURE": "false",
            }
        )
    assert "input 'verify-on-failure': asks for a rollback, but input 'rollback-on-failure'" in (
        caught.value.message
    )
    # From the file, on_failure yields to the input.
    settings = _with_file(
        tmp_path,
        '[post_deploy_tests]\non_failure = "rollback"\n',
        {"INPUT_ROLLBACK-ON-FAILURE": "false"},
    )
    assert settings.rollback_on_failure is False


def test_traffic_steps_default_to_all_at_once_and_read_a_list():
    plain = load_settings_from(environ={"INPUT_TARGET": "google-cloud-run"})
    assert plain.traffic_steps == (100,) and plain.traffic_step_seconds == 60
    given = load_settings_from(
        environ={
            "INPUT_TARGET": "google-cloud-run",
            "INPUT_TRAFFIC-STEPS": " 10, 50\n100 ",
            "PMCP_TRAFFIC_STEP_SECONDS": "0",
        }
    )
    assert given.traffic_steps == (10, 50, 100) and given.traffic_step_seconds == 0


@pytest.mark.parametrize(
    ("steps", "said"),
    [
        ("10,50", "ends at 50 %, not 100 %"),
        ("50,10,100", "the steps do not strictly increase"),
        ("10,10,100", "the steps do not strictly increase"),
        ("0,100", "'0' is not a percentage"),
        ("10,150", "'150' is not a percentage"),
        ("ten,100", "'ten' is not a percentage"),
        ("10.5,100", "'10.5' is not a percentage"),
        (",", "names no step"),
    ],
)
def test_bad_traffic_steps_say_what_and_how_to_fix(steps, said):
    with pytest.raises(ValidationError) as caught:
        load_settings_from(
            environ={"INPUT_TARGET": "google-cloud-run", "INPUT_TRAFFIC-STEPS": steps}
        )
    assert f"input 'traffic-steps': {said} — give percentages from 1 to 100" in caught.value.message
    assert "ending in 100, e.g. 10,50,100" in caught.value.message


def test_traffic_step_seconds_is_a_bounded_whole_number():
    for bad, said in (("-1", "-1 is out of range"), ("1m", "'1m' is not a whole number")):
        with pytest.raises(ValidationError) as caught:
            load_settings_from(
                environ={"INPUT_TARGET": "google-cloud-run", "INPUT_TRAFFIC-STEP-SECONDS": bad}
            )
        assert f"input 'traffic-step-seconds': {said}" in caught.value.message
