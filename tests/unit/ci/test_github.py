from __future__ import annotations

import io

from pmcp_action.ci import GitHubActions
from pmcp_action.ci.github import SUMMARY_LIMIT, escape_data, escape_property
from tests.support.github import parse_github_output


def github(gha_files, stream=None) -> GitHubActions:
    environ = {k: str(v) for k, v in gha_files.items()} | {"GITHUB_ACTIONS": "true"}
    return GitHubActions(environ=environ, log_stream=stream or io.StringIO())


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


def test_a_notice_is_an_annotation_with_its_secrets_redacted(gha_files):
    stream = io.StringIO()
    platform = github(gha_files, stream)
    platform.mask("notice-secret-123")
    platform.notice("no comment: notice-secret-123", title="Preview not commented")
    assert stream.getvalue().endswith("::notice title=Preview not commented::no comment: ***\n")
