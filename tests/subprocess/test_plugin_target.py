"""A target shipped as its own package appears everywhere, with no core file edited.

``tests/plugin_target`` is registered only through the ``pmcp_action.targets``
entry-point group of a distribution on PYTHONPATH; each process here finds it
as it would find an installed wheel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.plugin_target import install

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "demo-token-value-5b1f"


@pytest.fixture
def plugin_env(tmp_path: Path) -> dict[str, str]:
    site = install(tmp_path / "site")
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PYTHONPATH": f"{site}{os.pathsep}{ROOT}",
    }


def _python(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_plugin_shows_up_in_the_help(plugin_env, tmp_path):
    done = _python(["-m", "pmcp_action", "--help"], plugin_env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "demo-cloud" in done.stdout
    done = _python(["-m", "pmcp_action", "help", "options"], plugin_env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "--demo-token" in done.stdout and "--demo-endpoint" in done.stdout


def test_the_plugin_shows_up_in_the_generated_action_yml(plugin_env, tmp_path):
    code = (
        "from pmcp_action.docgen import render_action_yml\n"
        "from pmcp_action.settings.catalogue import catalogue\n"
        "print(render_action_yml(catalogue()))\n"
    )
    done = _python(["-c", code], plugin_env, tmp_path)
    assert done.returncode == 0, done.stderr
    action = yaml.safe_load(done.stdout)
    assert action["inputs"]["demo-token"]["description"] == (
        "[demo-cloud] Demo Cloud API token. Secret: masked in all output."
    )
    assert "demo-cloud" in action["inputs"]["target"]["description"]
    assert action["outputs"]["demo-ref"]["description"] == (
        "[demo-cloud] The Demo Cloud deployment reference."
    )
    # The checked-in action.yml is generated without plug-ins.
    assert "demo-token" not in (ROOT / "action.yml").read_text()


def test_a_deploy_reads_its_inputs_and_reports_its_outputs(plugin_env, tmp_path, gha_files):
    project = tmp_path / "project"
    (project / ".pmcp").mkdir(parents=True)
    (project / ".pmcp" / "deploy.toml").write_text(
        '[server]\nname = "calc"\n\n[demo]\nendpoint = "https://demo.example/mcp"\n'
    )
    env = plugin_env | {k: str(v) for k, v in gha_files.items()}
    env |= {
        "GITHUB_ACTIONS": "true",
        "INPUT_TARGET": "demo-cloud",
        "INPUT_WORKING-DIRECTORY": str(project),
        "INPUT_DEMO-TOKEN": TOKEN,
        "INPUT_VERIFY": "false",
    }
    done = _python([str(ROOT / "entrypoint.py")], env, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr

    lines = gha_files["GITHUB_OUTPUT"].read_text()
    assert "demo-ref<<" in lines and "ref-" in lines
    summary = gha_files["GITHUB_STEP_SUMMARY"].read_text()
    assert "| **Demo ref** | ref-" in summary
    assert "| **Region** | moon-1 |" in summary  # the plug-in's declared default
    assert "| **Version** | 1 |" in summary  # a first deploy: the service's first version
    assert "::add-mask::sess-" in done.stdout  # the session token the API token opened
    assert f"Demo Cloud endpoint from {project}/.pmcp/deploy.toml:5 [demo].endpoint." in (
        done.stdout
    )
    report = json.loads((gha_files["RUNNER_TEMP"] / "pmcp-deploy-report.json").read_text())
    assert report["inputs"]["demo-token"] == "***"
    assert report["inputs"]["demo-endpoint"] == "https://demo.example/mcp"
    assert report["outputs"]["url"] == "https://demo.example/mcp"
    assert report["identity"].startswith("demo-user-")
    assert "::add-mask::" + TOKEN in done.stdout
    unmasked = done.stdout.replace("::add-mask::" + TOKEN, "")
    for text in (unmasked, done.stderr, summary, lines, json.dumps(report)):
        assert TOKEN not in text


def test_the_flow_s_own_words_when_nothing_is_deployed(plugin_env, tmp_path, gha_files):
    # Demo Cloud lives in the process: a fresh process finds no service.
    project = tmp_path / "project"
    project.mkdir()
    (project / "Cargo.toml").write_text('[package]\nname = "calc"\nversion = "1.0.0"\n')
    env = plugin_env | {k: str(v) for k, v in gha_files.items()}
    env |= {
        "GITHUB_ACTIONS": "true",
        "INPUT_TARGET": "demo-cloud",
        "INPUT_COMMAND": "logs",
        "INPUT_WORKING-DIRECTORY": str(project),
        "INPUT_DEMO-TOKEN": TOKEN,
        "INPUT_DEMO-ENDPOINT": "https://demo.example/mcp",
    }
    done = _python([str(ROOT / "entrypoint.py")], env, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        "::error title=Nothing deployed::No logs: there is no Demo Cloud service calc at "
        "https://demo.example/mcp." in done.stdout
    )


def test_without_the_plugin_the_name_is_unknown(tmp_path, gha_files):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "GITHUB_ACTIONS": "true",
        "INPUT_TARGET": "demo-cloud",
    } | {k: str(v) for k, v in gha_files.items()}
    done = _python([str(ROOT / "entrypoint.py")], env, tmp_path)
    assert done.returncode == 1
    assert (
        "input 'target': unknown value 'demo-cloud'" in gha_files["GITHUB_STEP_SUMMARY"].read_text()
    )
