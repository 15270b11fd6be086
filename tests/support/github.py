"""Reading what a GitHub Actions step left behind, as GitHub's runner reads it.

The $GITHUB_OUTPUT file (one strict parser for every test level), the workflow commands in a
step's stdout (``::error``/``::warning``/``::notice`` annotations), and :class:`ContainerRun`,
the one result shape of a step run by the container and subprocess tests (outputs, summary,
annotations, the JSON report where the runner's paths put it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "CONTAINER_FILE_COMMANDS",
    "CONTAINER_HOME",
    "CONTAINER_WORKFLOW",
    "CONTAINER_WORKSPACE",
    "HOST_RUNNER_TEMP",
    "HOST_WORKSPACE",
    "Annotation",
    "ContainerRun",
    "parse_annotations",
    "parse_github_output",
]

#: Where GitHub's runner mounts things into a Docker action's container.
CONTAINER_WORKSPACE = "/github/workspace"
CONTAINER_HOME = "/github/home"
CONTAINER_WORKFLOW = "/github/workflow"
CONTAINER_FILE_COMMANDS = "/github/file_commands"
#: The runner passes RUNNER_TEMP through unchanged: a host path that is NOT mounted.
HOST_RUNNER_TEMP = "/home/runner/work/_temp"
#: The workspace's path on the runner, where a step before the action writes files (and which
#: action.yml passes to the container as PMCP_HOST_WORKSPACE).
HOST_WORKSPACE = "/home/runner/work/hello-mcp/hello-mcp"


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


@dataclass(frozen=True)
class Annotation:
    """One ``::error``/``::warning``/``::notice`` workflow command, unescaped."""

    kind: str
    properties: dict[str, str]
    message: str


_COMMAND = re.compile(r"^::(?P<kind>error|warning|notice)(?: (?P<props>[^:]*))?::(?P<msg>.*)$")


def _unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(text: str) -> str:
    return _unescape_data(text.replace("%3A", ":").replace("%2C", ","))


def parse_annotations(stdout: str) -> list[Annotation]:
    """Every annotation command in a step's stdout, in order."""
    found: list[Annotation] = []
    for line in stdout.splitlines():
        match = _COMMAND.match(line)
        if match is None:
            continue
        properties: dict[str, str] = {}
        for pair in filter(None, (match["props"] or "").split(",")):
            key, _, value = pair.partition("=")
            properties[key.strip()] = _unescape_property(value)
        found.append(Annotation(match["kind"], properties, _unescape_data(match["msg"])))
    return found


@dataclass
class ContainerRun:
    """What one ``docker run`` of the action left behind (same shape as the subprocess tests')."""

    exit_code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    workspace: Path
    env_file: str = ""
    command: list[str] = field(default_factory=list)
    #: The host directory standing in for the runner's RUNNER_TEMP.
    runner_temp: Path | None = None

    def annotations(self, kind: str | None = None) -> list[Annotation]:
        found = parse_annotations(self.stdout)
        return [a for a in found if kind is None or a.kind == kind]

    @property
    def errors(self) -> list[Annotation]:
        return self.annotations("error")

    def report(self) -> dict[str, object]:
        """The JSON report; its output path is relative to the workspace (or absolute)."""
        reported = self.outputs["report-path"]
        if self.runner_temp is not None and reported.startswith(HOST_RUNNER_TEMP + "/"):
            path = self.runner_temp / reported.removeprefix(HOST_RUNNER_TEMP + "/")
            loaded: dict[str, object] = json.loads(path.read_text())
            return loaded
        if reported.startswith(CONTAINER_WORKSPACE + "/"):
            reported = reported.removeprefix(CONTAINER_WORKSPACE + "/")
        data: dict[str, object] = json.loads((self.workspace / reported).read_text())
        return data

    @property
    def everything(self) -> str:
        return self.stdout + self.stderr + self.summary + "\n".join(self.outputs.values())

    @property
    def shown(self) -> str:
        """Everything a reader of the run sees: the ``::add-mask::`` commands are the
        runner's, which never shows them (they carry the values to hide)."""
        return "\n".join(
            line for line in self.everything.splitlines() if not line.startswith("::add-mask::")
        )

    def describe(self) -> str:
        """For assertion messages."""
        return (
            f"exit code {self.exit_code}\n--- stdout ---\n{self.stdout}\n--- stderr ---\n"
            f"{self.stderr}\n--- summary ---\n{self.summary}"
        )
