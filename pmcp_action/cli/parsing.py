"""Reading the command line: a run with its flags, or the help, completion or version to print.

Every option but ``--help``, ``--version``, ``--yes`` and ``--to`` is an input of
the catalogue. The whole command line is read before anything runs, so help and
usage errors come before any log line. A mistake in the command line itself (an
unknown option or command, a missing value) is a
:class:`~pmcp_action.errors.UsageError` (exit 2); the values are checked later,
with the other inputs, by the settings (exit 1).

The catalogue is imported only when a command line is parsed, so the output-format
look-up stays cheap.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from .. import __version__
from ..errors import UsageError
from ..settings.common_inputs import COMMON_INPUTS
from ..settings.spec import InputKind
from ..settings.vocabulary import COMMAND_ALIASES, COMMANDS, OutputFormat
from .help import command_help, help_topic, target_page
from .words import COMPLETION_WORD, HELP_WORD, PROG, WORDS, closest, did_you_mean

if TYPE_CHECKING:
    from ..settings.catalogue import Catalogue

__all__ = ["CommandLine", "ParsedArgs", "output_format", "parse_args", "parse_command_line"]

#: argparse's rule: "-5" is a value, not an option, when no option looks like a number.
_NEGATIVE_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")


ParsedArgs = dict[str, str | None]


class _Arity(Enum):
    NONE = "none"  # --yes
    ONE = "one"  # --target X
    OPTIONAL_BOOL = "bool"  # --debug, --debug false


@dataclass(frozen=True)
class _Option:
    flag: str
    arity: _Arity
    #: The input it sets ("" for --help, --version, --yes and --to, handled here).
    input: str = ""


@dataclass(frozen=True)
class CommandLine:
    """What the command line asks for: a run with these flags, or text to print."""

    #: Each input given by flag, by input name (``None`` when not given).
    flags: ParsedArgs
    #: Help, a completion script or the version: print it and exit 0 instead of running.
    show: str = ""


# --- the cheap look-ups (no registry) ----------------------------------------------------
def _is_option(token: str) -> bool:
    """Whether argparse would read ``token`` as an option (not a value or a word)."""
    return (
        token.startswith("-")
        and token != "-"
        and not _NEGATIVE_NUMBER.match(token)
        and " " not in token
    )


def _before_separator(argv: Sequence[str]) -> Sequence[str]:
    return argv[: argv.index("--")] if "--" in argv else argv


def output_format(argv: Sequence[str], environ: Mapping[str, str]) -> OutputFormat:
    """The output format the command line or the environment asks for, read before anything
    else (so it is known for a usage error or invalid settings): the last ``--output-format``
    wins (``--json`` is ``--output-format json``), then its variables. Anything but a valid
    choice counts as the default."""
    spec = next(spec for spec in COMMON_INPUTS if spec.name == "output-format")
    tokens = _before_separator(argv)
    given: str | None = None
    for index, token in enumerate(tokens):
        if token.startswith(spec.flag + "="):
            given = token.partition("=")[2]
        elif token == spec.flag and index + 1 < len(tokens):
            given = tokens[index + 1]
        elif token == "--json":
            given = OutputFormat.JSON.value
    if given is None:
        given = next((environ[key] for key in spec.env if environ.get(key, "").strip()), None)
    value = (given or "").strip()
    return OutputFormat(value if value in spec.choices else spec.default)


# --- reading the command line ---------------------------------------------------------------
def _options(cat: Catalogue) -> dict[str, _Option]:
    found = {
        "-h": _Option("-h", _Arity.NONE),
        "--help": _Option("--help", _Arity.NONE),
        "--version": _Option("--version", _Arity.NONE),
        "--yes": _Option("--yes", _Arity.NONE),
        "--json": _Option("--json", _Arity.NONE),
        "--to": _Option("--to", _Arity.ONE),
    }
    for spec in cat.inputs:
        arity = _Arity.OPTIONAL_BOOL if spec.kind is InputKind.BOOL else _Arity.ONE
        found[spec.flag] = _Option(spec.flag, arity, spec.name)
    return found


@dataclass
class _Scan:
    #: (option, value) in order; value None for an option without one.
    given: list[tuple[_Option, str | None]]
    words: list[str]
    help: bool = False
    version: bool = False


def _scan(argv: Sequence[str], options: Mapping[str, _Option]) -> _Scan:
    """Split the command line into options (with their values) and words, as argparse would;
    a bare boolean option takes the next token only when it is a boolean."""
    from ..settings.values import parse_bool

    scan = _Scan(given=[], words=[])
    index = 0
    while index < len(argv):
        token = argv[index]
        index += 1
        if token == "--":
            scan.words += argv[index:]
            break
        if not _is_option(token):
            scan.words.append(token)
            continue
        name, equals, inline = token.partition("=") if token.startswith("--") else (token, "", "")
        option = options.get(name)
        context = scan.words[0] if scan.words[:1] in ([HELP_WORD], [COMPLETION_WORD]) else ""
        if option is not None and context and option.flag in ("-h", "--help"):
            scan.help = True
            continue
        if option is None or context:
            raise _unknown_option(name, options, context)
        if option.arity is _Arity.NONE:
            if equals:
                raise UsageError(
                    f"option {name} takes no value (got {name}={inline})",
                    remediation=f"Write {name} alone.",
                )
            if name in ("-h", "--help"):
                scan.help = True
            elif name == "--version":
                scan.version = True
            else:
                scan.given.append((option, None))
            continue
        if equals:
            scan.given.append((option, inline))
            continue
        following = argv[index] if index < len(argv) else None
        if option.arity is _Arity.OPTIONAL_BOOL:
            if following is not None and parse_bool(following) is not None:
                scan.given.append((option, following))
                index += 1
            else:
                scan.given.append((option, "true"))
            continue
        if following is None or following == "--" or _is_option(following):
            raise UsageError(
                f"option {name} needs a value",
                remediation=f"Write {name} VALUE, or {name}=VALUE for a value that starts with -.",
            )
        scan.given.append((option, following))
        index += 1
    return scan


def _unknown_option(name: str, options: Mapping[str, _Option], context: str) -> UsageError:
    if context:
        return UsageError(
            f"`{PROG} {context}` takes no option {name}",
            remediation=f"Write `{PROG} {context}` without options; see `{PROG} help`.",
        )
    suggestion = closest(name, [flag for flag in options if flag.startswith("--")])
    return UsageError(
        did_you_mean(f"unknown option {name}", suggestion),
        remediation=f"See `{PROG} --help` for the options.",
    )


def _unknown_word(word: str, cat: Catalogue) -> UsageError:
    if word in cat.ids:
        suggestion: str | None = f"--target {word}"
    else:
        suggestion = closest(word, WORDS)
    return UsageError(
        did_you_mean(f"unknown command {word!r}", suggestion),
        remediation="The commands are " + ", ".join(WORDS) + ".",
    )


def _check_closed_values(scan: _Scan, cat: Catalogue) -> None:
    """A flag of a closed vocabulary (a choice or a boolean) with a value outside it is a
    mistake on the command line: a usage error naming what was meant."""
    from ..settings.values import parse_bool, unknown_choice

    for option, value in scan.given:
        if not option.input or value is None:
            continue
        spec = cat.input(option.input)
        text = value.strip()
        if spec.kind is InputKind.CHOICE and spec.choices and text not in spec.choices:
            raise UsageError(
                f"{option.flag}: {unknown_choice(spec, text)}",
                remediation=f"{option.flag} takes one of: {', '.join(spec.choices)}.",
            )
        if spec.kind is InputKind.BOOL and parse_bool(text) is None:
            raise UsageError(
                f"{option.flag}: {text[:40]!r} is not a boolean",
                remediation=f"Write {option.flag} alone, or {option.flag}=true / false.",
            )


def parse_command_line(argv: Sequence[str], *, width: int = 80) -> CommandLine:
    """Read the whole command line; raise :class:`UsageError` for a mistake in it."""
    from ..settings.catalogue import catalogue

    cat = catalogue()
    options = _options(cat)
    scan = _scan(list(argv), options)
    if scan.version:
        return CommandLine(flags={}, show=f"{PROG} {__version__}\n")
    words = [COMMAND_ALIASES[w].value if w in COMMAND_ALIASES else w for w in scan.words[:1]]
    words += scan.words[1:]
    if words and words[0] == HELP_WORD:
        return CommandLine(flags={}, show=help_topic(words[1:], cat, width))
    if words and words[0] == COMPLETION_WORD:
        from .completion import completion_script  # only here: help needs none of it

        return CommandLine(flags={}, show=completion_script(words[1:], cat))
    if words and words[0] not in COMMANDS:
        raise _unknown_word(words[0], cat)
    if len(words) > 1:
        raise UsageError(
            f"unexpected argument {words[1]!r} after the command {words[0]}",
            remediation="Give one command; an option's value follows the option "
            "(--server-name NAME).",
        )
    command_word = words[0] if words else None

    flags: ParsedArgs = {spec.name: None for spec in cat.inputs}
    confirm = False
    rollback_to: str | None = None
    for option, value in scan.given:
        if option.flag == "--yes":
            confirm = True
        elif option.flag == "--json":
            flags["output-format"] = OutputFormat.JSON.value
        elif option.flag == "--to":
            rollback_to = value
        else:
            flags[option.input] = value

    if scan.help:
        target = flags["target"]
        if target:
            return CommandLine(flags={}, show=target_page(target, cat, width, command_word))
        return CommandLine(
            flags={}, show=command_help(command_word or flags["command"], cat, width)
        )
    _check_closed_values(scan, cat)

    if command_word is not None:
        if flags["command"] not in (None, command_word):
            raise UsageError(
                f"the command {command_word!r} contradicts --command {flags['command']!r}",
                remediation="Give the command once.",
            )
        flags["command"] = command_word
    if confirm:
        flags["confirm-destroy"] = "true"
    if rollback_to:
        flags["rollback-to"] = rollback_to
    return CommandLine(flags=flags)


def parse_args(argv: Sequence[str]) -> ParsedArgs:
    """The flags of a command line that runs (help and completion are usage errors here)."""
    command_line = parse_command_line(argv)
    if command_line.show:
        raise UsageError("this command line prints help instead of running")
    return command_line.flags
