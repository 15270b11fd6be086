"""init.command through the program's entry: what it writes and prints, that it never writes
over a file without --force, and every bad input named with nothing written."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest

from pmcp_action.__main__ import main
from pmcp_action.exit_codes import FAILED, SUCCESS, USAGE
from pmcp_action.init.github import WORKFLOW_PATH
from pmcp_action.init.gitlab import CI_FILE

from .helpers import cli, write_project


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return tmp_path / "repo"


def test_it_writes_the_workflow_and_says_what_comes_next(repo: Path) -> None:
    project = write_project(repo, "pmcp-run")
    code, out, err = cli(project)
    assert (code, out) == (SUCCESS.code, "")
    assert (repo / WORKFLOW_PATH).is_file()
    assert not (repo / CI_FILE).exists()
    assert f"Wrote {WORKFLOW_PATH} in {repo}: it deploys weather to pmcp.run (pmcp-run)" in err
    assert "  1. Create the variable PMCP_CLIENT_ID and the secret PMCP_CLIENT_SECRET" in err
    assert "  2. pmcp-action trust --target pmcp-run\n" in err
    assert f"  3. git add {WORKFLOW_PATH} && git commit -m 'Deploy weather with " in err
    assert "pmcp deploy: CI configuration written" in err


def test_an_existing_workflow_is_written_over_only_with_force(repo: Path) -> None:
    project = write_project(repo, "pmcp-run")
    workflow = repo / WORKFLOW_PATH
    workflow.parent.mkdir(parents=True)
    workflow.write_text("mine\n")
    code, _, err = cli(project)
    assert code == FAILED.code
    assert f"{WORKFLOW_PATH} exists already; nothing was written." in err
    assert "`pmcp-action init --force` writes over it" in err
    assert workflow.read_text() == "mine\n"
    code, _, err = cli(project, "--force")
    assert code == SUCCESS.code, err
    assert f"Wrote over {WORKFLOW_PATH}" in err and workflow.read_text().startswith("# Deploys")


def test_a_directory_where_the_workflow_goes_is_refused_even_with_force(repo: Path) -> None:
    project = write_project(repo, "pmcp-run")
    (repo / WORKFLOW_PATH).mkdir(parents=True)
    code, _, err = cli(project, "--force")
    assert code == FAILED.code and "is not a regular file" in err, err


def test_the_ci_is_gitlab_when_the_repository_has_a_gitlab_ci_file(repo: Path) -> None:
    project = write_project(repo, "cloudflare-workers")
    (repo / CI_FILE).write_text("# ours\nlint:\n  script: [x]\n")
    code, _, err = cli(project)
    assert code == SUCCESS.code, err
    assert f"Added the pmcp-deploy-action component to {CI_FILE}" in err
    assert "(Settings → CI/CD → Variables)" in err
    assert not (repo / ".github").exists()
    assert (repo / CI_FILE).read_text().startswith("# ours\nlint:\n")
    code, _, err = cli(project, "--ci", "github")
    assert code == SUCCESS.code and (repo / WORKFLOW_PATH).is_file(), err


@pytest.mark.parametrize(
    ("args", "env", "code", "said"),
    [
        ((), {}, FAILED.code, "input 'target': no target given"),
        (("--target", "aws-lamda"), {}, USAGE.code, "did you mean aws-lambda?"),
        ((), {"PMCP_DEPLOY_TARGET": "nope"}, FAILED.code, "unknown value 'nope'"),
        (("--target", "pmcp-run", "--ci", "jenkins"), {}, USAGE.code, "--ci: unknown CI"),
        (
            ("--target", "pmcp-run", "--auth", "oidc"),
            {},
            FAILED.code,
            "the pmcp-run target has no OIDC sign-in",
        ),
        (
            ("--target", "aws-lambda", "--auth", "ambient"),
            {},
            FAILED.code,
            "not with the runner's own credentials",
        ),
        (
            ("--target", "pmcp-run", "--ci-environment", "prod env!"),
            {},
            FAILED.code,
            "is not a deployment environment's name",
        ),
    ],
)
def test_bad_input_is_named_and_nothing_is_written(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], code: int, said: str
) -> None:
    """No deploy.toml here: the target must be given (and be one)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".git").mkdir()
    (repo / "Cargo.toml").write_text('[package]\nname = "calc"\nversion = "0.1.0"\n')
    done, _, err = cli(repo, *args, env=env)
    assert done == code and said in err, err
    assert sorted(p.name for p in repo.iterdir()) == [".git", "Cargo.toml"]


