"""The run's secrets resolved offline: the input, deploy.toml's [secrets], the environment."""

from __future__ import annotations

from pathlib import Path

from pmcp_action.secrets import resolve_secrets
from pmcp_action.settings.deploy_toml_reading import load_deploy_config

TOML = """\
[server]
name = "calc"

[environment]
RUST_LOG = "info"
API_KEY = "in plain sight"

[secrets]
API_KEY = ""
DB_URL = "postgres://user:hunter2@db/calc"
OPTIONAL = { required = false, description = "only for beta" }
"""


def _config(tmp_path: Path, text: str = TOML):
    path = tmp_path / ".pmcp" / "deploy.toml"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    return load_deploy_config(path)[0]


def _resolve(tmp_path: Path, given: dict[str, str], environ: dict[str, str], **kw):
    config = _config(tmp_path)
    masked: list[str] = []
    resolved = resolve_secrets(
        given,
        given_source="input 'secrets'",
        config=config,
        environ=environ,
        environment=dict(config.environment) | kw.get("environment_input", {}),
        environment_input=kw.get("environment_input", {}),
        prune=kw.get("prune", False),
        mask=masked.append,
    )
    return resolved, masked


def test_required_names_come_from_the_input_then_the_run_environment(tmp_path: Path) -> None:
    resolved, masked = _resolve(
        tmp_path, {"API_KEY": "key-from-input"}, {"DB_URL": "postgres://from-env", "API_KEY": "no"}
    )
    secrets = resolved.secrets
    assert dict(secrets.values) == {"API_KEY": "key-from-input", "DB_URL": "postgres://from-env"}
    assert secrets.sources["DB_URL"] == "environment variable DB_URL"
    assert secrets.required == ("API_KEY", "DB_URL") and secrets.missing == ()
    assert masked == ["postgres://from-env"]  # the input's values were masked when read
    assert "key-from-input" not in repr(secrets)


def test_a_value_written_in_the_file_is_never_used_and_is_warned_about(tmp_path: Path) -> None:
    resolved, _ = _resolve(tmp_path, {}, {})
    assert resolved.secrets.missing == ("API_KEY", "DB_URL")
    assert "postgres://user:hunter2@db/calc" not in resolved.secrets.values.values()
    (written,) = [w for w in resolved.warnings if "a value is written" in w]
    assert written.startswith(f"{tmp_path}/.pmcp/deploy.toml:10 [secrets].DB_URL:")
    assert "hunter2" not in written


def test_a_secret_name_leaves_the_plain_environment(tmp_path: Path) -> None:
    resolved, _ = _resolve(tmp_path, {"API_KEY": "key-from-input"}, {})
    assert dict(resolved.environment) == {"RUST_LOG": "info"}
    assert any("[environment].API_KEY: API_KEY is a secret" in w for w in resolved.warnings)


def test_a_name_in_both_inputs_empty_and_short_values_are_problems(tmp_path: Path) -> None:
    resolved, _ = _resolve(
        tmp_path,
        {"API_KEY": "key-from-input", "EMPTY": "", "SHORT": "abc"},
        {},
        environment_input={"API_KEY": "plain"},
    )
    rendered = [p.render() for p in resolved.problems]
    assert any("API_KEY is both a plain environment variable and a secret" in r for r in rendered)
    assert any("the secret EMPTY is empty" in r for r in rendered)
    assert any("the secret SHORT is shorter than 4 characters" in r for r in rendered)
    assert all("key-from-input" not in r and "abc" not in r.split(":")[0] for r in rendered)


def test_a_bad_name_in_the_table_is_a_problem_with_its_line(tmp_path: Path) -> None:
    config = _config(tmp_path, '[secrets]\n"1BAD" = ""\n')
    resolved = resolve_secrets(
        {},
        given_source="input 'secrets'",
        config=config,
        environ={},
        environment={},
        environment_input={},
        prune=False,
        mask=lambda _v: None,
    )
    (problem,) = resolved.problems
    assert problem.where.endswith("deploy.toml:2 [secrets].1BAD")
    assert "letters, digits and _" in problem.what
