"""The command line: one ``--flag`` per input, plus a command word."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import NoReturn

from . import __version__
from .errors import Problem, ValidationError
from .inputs import COMMANDS, InputKind
from .registry import catalogue

__all__ = ["ParsedArgs", "parse_args"]

ParsedArgs = dict[str, str | None]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise ValidationError(
            [Problem("command line", message, "run `pmcp-action --help` for the usage")]
        )


def _build_parser() -> _Parser:
    parser = _Parser(
        prog="pmcp-action",
        description="Deploy Rust MCP servers (pmcp SDK) from CI, headless. Every flag is also "
        "an action input of the same name and an environment variable (see README).",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"pmcp-action {__version__}")
    parser.add_argument(
        "command_word",
        nargs="?",
        choices=COMMANDS,
        metavar="COMMAND",
        help="deploy (default), plan, outputs, rollback or destroy",
    )
    parser.add_argument("--yes", action="store_true", help="same as --confirm-destroy true")
    parser.add_argument("--to", dest="to_version", help="same as --rollback-to")
    for spec in catalogue().inputs:
        env = f" [env: {', '.join(spec.env)}]" if spec.env else ""
        kwargs: dict[str, object] = {
            "dest": spec.attr,
            "default": None,
            "help": spec.description + env,
        }
        if spec.kind is InputKind.BOOL:
            kwargs.update(nargs="?", const="true", metavar="BOOL")
        elif spec.kind is InputKind.CHOICE:
            kwargs["metavar"] = "{" + ",".join(spec.choices) + "}"
        parser.add_argument(spec.flag, **kwargs)  # type: ignore[arg-type]
    return parser


def parse_args(argv: Sequence[str]) -> ParsedArgs:
    """Flags by input name (``None`` when not given); validation happens in settings."""
    namespace = _build_parser().parse_args(list(argv))
    values: ParsedArgs = {spec.name: getattr(namespace, spec.attr) for spec in catalogue().inputs}
    if namespace.command_word is not None:
        if values["command"] not in (None, namespace.command_word):
            raise ValidationError(
                [
                    Problem(
                        "command line",
                        f"command {namespace.command_word!r} contradicts --command "
                        f"{values['command']!r}",
                        "give the command once",
                    )
                ]
            )
        values["command"] = namespace.command_word
    if namespace.yes:
        values["confirm-destroy"] = "true"
    if namespace.to_version:
        values["rollback-to"] = namespace.to_version
    return values
