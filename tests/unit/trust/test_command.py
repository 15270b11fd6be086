"""The trust command around the targets: refused as an action input, the repository taken
from the checkout, a target without a trust module, the init hint that names it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pmcp_action.__main__ import main
from pmcp_action.exit_codes import FAILED, SUCCESS
from tests.support.monorepo import init_repository


def _project(where: Path) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    (where / "Cargo.toml").write_text('[package]\nname = "demo"\nversion = "0.1.0"\n')
    return where


def _run(where: Path, argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(where)
        code = main(argv, environ=env, stdout=out, stderr=err)
    return code, out.getvalue() + err.getvalue()


def test_the_action_cannot_run_trust(tmp_path: Path, gha_files: dict[str, Path]) -> None:
    env = {k: str(v) for k, v in gha_files.items()}
    env |= {"GITHUB_ACTIONS": "true", "INPUT_COMMAND": "trust", "INPUT_TARGET": "pmcp-run"}

    code, text = _run(_project(tmp_path / "p"), [], env)

    assert code == FAILED.code
    assert "trust is a command of the pmcp-action CLI, not of the action" in text


def test_the_repository_defaults_to_the_checkout_s_origin(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    init_repository(repo)
    (repo / ".git" / "config").write_text(
        '[remote "origin"]\n\turl = git@github.com:octo-org/weather.git\n'
    )
    code, text = _run(
        _project(repo), ["trust", "--target", "cloudflare-workers", "--ref", "main"], {}
    )

    assert code == SUCCESS.code, text
    assert "gh secret set CLOUDFLARE_API_TOKEN --repo octo-org/weather" in text
    assert "the branch main of octo-org/weather on GitHub" in text


def test_without_a_repository_trust_says_how_to_name_one(tmp_path: Path) -> None:
    code, text = _run(_project(tmp_path / "p"), ["trust", "--target", "aws-lambda"], {})

    assert code == FAILED.code
    assert "no repository is given" in text and "--repository OWNER" in text
