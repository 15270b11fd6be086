"""The help pages, derived from the catalogue: the overview, a command's options, a target's page.

Laid out for one width (``COLUMNS``, else the terminal's); an option or input name is never
broken at its hyphens.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import UsageError
from ..exit_codes import EXIT_CODES
from ..settings.spec import InputKind, InputSpec
from ..settings.vocabulary import COMMAND_SUMMARIES, COMMANDS, Command
from .words import (
    COMPLETION_WORD,
    DESCRIPTION,
    HELP_WORD,
    PROG,
    SHELLS,
    WORD_HELP,
    closest,
    did_you_mean,
)

if TYPE_CHECKING:
    from ..settings.catalogue import Catalogue
    from ..settings.declaration import TargetDeclaration

__all__ = [
    "OPTIONS_TOPIC",
    "bare_usage",
    "command_help",
    "help_topic",
    "options_page",
    "sentence",
    "target_page",
]

#: The widest option column; longer ones put their help on the next line.
_LEFT_MAX = 30


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    """Lines of at most ``width``, never breaking an option or input name at its hyphens."""
    return textwrap.wrap(
        text,
        width,
        initial_indent=indent,
        subsequent_indent=indent,
        break_on_hyphens=False,
        break_long_words=False,
    )


def sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text.endswith((".", ")", "?")) else text + "."


def _metavar(spec: InputSpec) -> str:
    if spec.kind is InputKind.BOOL:
        return "[BOOL]"
    if spec.kind is InputKind.CHOICE and len(",".join(spec.choices)) <= 24:
        return "{" + ",".join(spec.choices) + "}"
    return {
        InputKind.INT: "N",
        InputKind.PATH: "PATH",
        InputKind.URL: "URL",
        InputKind.MULTILINE: "TEXT",
        InputKind.CHOICE: spec.name.upper().replace("-", "_"),
    }.get(spec.kind, "VALUE")


def _input_help(spec: InputSpec, description: str, default: str, then: Sequence[str] = ()) -> str:
    parts = [sentence(description)]
    if spec.kind is InputKind.CHOICE and not _metavar(spec).startswith("{"):
        if not all(choice in description for choice in spec.choices):
            parts.append(f"[possible values: {', '.join(spec.choices)}]")
    if default:
        parts.append(f"[default: {default}]")
    if spec.env:
        parts.append(f"[env: {', '.join(spec.env)}]")
    if then:
        parts.append(f"[then: {', '.join(then)}]")
    if spec.secret:
        parts.append("[secret]")
    return " ".join(parts)


def _common_row(spec: InputSpec) -> tuple[str, str]:
    return (
        f"{spec.flag} {_metavar(spec)}",
        _input_help(spec, spec.description, spec.default),
    )


def _target_row(declaration: TargetDeclaration, spec: InputSpec) -> tuple[str, str]:
    return (
        f"{spec.flag} {_metavar(spec)}",
        _input_help(
            spec,
            declaration.describe(spec),
            declaration.default_of(spec),
            declaration.fallback_lookups(spec),
        ),
    )


_OWN_OPTIONS: tuple[tuple[str, str], ...] = (
    ("-h, --help", "Show this help; with --target TARGET, that target's page."),
    ("--version", "Print the version and exit."),
    ("--json", "Same as --output-format json: one JSON object of every output."),
    ("--yes", "Same as --confirm-destroy true."),
    ("--to VERSION", "Same as --rollback-to VERSION."),
)

#: The common inputs a short help shows (every one is in ``help options``).
_KEY_INPUTS = ("target", "working-directory", "server-name", "region", "auth", "verify")
#: The topic that lists every option.
OPTIONS_TOPIC = "options"


@dataclass(frozen=True)
class _Section:
    title: str
    rows: Sequence[tuple[str, str]]
    #: Sections of one group share their first column's width.
    group: str


class _Page:
    """A help page: text paragraphs and two-column sections, laid out for one width."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.blocks: list[str | _Section] = []

    def text(self, text: str) -> None:
        self.blocks.append(text)

    def paragraph(self, text: str, *, title: str = "", indent: str = "") -> None:
        lines = [f"{title}:"] if title else []
        self.text("\n".join(lines + _wrap(text, self.width, indent)))

    def section(self, title: str, rows: Sequence[tuple[str, str]], group: str = "") -> None:
        if rows:
            self.blocks.append(_Section(title, rows, group or title))

    def render(self) -> str:
        widths: dict[str, int] = {}
        for block in self.blocks:
            if isinstance(block, _Section):
                longest = max(len(left) for left, _ in block.rows)
                widths[block.group] = min(max(widths.get(block.group, 0), longest), _LEFT_MAX)
        out: list[str] = []
        for block in self.blocks:
            if isinstance(block, str):
                out.append(block)
                continue
            left_width = widths[block.group]
            column = 2 + left_width + 2
            lines = [f"{block.title}:"]
            for left, help_text in block.rows:
                wrapped = _wrap(help_text, max(20, self.width - column)) or [""]
                if len(left) > left_width:
                    lines.append(f"  {left}")
                else:
                    lines.append(f"  {left.ljust(left_width)}  {wrapped.pop(0)}".rstrip())
                lines += [" " * column + line for line in wrapped]
            out.append("\n".join(lines))
        return "\n\n".join(out) + "\n"


