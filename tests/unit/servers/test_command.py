"""servers.command through the program's entry: the fixture monorepo (three servers, two
targets) as a matrix, the changed subset of a real git history, the same JSON from the CLI
verb, the action command and GitLab's dotenv report, and every bad input named."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from pmcp_action.__main__ import main
from tests.support.github import parse_github_output
from tests.support.monorepo import (
    FIXTURE_SERVERS,
    commit_all,
    git,
    init_repository,
    write_files,
    write_monorepo,
)


def matrix_of(servers: tuple[tuple[str, str, str], ...]) -> dict[str, list[dict[str, str]]]:
    return {
        "include": [
            {"server": name, "target": target, "working_directory": directory}
            for name, target, directory in servers
        ]
    }


def cli(repo: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """``pmcp-action servers ARGS`` run in ``repo``, as a workflow step runs it."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(repo)
        code = main(["servers", *args], environ=env or {}, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def action(repo: Path, gha_files: dict[str, Path], **inputs: str) -> tuple[int, dict[str, str]]:
    """The action step (GitHub Actions): command servers, inputs as the runner passes them."""
    env = {k: str(v) for k, v in gha_files.items()} | {
        "GITHUB_ACTIONS": "true",
        "INPUT_COMMAND": "servers",
    }
    env |= {f"INPUT_{k.upper().replace('_', '-')}": v for k, v in inputs.items()}
    gha_files["GITHUB_OUTPUT"].write_text("")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(repo)
        code = main([], environ=env, stdout=io.StringIO(), stderr=io.StringIO())
    return code, parse_github_output(gha_files["GITHUB_OUTPUT"].read_text())


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = write_monorepo(init_repository(tmp_path / "repo"))
    commit_all(root, "three servers")
    return root


def test_the_fixture_monorepo_is_three_servers_on_two_targets(repo: Path) -> None:
    code, out, err = cli(repo)

    assert code == 0, err
    assert json.loads(out) == matrix_of(FIXTURE_SERVERS)
    assert out.count("\n") == 1  # one line of JSON on stdout, everything else on stderr
    assert "3 server(s): calc (servers/calc, cloudflare-workers)" in err


def test_the_cli_verb_and_the_action_command_give_the_same_json(
    repo: Path, gha_files: dict[str, Path]
) -> None:
    code, out, _ = cli(repo)
    step_code, outputs = action(repo, gha_files)

    assert code == step_code == 0
    assert outputs["matrix"] == out.strip()
    assert outputs["status"] == "success" and outputs["command"] == "servers"
    assert outputs["target"] == "" and outputs["url"] == ""
    summary = gha_files["GITHUB_STEP_SUMMARY"].read_text()
    assert "| weather | aws-lambda | `servers/weather` |" in summary


def test_gitlab_gets_the_matrix_on_stdout_and_in_the_dotenv_report(
    repo: Path, tmp_path: Path
) -> None:
    dotenv = tmp_path / "pmcp.env"
    env = {"GITLAB_CI": "true", "CI_PROJECT_DIR": str(tmp_path), "PMCP_DOTENV_PATH": str(dotenv)}

    code, out, err = cli(repo, env=env)

    assert code == 0, err
    assert json.loads(out) == matrix_of(FIXTURE_SERVERS)
    assert f"PMCP_OUT_MATRIX={out.strip()}\n" in dotenv.read_text()


def test_json_output_outside_ci_carries_the_matrix_as_one_field(repo: Path) -> None:
    code, out, _ = cli(repo, "--output-format", "json")

    assert code == 0
    result = json.loads(out)
    assert json.loads(result["matrix"]) == matrix_of(FIXTURE_SERVERS)
    assert result["exit-code"] == 0


def test_working_directories_read_as_the_working_directory_input_was_given(repo: Path) -> None:
    code, out, _ = cli(repo / "servers", "--working-directory", "../servers/")
    assert code == 0
    entries = json.loads(out)["include"]
    assert [e["working_directory"] for e in entries] == [
        "../servers/calc",
        "../servers/notes",
        "../servers/weather",
    ]
    code, out, _ = cli(repo, "--working-directory", str(repo / "servers"))
    assert json.loads(out)["include"][0]["working_directory"] == f"{repo}/servers/calc"


def test_the_target_input_wins_over_every_servers_own(repo: Path) -> None:
    code, out, _ = cli(repo, "--target", "pmcp-run")
    assert code == 0
    assert {e["target"] for e in json.loads(out)["include"]} == {"pmcp-run"}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"servers/calc/src/main.rs": "fn main() { /* v2 */ }\n"}, ("calc",)),
        ({"crates/shared/src/lib.rs": "pub fn shared() { /* v2 */ }\n"}, ("weather",)),
        ({"crates/tools/src/lib.rs": "pub fn tools() { /* v2 */ }\n"}, ("notes",)),
        ({"Cargo.lock": "# lock\nversion = 4\n"}, ("calc", "notes", "weather")),
        ({"rust-toolchain.toml": '[toolchain]\nchannel = "1.85"\n'}, ("calc", "notes", "weather")),
        ({"README.md": "# the servers\n"}, ()),
        (
            {
                "servers/notes/.pmcp/deploy.toml": '[target]\ntype = "pmcp-run"\n'
                '[server]\nname = "notes"\n'
            },
            ("notes",),
        ),
    ],
)
def test_changed_since_lists_the_servers_a_change_touches(
    repo: Path, change: dict[str, str], expected: tuple[str, ...]
) -> None:
    before = git(repo, "rev-parse", "HEAD")
    write_files(repo, change)
    commit_all(repo, "a change")

    code, out, err = cli(repo, "--changed-since", before)

    assert code == 0, err
    assert [e["server"] for e in json.loads(out)["include"]] == list(expected)


