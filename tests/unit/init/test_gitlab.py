"""init.gitlab: the component's include in .gitlab-ci.yml, a new file or an existing one
extended as text (its comments and layout kept), refused with a reason when it cannot be."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pmcp_action.gitlab_component import DEFAULT_JOB_NAME
from pmcp_action.init.gitlab import BEGIN, BUILD_JOB, CI_FILE, END
from pmcp_action.init.release import action_image, component
from pmcp_action.settings.catalogue import catalogue
from tests.support.repository import REPO_ROOT

from .helpers import cli, write_project

COMMENTED = """\
# The project's pipeline: tests first.   (a comment of the user's)
stages: [build, test, deploy]   # three stages

variables:
  RUST_LOG: info  # kept

include:
  # shared templates
  - local: ci/lint.yml
  - template: Jobs/SAST.gitlab-ci.yml

# the unit tests
test:
  stage: test
  script:
    - cargo test   # all of them
  needs: !reference [.defaults, needs]
"""


def _init(
    tmp_path: Path, pipeline: str | None, *args: str, target: str = "aws-lambda"
) -> tuple[int, str, Path]:
    repo = tmp_path / "repo"
    project = write_project(repo, target, where="servers/weather", secrets={"API_KEY": '""'})
    if pipeline is not None and not (repo / CI_FILE).exists():
        (repo / CI_FILE).write_text(pipeline)
    code, _, err = cli(project, "--ci", "gitlab", *args)
    return code, err, repo / CI_FILE


def _load(path: Path) -> dict[str, Any]:
    from pmcp_action.init.gitlab import _Loader

    data = yaml.load(path.read_text(), Loader=_Loader)
    assert isinstance(data, dict)
    return data


def _component_inputs() -> set[str]:
    spec = next(yaml.safe_load_all((REPO_ROOT / "templates" / "deploy.yml").read_text()))
    return set(spec["spec"]["inputs"])


def test_a_new_file_includes_the_component_with_the_targets_inputs(tmp_path: Path) -> None:
    code, err, path = _init(tmp_path, None)
    assert code == 0, err
    text = path.read_text()
    assert text.startswith(BEGIN + "\n") and text.endswith(END + "\n")
    data = _load(path)
    [entry] = data["include"]
    assert entry["component"] == component()
    inputs = entry["inputs"]
    assert inputs == {
        "image": action_image(),
        "target": "aws-lambda",
        "working-directory": "servers/weather",
        "server-name": "weather",
        "environment-name": "production",
    }
    assert set(inputs) <= _component_inputs()
    assert data[DEFAULT_JOB_NAME] == {"rules": [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]}
    build = data[BUILD_JOB]
    assert build["stage"] == "build" and build["artifacts"]["paths"] == [
        "servers/weather/target/lambda/"
    ]
    assert "cargo lambda build --release --arm64" in build["script"]
    # The CI/CD variables to create: the ones the program reads the inputs from.
    for variable in ("AWS_ROLE_TO_ASSUME", "AWS_REGION", "API_KEY"):
        assert f"  {variable}  " in text, variable


def test_an_existing_file_keeps_every_line_and_gets_one_more_include(tmp_path: Path) -> None:
    code, err, path = _init(tmp_path, COMMENTED, "--ci-environment", "live")
    assert code == 0, err
    text = path.read_text()
    lines = text.splitlines()
    # Every line of the user's, in order (nothing removed or rewritten).
    position = 0
    for line in COMMENTED.splitlines():
        position = lines.index(line, position) + 1
    data = _load(path)
    assert data["include"][:2] == [
        {"local": "ci/lint.yml"},
        {"template": "Jobs/SAST.gitlab-ci.yml"},
    ]
    assert data["include"][2]["inputs"]["environment-name"] == "live"
    assert data["test"]["needs"] == ("!reference", [".defaults", "needs"])
    # The entry went into the user's include list, between markers of its own.
    at = lines.index("  - template: Jobs/SAST.gitlab-ci.yml")
    assert lines[at + 1] == f"  {BEGIN}" and lines[at + 2].startswith("  - component: ")


def test_a_list_at_the_keys_indentation_is_extended_alike(tmp_path: Path) -> None:
    code, err, path = _init(tmp_path, "include:\n- local: a.yml\n# next\nlint:\n  script: [x]\n")
    assert code == 0, err
    data = _load(path)
    assert [entry.get("local") for entry in data["include"]] == ["a.yml", None]
    assert data["lint"] == {"script": ["x"]}


def test_init_again_is_refused_and_force_replaces_only_its_own_part(tmp_path: Path) -> None:
    code, err, path = _init(tmp_path, COMMENTED)
    assert code == 0, err
    first = path.read_text()
    code, err, _ = _init(tmp_path, None)
    assert code == 1 and "has what pmcp-action init added before" in err, err
    assert path.read_text() == first
    code, err, _ = _init(tmp_path, None, "--force", "--ci-environment", "staging")
    assert code == 0, err
    again = path.read_text()
    assert again == first.replace("production", "staging")
    assert again.count(BEGIN) == 2 and again.count(END) == 2


@pytest.mark.parametrize(
    ("pipeline", "said"),
    [
        ("include: [a.yml]\n", "its include: list could not be extended as text"),
        ("include: a.yml\n", "its include: is a single entry, not a list"),
        ("include:\n  local: a.yml\n", "its include: is a single entry, not a list"),
        ("stages: [test, deploy]\n", "its stages: list has no build (where init's jobs run)"),
        ("pmcp-deploy:\n  script: [x]\n", "it has a job named pmcp-deploy already"),
        ("a: 1\n---\nb: 2\n", "it holds several YAML documents"),
        ("- a\n- b\n", "it is not a mapping"),
        ("a: [1\nb: 2\n", "is not valid YAML (line 2)"),
        (
            "include:\n  - component: gitlab.example.com/g/pmcp-deploy-action/deploy@0.9.0\n",
            "includes the pmcp-deploy-action component already",
        ),
    ],
)
def test_a_file_that_cannot_be_extended_safely_is_left_as_it_is(
    tmp_path: Path, pipeline: str, said: str
) -> None:
    code, err, path = _init(tmp_path, pipeline)
    assert code == 1, err
    assert said in err and "nothing was written" in err, err
    assert path.read_text() == pipeline


def test_every_target_writes_inputs_the_component_declares(tmp_path: Path) -> None:
    declared = _component_inputs()
    for declaration in catalogue().targets:
        code, err, path = _init(tmp_path / declaration.id, None, target=declaration.id)
        assert code == 0, err
        [entry] = _load(path)["include"]
        assert set(entry["inputs"]) <= declared, declaration.id
        assert entry["inputs"]["target"] == declaration.id
