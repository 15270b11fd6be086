"""Builders shared by the settings tests: the example project's deploy.toml, a file written,
the settings of a run."""

from __future__ import annotations

from pathlib import Path

from pmcp_action.settings.catalogue import catalogue
from pmcp_action.settings.loader import load_settings
from pmcp_action.settings.precedence import read_given

#: The example project, whose .pmcp/deploy.toml cargo-pmcp wrote.
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "hello-mcp"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".pmcp" / "deploy.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def load_settings_from(flags=None, environ=None, config_values=None, **kwargs):
    """The settings of a run given ``flags`` and ``environ``, read as a run reads them."""
    known = kwargs.get("known") or catalogue()
    given = read_given(flags or {}, environ or {}, known.inputs)
    return load_settings(given, environ=environ or {}, config_values=config_values, **kwargs)
