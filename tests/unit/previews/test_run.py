"""The preview commands in the pipeline, before any call: a target without previews refuses
the command, and a run with no preview name says how to give one; both alongside every other
problem, nothing touched."""

from __future__ import annotations

import io

from pmcp_action.__main__ import main


def _run(tmp_path, **inputs: str) -> tuple[int, str]:
    (tmp_path / ".pmcp").mkdir()
    (tmp_path / ".pmcp" / "deploy.toml").write_text('[server]\nname = "calc"\n')
    environ = {"INPUT_WORKING-DIRECTORY": str(tmp_path)}
    environ |= {f"INPUT_{k.upper().replace('_', '-')}": v for k, v in inputs.items()}
    out, err = io.StringIO(), io.StringIO()
    code = main([], environ=environ, stdout=out, stderr=err)
    return code, out.getvalue() + err.getvalue()


def test_a_target_without_previews_refuses_the_command_before_any_call(tmp_path):
    code, said = _run(tmp_path, target="pmcp-run", command="preview", preview_id="pr-1")
    assert code == 1
    assert "input 'command' (preview): the pmcp-run target cannot deploy previews" in said
    assert "nothing was changed" in said


def test_outside_a_pull_request_the_preview_needs_a_name(tmp_path):
    code, said = _run(tmp_path, target="google-cloud-run", command="destroy-preview")
    assert code == 1
    assert "input 'preview-id': a preview needs a name" in said
    assert "give preview-id (--preview-id NAME)" in said


def test_a_github_token_from_the_environment_is_masked_the_moment_it_is_read(tmp_path):
    token = "ghs_fromTheEnvironment0123456789abcd"
    (tmp_path / ".pmcp").mkdir()
    (tmp_path / ".pmcp" / "deploy.toml").write_text('[server]\nname = "calc"\n')
    report = tmp_path / "report.json"
    environ = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_TOKEN": token,
        "INPUT_WORKING-DIRECTORY": str(tmp_path),
        "INPUT_TARGET": "google-cloud-run",
        "INPUT_COMMAND": "preview",
        "INPUT_PREVIEW-ID": "PR 1",  # refused: the run stops before any call
        "INPUT_REPORT-PATH": str(report),
    }
    out, err = io.StringIO(), io.StringIO()
    code = main([], environ=environ, stdout=out, stderr=err)
    said = out.getvalue() + err.getvalue()
    assert code == 1
    assert f"::add-mask::{token}" in said
    rest = said.replace(f"::add-mask::{token}", "") + report.read_text()
    assert token not in rest
    assert '"github-token": "***"' in report.read_text()
