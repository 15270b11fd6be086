""".pmcp/deployment.toml: cargo-pmcp's text when new, other content kept when it exists."""

from __future__ import annotations

import io
from pathlib import Path

from pmcp_action.ci.base import Platform
from pmcp_action.targets.pmcp_run.deployment_file import write_deployment_file

from .helpers import make_harness


def test_deploy_writes_deployment_toml_like_cargo_pmcp(tmp_path: Path) -> None:
    h = make_harness(tmp_path)

    result = h.target.deploy()

    assert (tmp_path / ".pmcp" / "deployment.toml").read_text() == (
        "# Auto-generated deployment info for landing page integration\n"
        "# This file is created automatically when deploying to pmcp-run\n"
        "\n"
        "[deployment]\n"
        'server_id = "weather"\n'
        f'endpoint = "{result.url}"\n'
    )


def test_deploy_keeps_existing_deployment_toml_content_and_comments(tmp_path: Path) -> None:
    existing = (
        "# my notes about this server\n"
        "[landing]\n"
        'theme = "dark"  # keep me\n'
        "\n"
        "[deployment]\n"
        'server_id = "old"\n'
        'endpoint = "https://old.example/mcp"\n'
        "custom = 1  # mine\n"
    )
    h = make_harness(tmp_path, extra_files={".pmcp/deployment.toml": existing})

    result = h.target.deploy()

    text = (tmp_path / ".pmcp" / "deployment.toml").read_text()
    assert text.startswith('# my notes about this server\n[landing]\ntheme = "dark"  # keep me\n')
    assert 'server_id = "weather"' in text
    assert f'endpoint = "{result.url}"' in text
    assert "custom = 1  # mine" in text
    assert "old.example" not in text


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
