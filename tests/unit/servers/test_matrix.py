"""servers.matrix: one line of JSON, the shape strategy.matrix and parallel:matrix take."""

from __future__ import annotations

import json

from pmcp_action.servers.matrix import MatrixEntry, render_matrix


def test_the_matrix_is_one_line_of_include_entries_with_string_values() -> None:
    text = render_matrix(
        (
            MatrixEntry("calc", "cloudflare-workers", "servers/calc"),
            MatrixEntry("notes", "aws-lambda", "servers/notes"),
        )
    )
    assert text == (
        '{"include":[{"server":"calc","target":"cloudflare-workers","working_directory":'
        '"servers/calc"},{"server":"notes","target":"aws-lambda","working_directory":'
        '"servers/notes"}]}'
    )
    for entry in json.loads(text)["include"]:
        # GitLab's parallel:matrix keys are variable names: letters, digits and _.
        assert all(key.replace("_", "").isalnum() for key in entry)
        assert all(isinstance(value, str) for value in entry.values())


def test_no_server_is_an_empty_include() -> None:
    assert render_matrix(()) == '{"include":[]}'
