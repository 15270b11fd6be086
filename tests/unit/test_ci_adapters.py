from __future__ import annotations

import io
import re

from pmcp_action.ci import GitHubActions, GitLabCi, Platform, detect_platform
from pmcp_action.ci.github import SUMMARY_LIMIT, escape_data, escape_property
from pmcp_action.ci.gitlab import DOTENV_LIMIT
from tests.support.github import parse_github_output


def github(gha_files, stream=None) -> GitHubActions:
    environ = {k: str(v) for k, v in gha_files.items()} | {"GITHUB_ACTIONS": "true"}
    return GitHubActions(environ=environ, log_stream=stream or io.StringIO())


def test_detect_platform():
    assert isinstance(detect_platform({"GITHUB_ACTIONS": "true"}), GitHubActions)
    assert isinstance(detect_platform({"GITLAB_CI": "true"}), GitLabCi)
    platform = detect_platform({})
    assert type(platform) is Platform and platform.name == "local"


def test_outputs_use_heredoc_delimiters_that_survive_any_value(gha_files):
    tricky = "line one\nghadelimiter_x\nEOF\n%0A :: , last"
    github(gha_files).write_outputs({"url": "https://x.example/mcp", "notes": tricky, "empty": ""})
    parsed = parse_github_output(gha_files["GITHUB_OUTPUT"].read_text())
    assert parsed == {"url": "https://x.example/mcp", "notes": tricky, "empty": ""}


def test_masks_every_line_of_a_multiline_secret_and_redacts_later_text(gha_files):
    stream = io.StringIO()
    platform = github(gha_files, stream)
    platform.mask("first-line-secret\nsecond-line-secret")
    platform.info("token is first-line-secret and second-line-secret")
    out = stream.getvalue()
    assert "::add-mask::first-line-secret\n" in out
    assert "::add-mask::second-line-secret\n" in out
    last = out.strip().splitlines()[-1]
    assert last == "token is *** and ***"


def test_annotations_escape_newlines_and_properties(gha_files):
    stream = io.StringIO()
    github(gha_files, stream).error("bad\nthing 100%", title="Oops: a, b")
    assert stream.getvalue() == "::error title=Oops%3A a%2C b::bad%0Athing 100%25\n"
    assert escape_data("a\r\nb") == "a%0D%0Ab"
    assert escape_property("k:v,w") == "k%3Av%2Cw"


def test_debug_only_when_enabled(gha_files):
    stream = io.StringIO()
    platform = github(gha_files, stream)
    platform.debug("hidden")
    platform.debug_enabled = True
    platform.debug("shown")
    assert stream.getvalue() == "::debug::shown\n"


def test_groups_open_and_close_even_on_error(gha_files):
    stream = io.StringIO()
    platform = github(gha_files, stream)
    try:
        with platform.group("deploy"):
            raise RuntimeError("x")
    except RuntimeError:
        pass
    assert stream.getvalue() == "::group::deploy\n::endgroup::\n"


def test_summary_is_appended_redacted_and_capped(gha_files):
    platform = github(gha_files)
    platform.mask("hunter2-secret")
    platform.write_summary("## ok hunter2-secret\n")
    assert gha_files["GITHUB_STEP_SUMMARY"].read_text() == "## ok ***\n"
    platform.write_summary("x" * (2 * SUMMARY_LIMIT))
    data = gha_files["GITHUB_STEP_SUMMARY"].read_bytes()
    assert len(data) <= SUMMARY_LIMIT
    assert data.endswith(b"see the JSON report._\n")


def test_outputs_never_carry_a_registered_secret(gha_files):
    platform = github(gha_files)
    platform.mask("abcd-secret-1234")
    platform.write_outputs({"url": "https://h/abcd-secret-1234"})
    assert "abcd-secret-1234" not in gha_files["GITHUB_OUTPUT"].read_text()


def test_gitlab_dotenv_report_is_single_line_and_prefixed(tmp_path):
    dotenv = tmp_path / "deploy.env"
    stream = io.StringIO()
    platform = GitLabCi(environ={"GITLAB_CI": "true"}, dotenv_path=str(dotenv), log_stream=stream)
    platform.write_outputs({"url": "https://x/mcp", "server-name": "demo", "notes": "a\nb"})
    assert dotenv.read_text() == "PMCP_URL=https://x/mcp\nPMCP_SERVER_NAME=demo\nPMCP_NOTES=a b\n"


def test_gitlab_dotenv_report_stays_within_the_size_limit(tmp_path):
    dotenv = tmp_path / "deploy.env"
    stream = io.StringIO()
    platform = GitLabCi(environ={}, dotenv_path=str(dotenv), log_stream=stream)
    outputs = {"url": "https://x/mcp", "big": "y" * DOTENV_LIMIT, "target": "pmcp-run"}
    platform.write_outputs(outputs)
    text = dotenv.read_text()
    assert len(text.encode()) <= DOTENV_LIMIT
    assert "PMCP_URL=https://x/mcp" in text and "PMCP_TARGET=pmcp-run" in text
    assert "PMCP_BIG" not in text
    assert (
        "Left out of the dotenv report to stay under GitLab's 5 KiB limit: big" in stream.getvalue()
    )


def test_gitlab_sections_are_collapsible(tmp_path):
    stream = io.StringIO()
    platform = GitLabCi(environ={}, log_stream=stream)
    with platform.group("deploy"):
        platform.info("inside")
    out = stream.getvalue()
    assert re.search(r"\x1b\[0Ksection_start:\d+:pmcp_1\[collapsed=true\]\r\x1b\[0Kdeploy\n", out)
    assert re.search(r"\x1b\[0Ksection_end:\d+:pmcp_1\r\x1b\[0K\n", out)
    assert "inside" in out


def test_local_platform_prints_outputs_and_never_announces_masks():
    stream = io.StringIO()
    platform = Platform(environ={}, log_stream=stream)
    platform.mask("local-secret-xyz")
    platform.write_outputs({"url": "https://u", "arn": ""})
    platform.warning("with local-secret-xyz")
    out = stream.getvalue()
    assert "add-mask" not in out
    assert "url  https://u" in out and "  arn" not in out
    assert "warning: with ***" in out
