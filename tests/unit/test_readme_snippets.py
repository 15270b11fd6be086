"""The README's examples work as written on a hosted runner and name released versions."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
YAML_BLOCKS = re.findall(r"```yaml\n(.*?)```", README, re.S)


def test_every_yaml_example_parses():
    assert len(YAML_BLOCKS) >= 5
    for block in YAML_BLOCKS:
        yaml.safe_load(block)


def test_the_github_examples_use_a_released_version():
    uses = re.findall(r"^ +uses: <owner>/pmcp-deploy-action@(\S+)$", README, re.M)
    assert uses and set(uses) == {"v1"}, uses


def test_a_step_that_builds_with_cargo_lambda_installs_it_first():
    for block in YAML_BLOCKS:
        if "cargo lambda build" not in block:
            continue
        install = block.index("pip install cargo-lambda ziglang")
        assert install < block.index("cargo lambda build"), block
        assert "rustup target add aarch64-unknown-linux-gnu" in block, block


def test_the_gitlab_component_is_documented_with_its_inputs():
    component = yaml.safe_load_all((ROOT / "templates" / "deploy.yml").read_text())
    inputs = next(iter(component))["spec"]["inputs"]
    section = README[README.index("## GitLab CI") : README.index("## Anywhere else")]
    assert "- component: $CI_SERVER_FQDN/<group>/pmcp-deploy-action/deploy@" in section
    for name in inputs:
        assert f"`{name}`" in section, name


def test_the_scenario_file_example_is_a_valid_scenario(tmp_path: Path) -> None:
    from pmcp_action.scenarios import load_scenarios

    (block,) = [b for b in YAML_BLOCKS if "stop_on_failure" in b]
    (tmp_path / "example.yaml").write_text(block)
    loaded = load_scenarios(["example.yaml"], tmp_path)
    assert loaded.problems == [] and loaded.warnings == []
    (scenario,) = loaded.scenarios
    assert scenario.name == "Price an apple" and len(scenario.steps[0].assertions) == 3