def _usage() -> str:
    pad = " " * len("usage: ")
    return (
        f"usage: {PROG} [COMMAND] [options]\n"
        f"{pad}{PROG} {HELP_WORD} [TARGET|{OPTIONS_TOPIC}]\n"
        f"{pad}{PROG} {COMPLETION_WORD} {{{','.join(SHELLS)}}}"
    )


def _command_rows() -> list[tuple[str, str]]:
    rows = [(name, summary) for name, summary in COMMAND_SUMMARIES.items()]
    return rows + [(word, WORD_HELP[word]) for word in (HELP_WORD, COMPLETION_WORD)]


def _target_rows(cat: Catalogue) -> list[tuple[str, str]]:
    return [(t.id, f"{t.title} — {sentence(t.summary)}") for t in cat.targets]


def _option_sections(page: _Page, cat: Catalogue) -> None:
    common = [*_OWN_OPTIONS, *(_common_row(spec) for spec in cat.common_inputs)]
    page.section("options", common, group="options")
    for declaration in cat.targets:
        specs = [cat.input(spec.name) for spec in declaration.inputs]
        rows = [_target_row(declaration, spec) for spec in specs]
        page.section(f"{declaration.id} options", rows, group="options")


def _exit_code_section(page: _Page) -> None:
    page.section("exit codes", [(str(entry.code), entry.meaning) for entry in EXIT_CODES])


_MORE = (
    f"`{PROG} {HELP_WORD} TARGET` shows one target's inputs, outputs, credentials and an "
    f"example; `{PROG} {HELP_WORD} {OPTIONS_TOPIC}` lists every option, each target's and the "
    "exit codes."
)


def _first_sentence(text: str) -> str:
    head, dot, _ = text.partition(". ")
    return sentence(head + dot.strip())


def _key_option_rows(cat: Catalogue) -> list[tuple[str, str]]:
    """The options one needs first, each with its first sentence (the rest: help options)."""
    rows = []
    for name in _KEY_INPUTS:
        spec = cat.input(name)
        rows.append((f"{spec.flag} {_metavar(spec)}", _first_sentence(spec.description)))
    return [*rows, *_OWN_OPTIONS]


def _overview(cat: Catalogue, width: int, command: str | None = None) -> str:
    """The short help (one screen): what to type, the commands, the targets, the options one
    needs first, and where the rest is."""
    page = _Page(width)
    if command is not None and command in COMMANDS:
        page.text(f"usage: {PROG} {command} [options]")
        page.paragraph(COMMAND_SUMMARIES[Command(command)])
    else:
        page.text(_usage())
        page.paragraph(_first_sentence(DESCRIPTION))
        page.section("commands", _command_rows())
        page.section("targets", [(t.id, t.title) for t in cat.targets])
    page.section("main options", _key_option_rows(cat))
    page.paragraph(_MORE)
    return page.render()


