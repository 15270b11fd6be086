"""settings.core_settings: the settings as the report shows them, secrets hidden."""

from __future__ import annotations

from pathlib import Path

from .helpers import load_settings_from


def test_redacted_hides_secret_values_and_environment_values():
    settings = load_settings_from(
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
