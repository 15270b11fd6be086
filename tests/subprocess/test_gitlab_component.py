"""The GitLab CI/CD component (templates/deploy.yml) in a pipeline, its jobs run on this host.

gitlab-ci-local (npm, pinned by scripts/lib/gitlab-ci-local.sh) includes the component as a
project does, with inputs, evaluates its extends, rules and variables as GitLab does (dotenv
variables of earlier jobs above a job's own), and runs the jobs with its shell executor: the
program is this checkout's, on PATH as ``pmcp-action``, against the pmcp.run fake. The same
component in the action image: tests/container/test_gitlab_component.py. gitlab-ci-local
mints no ID tokens; what GitLab would put in ``aud`` is the job variable it is read from.
For a job with an image its shell executor sets CI_PROJECT_DIR to the container's path while
it runs the job in the project: the pipelines pass the project's path, as a shell runner's is.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pmcp_action.gitlab_component import component_commands
from pmcp_action.settings.catalogue import catalogue
from pmcp_action.settings.common_outputs import output_variable
from pmcp_action.targets.google_cloud_run.credential_inputs import default_audience
from tests.fakes.artifacts import example_project
from tests.fakes.pmcp_run import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakePmcpRun, create_fake
from tests.fakes.server import serve
from tests.support.gitlab_ci_local import git_project, gitlab_ci_local, run_pipeline
from tests.support.repository import REPO_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

#: The shell executor runs no image; the component requires the input all the same.
NO_IMAGE = "unused-by-the-shell-executor"
PROVIDER = "projects/123456789/locations/global/workloadIdentityPools/gitlab/providers/demo"


@pytest.fixture(scope="module")
def gitlab() -> str:
    return gitlab_ci_local()


@pytest.fixture
def pmcp_run() -> Iterator[tuple[FakePmcpRun, str]]:
    fake = create_fake()
    with serve(fake) as url:
        yield fake, str(url)


def _run(
    gitlab: str, project: Path, root: Path, variables: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return run_pipeline(
        gitlab,
        project,
        options=["--force-shell-executor"],
        variables={"CI_PROJECT_DIR": str(project), **variables},
        env=_host_env(root),
        home=root / "home",
    )


def _project(root: Path, pipeline: str) -> Path:
    """A project with the component, the example server in hello/, and the pipeline."""
    project = root / "project"
    (project / "templates").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "templates" / "deploy.yml", project / "templates" / "deploy.yml")
    example_project(project / "hello", b"gitlab")
    (project / ".gitlab-ci.yml").write_text(pipeline)
    return git_project(project)


def _host_env(root: Path) -> dict[str, str]:
    """The jobs' environment: `pmcp-action` is this checkout's program."""
    bin_dir = root / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "pmcp-action"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m pmcp_action "$@"\n')
    wrapper.chmod(0o755)
    path = f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}"
    env = {"PATH": path, "PYTHONPATH": str(REPO_ROOT)}
    env.update({k: os.environ[k] for k in ("LANG",) if k in os.environ})
    return env


TWO_SERVERS = """\
stages: [deploy, after]

include:
  - local: templates/deploy.yml
    inputs:
      image: {image}
      job-name: deploy-one
      target: pmcp-run
      working-directory: hello
  - local: templates/deploy.yml
    inputs:
      image: {image}
      job-name: plan-two
      stage: after
      target: pmcp-run
      command: plan
      working-directory: hello
      server-name: hello-two
      audience: https://audience.example/two
      dotenv: two.env
      report: two-report.json

deploy-one:
  before_script:
    - echo "deploy-one token-audience=$PMCP_ID_TOKEN_AUDIENCE server-url=$CI_SERVER_URL"

plan-two:
  before_script:
    - echo "plan-two token-audience=$PMCP_ID_TOKEN_AUDIENCE server=$PMCP_SERVER_NAME"

later:
  stage: after
  needs: [deploy-one]
  script:
    - echo "later-job url=$PMCP_OUT_URL verified=$PMCP_OUT_VERIFIED status=$PMCP_OUT_STATUS"