def test_an_unreadable_deploy_toml_is_named_not_quoted(repo: Path) -> None:
    project = write_project(repo, "pmcp-run")
    (project / ".pmcp" / "deploy.toml").write_text(
        '[target]\ntype = "pmcp-run"\nsecret = "hunter22\n'
    )
    code, _, err = cli(project)
    assert code == FAILED.code and "deploy.toml" in err, err
    assert "hunter22" not in err
    assert not (repo / ".github").exists()


def test_a_server_secret_github_refuses_is_named_for_github_only(repo: Path) -> None:
    project = write_project(repo, "pmcp-run", secrets={"GITHUB_APP_KEY": '""'})
    code, _, err = cli(project)
    assert code == FAILED.code and "GitHub refuses a secret named GITHUB_APP_KEY" in err, err
    assert ".pmcp/deploy.toml:" in err and not (repo / ".github").exists()
    assert cli(project, "--ci", "gitlab")[0] == SUCCESS.code


def test_the_action_cannot_run_init(repo: Path, gha_files: dict[str, Path]) -> None:
    project = write_project(repo, "pmcp-run")
    env = {k: str(v) for k, v in gha_files.items()}
    env |= {"GITHUB_ACTIONS": "true", "INPUT_COMMAND": "init"}
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        code = main([], environ=env, stdout=out, stderr=io.StringIO())
    assert code == FAILED.code
    assert "init is a command of the pmcp-action CLI, not of the action" in out.getvalue()
    assert not (repo / ".github" / "workflows").exists()


def test_no_credential_of_the_terminal_reaches_the_file_or_the_output(repo: Path) -> None:
    project = write_project(repo, "aws-lambda", secrets={"API_KEY": '""'})
    secrets = {
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "API_KEY": "sk-the-servers-own-key",
    }
    code, out, err = cli(project, "--auth", "secrets", env=secrets)
    assert code == SUCCESS.code, err
    written = (repo / WORKFLOW_PATH).read_text()
    for value in secrets.values():
        encoded = base64.b64encode(value.encode()).decode()
        for text in (out, err, written):
            assert value not in text and encoded not in text
    assert "${{ secrets.AWS_SECRET_ACCESS_KEY }}" in written


def test_a_target_input_given_by_flag_is_said_not_to_be_written(repo: Path) -> None:
    project = write_project(repo, "aws-lambda")
    code, _, err = cli(project, "--region", "eu-west-1")
    assert code == SUCCESS.code, err
    assert "flag --region is not written into the CI configuration" in err
    assert "eu-west-1" not in (repo / WORKFLOW_PATH).read_text()


def test_outside_git_it_writes_beside_the_project_and_says_so(tmp_path: Path) -> None:
    project = write_project(tmp_path / "loose", "pmcp-run", git=False)
    code, _, err = cli(project)
    assert code == SUCCESS.code, err
    assert "is in no git repository" in err and "git add" not in err
    assert (project / WORKFLOW_PATH).is_file()


def test_json_gives_the_outcome_typed(repo: Path) -> None:
    project = write_project(repo, "pmcp-run")
    code, out, _ = cli(project, "--json")
    result = json.loads(out)
    assert code == SUCCESS.code
    assert (result["command"], result["status"], result["server-name"]) == (
        "init",
        "success",
        "weather",
    )
    assert result["exit-code"] == 0 and result["error-title"] is None


def test_without_a_deploy_toml_the_target_given_and_the_crates_name_do(repo: Path) -> None:
    repo.mkdir()
    (repo / ".git").mkdir()
    (repo / "Cargo.toml").write_text('[package]\nname = "calc"\nversion = "0.1.0"\n')
    code, _, err = cli(repo, "--target", "cloudflare-workers", "--server-name", "calc-prod")
    assert code == SUCCESS.code, err
    text = (repo / WORKFLOW_PATH).read_text()
    header = " ".join(text.split("\nname:")[0].replace("#", " ").split())
    assert "from the target's defaults (there is no .pmcp/deploy.toml)" in header
    assert "target: cloudflare-workers\n" in text
    assert "server-name: calc-prod\n" in text  # given to init, so written
    assert "group: pmcp-deploy-calc-prod\n" in text
