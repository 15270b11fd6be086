"""action.yml declares exactly the catalogue's inputs and the reporter's outputs."""

from __future__ import annotations

from pathlib import Path

import yaml

from pmcp_action.inputs import INPUTS
from pmcp_action.result import EXTRA_OUTPUT_NAMES, OUTPUT_NAMES

ACTION = yaml.safe_load((Path(__file__).resolve().parents[2] / "action.yml").read_text())


def test_inputs_match_the_catalogue():
    declared = ACTION["inputs"]
    expected = [spec for spec in INPUTS if not spec.cli_only]
    assert list(declared) == [spec.name for spec in expected]
    for spec in expected:
        entry = declared[spec.name]
        assert entry["description"].startswith(spec.description[:40])
        assert entry["required"] is spec.required
        # Empty defaults: an unset input must not hide env vars or deploy.toml.
        assert entry["default"] == ""
        if spec.secret:
            assert "Secret" in entry["description"]


def test_outputs_match_the_reporter():
    assert list(ACTION["outputs"]) == list(OUTPUT_NAMES + EXTRA_OUTPUT_NAMES)
    assert all(entry["description"] for entry in ACTION["outputs"].values())


def test_runs_in_the_bundled_container():
    assert ACTION["runs"] == {"using": "docker", "image": "Dockerfile"}
    assert ACTION["branding"]["icon"] and ACTION["branding"]["color"]


def test_input_names_are_kebab_case():
    for name in ACTION["inputs"]:
        assert name == name.lower() and "_" not in name


def test_readme_documents_every_input_and_output():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for spec in INPUTS:
        assert f"| `{spec.name}`" in readme, spec.name
    for name in OUTPUT_NAMES + EXTRA_OUTPUT_NAMES:
        assert f"`{name}`" in readme, name