"""


def test_a_second_servers_job_acts_on_its_own_server_after_the_first_ones_outputs(
    gitlab: str, pmcp_run: tuple[FakePmcpRun, str], tmp_path: Path
) -> None:
    """GitLab gives plan-two (a later stage) deploy-one's dotenv variables above its own: the
    outputs are PMCP_OUT_*, so its server name, report path and the rest stay its own."""
    fake, url = pmcp_run
    project = _project(tmp_path, TWO_SERVERS.format(image=NO_IMAGE))
    done = _run(
        gitlab,
        project,
        tmp_path,
        {
            "PMCP_API_URL": url,
            "PMCP_CLIENT_ID": DEFAULT_CLIENT_ID,
            "PMCP_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
        },
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-8000:]

    # deploy-one published its outputs, and only them, as PMCP_OUT_<NAME> ...
    published = dict(
        line.split("=", 1) for line in (project / "pmcp-deploy.env").read_text().splitlines()
    )
    assert set(published) == {output_variable(o.name) for o in catalogue().outputs}
    assert published[output_variable("status")] == "success", published
    assert published[output_variable("server-name")] == "hello-mcp", published
    deployed = published[output_variable("url")]
    assert deployed.startswith(url), published
    # ... which a later job reads ...
    assert f"later-job url={deployed} verified=true status=success" in log, log[-4000:]
    # ... while plan-two, which got them too, planned its own server into its own files.
    assert "plan-two token-audience=https://audience.example/two server=hello-two" in log, log
    two = json.loads((project / "two-report.json").read_text())
    assert two["command"] == "plan" and two["status"] == "success", two
    assert two["outputs"]["server-name"] == "hello-two", two["outputs"]
    assert (project / "two.env").is_file()
    one = json.loads((project / "pmcp-deploy-report.json").read_text())
    assert one["command"] == "deploy" and one["outputs"]["server-name"] == "hello-mcp"
    # The plan changed nothing: one server was deployed, hello-mcp.
    projects = [d.project_name for d in fake.deployments.values()]
    assert projects == ["hello-mcp"], projects
    # pmcp.run takes no ID token: the token GitLab would mint is for the instance.
    match = re.search(r"> deploy-one token-audience=(\S*) server-url=(\S*)", log)
    assert match is not None and match[1] and match[1] == match[2], log
    assert DEFAULT_CLIENT_SECRET not in log


def test_each_target_gets_its_own_default_audience_and_every_command_is_accepted(
    gitlab: str, tmp_path: Path
) -> None:
    """The job's `aud` is the target's declared default, as the program computes it; every
    command of the program that acts on an environment is an option of the command input."""
    cat = catalogue()
    includes = []
    for number, target in enumerate(cat.ids):
        command = component_commands()[number % len(component_commands())]
        includes.append(
            f"  - local: templates/deploy.yml\n"
            f"    inputs:\n"
            f"      image: {NO_IMAGE}\n"
            f"      job-name: aud-{target}\n"
            f"      target: {target}\n"
            f"      command: {command}\n"
        )
    includes.append(
        "  - local: templates/deploy.yml\n"
        "    inputs:\n"
        f"      image: {NO_IMAGE}\n"
        "      job-name: aud-given\n"
        "      target: aws-lambda\n"
        "      audience: sts.example.com\n"
    )
    for command in component_commands():
        includes.append(
            "  - local: templates/deploy.yml\n"
            "    inputs:\n"
            f"      image: {NO_IMAGE}\n"
            f"      job-name: command-{command}\n"
            f"      command: {command}\n"
        )
    jobs = [*(f"aud-{t}" for t in cat.ids), "aud-given"]
    jobs += [f"command-{c}" for c in component_commands()]
    overrides = "".join(
        f'{job}:\n  script:\n    - echo "{job} token-audience=$PMCP_ID_TOKEN_AUDIENCE '
        f'command=$PMCP_DEPLOY_COMMAND"\n'
        for job in jobs
    )
    project = _project(tmp_path, "include:\n" + "".join(includes) + "\n" + overrides)
    done = _run(
        gitlab,
        project,
        tmp_path,
        {"GCP_WORKLOAD_IDENTITY_PROVIDER": PROVIDER, "CI_SERVER_URL": "https://gl.test"},
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-8000:]
    audiences = dict(re.findall(r"> (aud-[a-z-]+) token-audience=(\S*)", log))
    assert audiences == {
        "aud-pmcp-run": "https://gl.test",
        "aud-aws-lambda": "sts.amazonaws.com",
        "aud-google-cloud-run": default_audience(PROVIDER),
        "aud-azure-container-apps": "api://AzureADTokenExchange",
        "aud-cloudflare-workers": "https://gl.test",
        "aud-given": "sts.example.com",
    }, log[-4000:]
    commands = dict(re.findall(r"> command-([a-z-]+) token-audience=\S* command=(\S*)", log))
    assert commands == {c: c for c in component_commands()}, log[-4000:]
