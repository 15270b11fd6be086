"""The GitLab CI/CD component (templates/deploy.yml), run by a GitLab runner emulator.

gitlab-ci-local (npm, pinned by scripts/lib/gitlab-ci-local.sh) runs a pipeline that includes
the component locally with inputs, as a project does with ``include: component:``: the job
runs the action image with ``entrypoint: [""]`` on the host network and deploys
examples/hello-mcp to the pmcp.run emulator; a later job reads the outputs from the dotenv
report the component publishes, and a second server's plan job in that later stage, which
GitLab hands those outputs too, still plans its own server. Without Docker or gitlab-ci-local
this skips on a developer machine and fails under CI. The same component with its jobs run on
the host (no Docker): tests/subprocess/test_gitlab_component.py.

Two things differ from gitlab.com, and the test says so: gitlab-ci-local sets
``GITLAB_CI=false`` (so scripts can tell a local run), where a real runner sets ``true``, so
the pipeline passes ``GITLAB_CI=true``; and its helper image cannot be pulled here, so a local
one (gitlab-ci-local-helper.Dockerfile) does its chown/rsync work. It mints no ``id_tokens``;
the pmcp.run emulator takes client credentials instead.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped, unused-ignore]  # stubs: types-pyyaml (dev.txt)

from pmcp_action.settings.common_outputs import output_variable
from tests.container.helpers import docker
from tests.fakes.emulators import demo_emulators
from tests.support.gitlab_ci_local import git_project, gitlab_ci_local, run_pipeline
from tests.support.repository import REPO_ROOT

pytestmark = [pytest.mark.docker, pytest.mark.timeout(1200)]

HERE = Path(__file__).resolve().parent
HELPER_IMAGE = "pmcp-deploy-action:gitlab-ci-local-helper"

PIPELINE = """\
stages: [deploy, after]

include:
  - local: templates/deploy.yml
    inputs:
      image: {image}
      job-name: deploy
      target: pmcp-run
      working-directory: examples/hello-mcp
      environment-name: review
  - local: templates/deploy.yml
    inputs:
      image: {image}
      job-name: plan-two
      stage: after
      target: pmcp-run
      command: plan
      working-directory: examples/hello-mcp
      server-name: hello-two
      environment-name: review
      dotenv: two.env
      report: two-report.json

later:
  stage: after
  image: {base}
  needs: [deploy]
  script:
    - echo "later-job url=$PMCP_OUT_URL verified=$PMCP_OUT_VERIFIED status=$PMCP_OUT_STATUS"
"""


@pytest.fixture(scope="session")
def gitlab_binary() -> str:
    return gitlab_ci_local()


@pytest.fixture(scope="session")
def helper_image(
    docker_engine: None, base_image: str, tmp_path_factory: pytest.TempPathFactory
) -> str:
    context = tmp_path_factory.mktemp("helper-context")  # the Dockerfile copies nothing
    docker(
        "build",
        "--network",
        "host",
        "--build-arg",
        f"BASE_IMAGE={base_image}",
        "--file",
        str(HERE / "gitlab-ci-local-helper.Dockerfile"),
        "--tag",
        HELPER_IMAGE,
        str(context),
        timeout=600,
    )
    return HELPER_IMAGE


def _project(root: Path, image: str, base: str) -> Path:
    """A git project holding the component, the example and a pipeline that includes it."""
    project = root / "project"
    (project / "templates").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "templates" / "deploy.yml", project / "templates" / "deploy.yml")
    shutil.copytree(
        REPO_ROOT / "examples" / "hello-mcp",
        project / "examples" / "hello-mcp",
        ignore=shutil.ignore_patterns("target", "deployment.toml", "build"),
    )
    stand_in = demo_emulators()["pmcp-run"].stand_in
    assert stand_in is not None
    stand_in(project / "examples" / "hello-mcp")
    (project / ".gitlab-ci.yml").write_text(PIPELINE.format(image=image, base=base))
    return git_project(project)


def test_the_component_deploys_and_publishes_its_outputs(
    gitlab_binary: str, helper_image: str, action_image: str, base_image: str, tmp_path: Path
) -> None:
    project = _project(tmp_path, action_image, base_image)
    emulator = demo_emulators()["pmcp-run"]
    with emulator.start() as running:
        url = running.urls["pmcp-run"]
        env = {k: os.environ[k] for k in ("PATH", "LANG", "DOCKER_HOST") if k in os.environ}
        done = run_pipeline(
            gitlab_binary,
            project,
            options=[
                "--network",
                "host",
                "--pull-policy",
                "if-not-present",
                "--helper-image",
                helper_image,
            ],
            variables={**running.env, **running.secrets},
            env=env,
            home=tmp_path / "home",
        )
    log = done.stdout + done.stderr
    (tmp_path / "gitlab-ci-local.log").write_text(log)
    assert done.returncode == 0, log[-6000:]

    state = project / ".gitlab-ci-local"
    # What the component publishes: the dotenv report ...
    dotenv = state / "artifacts" / "deploy" / ".gitlab-ci-reports" / "dotenv" / "pmcp-deploy.env"
    assert dotenv.is_file(), log[-6000:]
    lines = dotenv.read_text().splitlines()
    published = dict(line.split("=", 1) for line in lines)
    assert all(name.startswith("PMCP_OUT_") for name in published), published
    assert published[output_variable("status")] == "success", published
    assert published[output_variable("verified")] == "true", published
    assert published[output_variable("target")] == "pmcp-run", published
    deployed = published[output_variable("url")]
    assert deployed.startswith(str(url)), published
    # ... the JSON report as an artifact ...
    report = json.loads((state / "artifacts" / "deploy" / "pmcp-deploy-report.json").read_text())
    assert report["status"] == "success" and report["platform"] == "gitlab-ci", report
    assert report["outputs"]["url"] == deployed, report["outputs"]
    # ... the environment's URL from the dotenv report (GitLab expands environment:url from
    # it after the job; gitlab-ci-local prints the URL as it was before the job ran, so here
    # the job as the component rendered it is checked) ...
    expanded = yaml.safe_load((state / "expanded-gitlab-ci.yml").read_text())
    job = expanded["deploy"]
    assert job["environment"] == {"name": "review", "url": "$PMCP_OUT_URL", "action": "start"}
    assert job["image"] == {"name": action_image, "entrypoint": [""]}, job
    assert job["id_tokens"] == {"PMCP_ID_TOKEN": {"aud": "$PMCP_ID_TOKEN_AUDIENCE"}}, job
    assert job["variables"]["PMCP_ID_TOKEN_AUDIENCE"] == "$CI_SERVER_URL", job  # no OIDC here
    assert job["resource_group"].strip() == "pmcp-deploy pmcp-run", job
    assert job["artifacts"]["reports"] == {"dotenv": "pmcp-deploy.env"}, job
    two = expanded["plan-two"]
    assert two["environment"] == {"name": "review", "action": "prepare"}, two
    assert two["resource_group"] == "pmcp-deploy pmcp-run hello-two", two
    # The second server's plan, handed the first one's outputs, planned its own server.
    planned = json.loads((state / "artifacts" / "plan-two" / "two-report.json").read_text())
    assert planned["command"] == "plan" and planned["outputs"]["server-name"] == "hello-two"
    # ... and the outputs in a later job.
    assert f"later-job url={deployed} verified=true status=success" in log, log[-4000:]
    # The image ran with the entrypoint overridden: the job's script called the CLI.
    assert "$ pmcp-action" in log
    assert running.secrets and all(secret not in log for secret in running.secrets.values())