def bare_usage() -> str:
    """What a person who typed only the program's name sees (exit 2): nothing is deployed."""
    return (
        f"usage: {PROG} [COMMAND] [options]\n\n"
        f"{_first_sentence(DESCRIPTION)}\n\n"
        f"  {PROG} plan --target TARGET     what a deploy of this directory would change\n"
        f"  {PROG} deploy --target TARGET   deploy it and prove it works over MCP\n"
        f"  {PROG} --help                   the commands, targets and main options\n\n"
        "In CI the action's entrypoint deploys; here a bare command does nothing.\n"
    )


def command_help(command: str | None, cat: Catalogue, width: int) -> str:
    """``--help`` and ``COMMAND --help``: the short help."""
    return _overview(cat, width, command)


def options_page(cat: Catalogue, width: int) -> str:
    """``help options``: every option, the common ones then each target's, and the exit codes."""
    page = _Page(width)
    page.text(_usage())
    page.paragraph(DESCRIPTION)
    _option_sections(page, cat)
    _exit_code_section(page)
    page.paragraph(
        f"`{PROG} {HELP_WORD} TARGET` shows one target's inputs, outputs, credentials and an "
        "example."
    )
    return page.render()


def target_page(target: str, cat: Catalogue, width: int, command: str | None = None) -> str:
    declaration = cat.target(target)
    if declaration is None:
        raise UsageError(
            did_you_mean(f"unknown target {target!r}", closest(target, cat.ids)),
            remediation="The targets are " + ", ".join(cat.ids) + ".",
        )
    page = _Page(width)
    page.text(f"{declaration.id} — {declaration.title}")
    page.paragraph(sentence(declaration.summary))
    if not declaration.available:
        return page.render()
    page.text(f"usage: {PROG} {command or '[COMMAND]'} --target {declaration.id} [options]")
    page.section(
        "inputs",
        [_target_row(declaration, spec) for spec in cat.target_inputs(declaration.id)],
    )
    page.section(
        "outputs", [(output.name, sentence(output.description)) for output in declaration.outputs]
    )
    common = [output.name for output in cat.outputs if not cat.output_owners.get(output.name)]
    page.paragraph(
        "Besides the outputs of every target: " + ", ".join(common) + ". The common inputs: "
        f"`{PROG} {HELP_WORD} {OPTIONS_TOPIC}`."
    )
    if declaration.credentials:
        page.paragraph(declaration.credentials, title="credentials", indent="  ")
    if declaration.terminal:
        page.paragraph(sentence(declaration.terminal), title="at a terminal", indent="  ")
    if declaration.example:
        example = textwrap.indent(declaration.example, "  ")
        page.text(f"example (the with: of a GitHub Actions step):\n{example}")
    return page.render()


def help_topic(topic: Sequence[str], cat: Catalogue, width: int) -> str:
    if not topic:
        return _overview(cat, width)
    if len(topic) > 1:
        raise UsageError(
            f"{HELP_WORD} takes one topic, got {' '.join(topic)!r}",
            remediation=f"Write `{PROG} {HELP_WORD} TARGET` or `{PROG} COMMAND --help`.",
        )
    word = topic[0]
    if word == OPTIONS_TOPIC:
        return options_page(cat, width)
    if word in COMMAND_SUMMARIES:
        return command_help(word, cat, width)
    if word in cat.ids:
        return target_page(word, cat, width)
    raise UsageError(
        did_you_mean(
            f"unknown help topic {word!r}", closest(word, (*cat.ids, *COMMANDS, OPTIONS_TOPIC))
        ),
        remediation="The topics are the targets ("
        + ", ".join(cat.ids)
        + "), the commands ("
        + ", ".join(COMMANDS)
        + f") and {OPTIONS_TOPIC}.",
    )
