from __future__ import annotations

import io
import re

from pmcp_action.ci import GitLabCi
from pmcp_action.ci.gitlab import DOTENV_LIMIT
from pmcp_action.settings.catalogue import catalogue
from pmcp_action.settings.common_inputs import COMMON_INPUTS


def test_gitlab_dotenv_report_is_single_line_and_prefixed(tmp_path):
    dotenv = tmp_path / "deploy.env"
    stream = io.StringIO()
    platform = GitLabCi(environ={"GITLAB_CI": "true"}, dotenv_path=str(dotenv), log_stream=stream)
    platform.write_outputs({"url": "https://x/mcp", "server-name": "demo", "notes": "a\nb"})
    assert dotenv.read_text() == (
        "PMCP_OUT_URL=https://x/mcp\nPMCP_OUT_SERVER_NAME=demo\nPMCP_OUT_NOTES=a b\n"
    )


def test_no_name_in_the_dotenv_report_is_a_variable_an_input_is_read_from(tmp_path):
    """GitLab hands a job's dotenv variables to later jobs above their own ``variables:``: a
    name an input is read from (PMCP_SERVER_NAME, PMCP_REGION, PMCP_REPORT_PATH, ...) would
    make a second server's job, or a later destroy, act on the first server."""
    dotenv = tmp_path / "deploy.env"
    platform = GitLabCi(environ={}, dotenv_path=str(dotenv), log_stream=io.StringIO())
    cat = catalogue()
    platform.write_outputs({output.name: "x" for output in cat.outputs})
    published = {line.split("=", 1)[0] for line in dotenv.read_text().splitlines()}
    assert len(published) == len(cat.outputs)
    read_from = set(cat.input_variables)
    read_from |= {spec.default for spec in COMMON_INPUTS if spec.name == "id-token-variable"}
    assert {"PMCP_SERVER_NAME", "PMCP_REGION", "PMCP_REPORT_PATH"} <= read_from  # derived
    assert published.isdisjoint(read_from), published & read_from


def test_gitlab_dotenv_report_stays_within_the_size_limit(tmp_path):
    dotenv = tmp_path / "deploy.env"
    stream = io.StringIO()
    platform = GitLabCi(environ={}, dotenv_path=str(dotenv), log_stream=stream)
    outputs = {"url": "https://x/mcp", "big": "y" * DOTENV_LIMIT, "target": "pmcp-run"}
    platform.write_outputs(outputs)
    text = dotenv.read_text()
    assert len(text.encode()) <= DOTENV_LIMIT
    assert "PMCP_OUT_URL=https://x/mcp" in text and "PMCP_OUT_TARGET=pmcp-run" in text
    assert "PMCP_OUT_BIG" not in text
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
