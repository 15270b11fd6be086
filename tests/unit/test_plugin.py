"""pmcp_action.plugin: every name a target needs, each loaded on first use."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import pmcp_action.plugin as plugin
from pmcp_action.flow import DeployFlow
from pmcp_action.settings.declaration import TargetDeclaration

ROOT = Path(__file__).resolve().parents[2]


def test_every_name_is_the_core_s_own():
    for name in plugin.__all__:
        assert getattr(plugin, name) is not None, name
    assert plugin.TargetDeclaration is TargetDeclaration
    assert plugin.DeployFlow is DeployFlow


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="'pmcp_action.plugin' has no attribute 'Nope'"):
        _ = plugin.Nope


def test_the_plug_in_target_imports_nothing_else_of_pmcp_action():
    found = []
    for path in sorted((ROOT / "tests" / "plugin_target").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            found += [(path.name, name) for name in names if name.startswith("pmcp_action")]
    assert found and {name for _, name in found} == {"pmcp_action.plugin"}, found


def test_a_declaration_imported_through_it_loads_nothing_heavy():
    code = (
        "import sys\n"
        "from pmcp_action.plugin import InputKind, InputSpec, TargetDeclaration\n"
        "print(','.join(sorted(m for m in ('httpx', 'tomlkit', 'pmcp_action.flow', "
        "'pmcp_action.context') if m in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == ""