def test_the_action_command_gives_the_changed_subset_too(
    repo: Path, gha_files: dict[str, Path]
) -> None:
    write_files(repo, {"servers/weather/src/main.rs": "fn main() { /* v2 */ }\n"})
    commit_all(repo, "weather")

    code, outputs = action(repo, gha_files, changed_since="HEAD~1")

    assert code == 0
    assert json.loads(outputs["matrix"]) == matrix_of(
        (("weather", "aws-lambda", "servers/weather"),)
    )


def test_a_branch_counts_its_own_changes_not_what_reached_main_since(repo: Path) -> None:
    git(repo, "checkout", "--quiet", "-b", "feature")
    write_files(repo, {"servers/weather/src/main.rs": "fn main() { /* feature */ }\n"})
    commit_all(repo, "feature work")
    git(repo, "checkout", "--quiet", "main")
    write_files(repo, {"servers/calc/src/main.rs": "fn main() { /* main moved */ }\n"})
    commit_all(repo, "main moved on")
    git(repo, "checkout", "--quiet", "feature")

    code, out, err = cli(repo, "--changed-since", "main")

    assert code == 0, err
    assert [e["server"] for e in json.loads(out)["include"]] == ["weather"]


def test_a_branchs_first_push_compares_with_nothing_and_lists_every_server(repo: Path) -> None:
    code, out, err = cli(repo, "--changed-since", "0" * 40)
    assert code == 0, err
    assert len(json.loads(out)["include"]) == 3
    assert "every server counts as changed" in err


def test_no_change_is_an_empty_matrix(repo: Path) -> None:
    code, out, _ = cli(repo, "--changed-since", "HEAD")
    assert code == 0
    assert json.loads(out) == {"include": []}


def failure(err: str) -> str:
    """The error block of the plain-text summary."""
    return err[err.index("error: ") :]


def test_a_ref_this_clone_lacks_is_named_with_the_fix(repo: Path) -> None:
    code, out, err = cli(repo, "--changed-since", "origin/release")
    assert (code, out) == (1, "")
    assert failure(err) == (
        "error: Git history unavailable\n"
        "  flag --changed-since: 'origin/release' names no commit in this clone.\n"
        "\n"
        "  How to fix: Fetch the history the comparison needs: actions/checkout with "
        "`fetch-depth: 0` (GitLab: `GIT_DEPTH: 0`), or `git fetch origin <branch>` before "
        "this step.\n"
    )


def test_a_shallow_clone_is_told_to_fetch_the_history(repo: Path, tmp_path: Path) -> None:
    for n in range(3):
        write_files(repo, {"servers/calc/src/main.rs": f"fn main() {{ /* {n} */ }}\n"})
        commit_all(repo, f"change {n}")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "--quiet", "--depth", "1", f"file://{repo}", str(shallow))

    code, _, err = cli(shallow, "--changed-since", "HEAD~2")

    assert code == 1
    assert "goes past the history of this clone (the clone is shallow there)" in err
    assert "fetch-depth: 0" in err


def test_outside_a_git_repository_changed_since_is_refused(tmp_path: Path) -> None:
    plain = write_monorepo(tmp_path / "plain")
    code, _, err = cli(plain, "--changed-since", "main")
    assert code == 1
    assert "is not inside a git repository" in err


def test_every_bad_server_is_named_before_anything_is_listed(repo: Path) -> None:
    write_files(
        repo,
        {
            "servers/extra/.pmcp/deploy.toml": "[server]\nname = 'extra'\n",
            "servers/wrong/.pmcp/deploy.toml": '[target]\ntype = "heroku"\n',
            "servers/twin/.pmcp/deploy.toml": '[target]\ntype = "aws-lambda"\n'
            '[server]\nname = "weather"\n',
        },
    )

    code, out, err = cli(repo)

    assert (code, out) == (1, "")
    assert "The inputs have 3 problems; nothing was changed:" in err
    assert (
        f"- {repo}/servers/extra/.pmcp/deploy.toml: names no target ([target].type) — add "
        "[target] with type = one of pmcp-run, aws-lambda, google-cloud-run, "
        "azure-container-apps, cloudflare-workers, or give the target input for every server"
    ) in err
    assert (
        f"- {repo}/servers/wrong/.pmcp/deploy.toml:2 [target].type: unknown target 'heroku'"
    ) in err
    assert (
        f"- {repo}/servers/weather/.pmcp/deploy.toml: server 'weather' on aws-lambda is also "
        "the server in servers/twin: both would deploy to one place — "
        "give each a [server].name of its own"
    ) in err


def test_a_directory_without_servers_is_refused(tmp_path: Path) -> None:
    code, _, err = cli(tmp_path)
    assert code == 1
    assert f"no directory under {tmp_path.resolve()} holds a .pmcp/deploy.toml" in err


def test_servers_needs_no_target_and_no_credentials(repo: Path) -> None:
    """Nothing but the files: no network (no transport given, none used) and no target."""
    code, out, err = cli(repo, env={"PMCP_DEPLOY_TARGET": ""})
    assert code == 0, err
    assert "no target given" not in err
