"""pmcp-run building blocks: Cognito domain rules and deployment.toml edge cases."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pmcp_action.ci.base import Platform
from pmcp_action.errors import ConfigError
from pmcp_action.targets.pmcp_run.deployment_file import write_deployment_file
from pmcp_action.targets.pmcp_run.discovery import normalize_cognito_domain


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("auth.pmcp.run", "https://auth.pmcp.run"),
        ("auth.pmcp.run/", "https://auth.pmcp.run"),
        ("https://auth.pmcp.run", "https://auth.pmcp.run"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("http://localhost:9000", "http://localhost:9000"),
    ],
)
def test_cognito_domain_may_be_a_bare_host_or_an_origin(value: str, expected: str) -> None:
    assert normalize_cognito_domain(value, "cognito_domain") == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("http://auth.pmcp.run", "plain http:// to a non-loopback host"),
        ("https://auth.pmcp.run/oauth2", "bare host or an origin"),
        ("   ", "is empty"),
        ("ftp://auth.pmcp.run", "not an http(s) URL"),
    ],
)
def test_bad_cognito_domains_are_refused(value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        normalize_cognito_domain(value, "cognito_domain")


def _console() -> tuple[Platform, io.StringIO]:
    log = io.StringIO()
    return Platform(environ={}, log_stream=log), log


def test_invalid_existing_deployment_toml_is_replaced_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / ".pmcp").mkdir()
    (tmp_path / ".pmcp" / "deployment.toml").write_text("[deployment\nbroken")
    console, log = _console()

    path = write_deployment_file(tmp_path, server_id="s", endpoint="https://e/mcp", console=console)

    assert path.read_text().endswith('[deployment]\nserver_id = "s"\nendpoint = "https://e/mcp"\n')
    assert "is not valid TOML" in log.getvalue()


def test_non_table_deployment_key_is_replaced(tmp_path: Path) -> None:
    (tmp_path / ".pmcp").mkdir()
    (tmp_path / ".pmcp" / "deployment.toml").write_text('# keep\ndeployment = "x"\nother = 1\n')
    console, _ = _console()

    path = write_deployment_file(tmp_path, server_id="s", endpoint="https://e/mcp", console=console)

    text = path.read_text()
    assert text.startswith("# keep\n")
    assert "other = 1" in text
    assert '[deployment]\nserver_id = "s"\nendpoint = "https://e/mcp"\n' in text
    assert 'deployment = "x"' not in text


def test_missing_pmcp_folder_is_created(tmp_path: Path) -> None:
    console, _ = _console()

    path = write_deployment_file(tmp_path, server_id="s", endpoint="https://e/mcp", console=console)

    assert path == tmp_path / ".pmcp" / "deployment.toml"
    assert path.read_text().startswith("# Auto-generated deployment info")
    assert not list((tmp_path / ".pmcp").glob(".deployment.*"))  # no temp file left behind
