"""Reading what a GitHub Actions step wrote: the $GITHUB_OUTPUT file, parsed as the runner does.

Shared by every test level (unit, subprocess, container), so all of them hold the action's
outputs to the same, strict reading.
"""

from __future__ import annotations

__all__ = ["parse_github_output"]


def parse_github_output(text: str) -> dict[str, str]:
    """Parse a $GITHUB_OUTPUT file as the runner does: ``k=v`` lines and ``k<<DELIM`` heredocs.

    Strict: a line that is neither form, or a heredoc without its closing delimiter, raises
    ValueError (the runner would fail the step). A later value for a name wins.
    """
    outputs: dict[str, str] = {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    index = 0
    while index < len(lines):
        line = lines[index].removesuffix("\r")
        index += 1
        if line == "":
            continue
        heredoc = line.find("<<")
        equals = line.find("=")
        if heredoc > 0 and (equals < 0 or heredoc < equals):
            name, delimiter = line[:heredoc], line[heredoc + 2 :]
            if not delimiter:
                raise ValueError(f"empty heredoc delimiter for {name!r}")
            body: list[str] = []
            while True:
                if index >= len(lines):
                    raise ValueError(f"heredoc for {name!r} is not closed by {delimiter!r}")
                current = lines[index].removesuffix("\r")
                index += 1
                if current == delimiter:
                    break
                body.append(current)
            outputs[name] = "\n".join(body)
        elif equals > 0:
            outputs[line[:equals]] = line[equals + 1 :]
        else:
            raise ValueError(f"not an output line: {line!r}")
    return outputs
