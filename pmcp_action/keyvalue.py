"""``KEY=VALUE`` lines, read one way for every input that takes them.

The server's environment, a Dockerfile's build arguments and secrets are all one
``KEY=VALUE`` a line;
blank lines and ``#`` comments are skipped. A value of several lines is given in GitHub's
heredoc form (``KEY<<EOF``, the lines, then ``EOF`` alone on a line), the form
``$GITHUB_ENV`` and ``$GITHUB_OUTPUT`` use. A bad line is named by its number only: it may
hold a secret (a value pasted without its name), so no message quotes it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .errors import Problem

__all__ = ["ENV_KEY", "parse_key_values"]

#: A POSIX environment variable name: letters, digits and _, not starting with a digit.
ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEREDOC = re.compile(r"^([^=<\s]*)<<([A-Za-z0-9_-]+)$")


def parse_key_values(
    text: str,
    where: str,
    problems: list[Problem],
    *,
    noun: str = "variable",
    heredoc: bool = False,
    on_value: Callable[[str], None] | None = None,
) -> dict[str, str]:
    """The pairs of ``text``; each bad line is a problem in ``problems``.

    ``heredoc``: accept ``KEY<<DELIMITER`` blocks. ``on_value`` is called with every value
    the moment it is read (and with each of a heredoc's lines), to mask it.
    """
    result: dict[str, str] = {}
    lines = text.splitlines()
    index = 0

    def bad(number: int, what: str) -> None:
        problems.append(
            Problem(
                f"{where}, line {number}",
                f"{what} (the line is not shown: it may hold a secret)",
                f"write one {noun} per line as NAME=value"
                + (", or NAME<<EOF, the lines, then EOF" if heredoc else ""),
            )
        )

    while index < len(lines):
        number, line = index + 1, lines[index]
        index += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        block = _HEREDOC.match(stripped) if heredoc and "=" not in stripped else None
        if block is not None:
            key, delimiter = block.group(1), block.group(2)
            body: list[str] = []
            while index < len(lines) and lines[index].strip() != delimiter:
                body.append(lines[index])
                index += 1
            if index >= len(lines):
                bad(number, f"the value started here never ends (no line {delimiter!r} follows)")
                continue
            index += 1  # the delimiter
            value = "\n".join(body)
        else:
            key, sep, value = stripped.partition("=")
            key = key.strip()
            if not sep:
                bad(number, "expected KEY=VALUE")
                continue
        if not ENV_KEY.match(key):
            bad(
                number,
                "expected KEY=VALUE, with a KEY of letters, digits and _ that does not start "
                "with a digit",
            )
            continue
        if on_value is not None and value:
            on_value(value)
        result[key] = value  # a later line wins, as in a shell
    return result
