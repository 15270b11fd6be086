"""The command line run through ``main`` in-process, with explicit streams and environment
(no COLUMNS, no TTY: the help is laid out for 80 columns)."""

from __future__ import annotations

import io

from pmcp_action.__main__ import main


def run(args, environ=None):
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(args, environ=environ or {}, stdout=stdout, stderr=stderr)
    return code, stdout.getvalue(), stderr.getvalue()
