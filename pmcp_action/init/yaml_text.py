"""YAML written as text, so a file keeps a stable layout and its comments, then read back.

:func:`emit` writes block mappings and sequences of strings; each scalar is plain where YAML
reads it back as the same string, else double-quoted (JSON's string syntax is YAML's). A
:class:`Literal` is written as a ``|`` block, a :class:`Noted` scalar with a comment after it.
:func:`plain` is the data a YAML parser must read back from what :func:`emit` wrote.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import TypeAlias

import yaml

__all__ = [
    "Literal",
    "Node",
    "Noted",
    "comment_lines",
    "comment_table",
    "emit",
    "plain",
    "scalar",
]


class Literal(str):
    """A string of whole lines, written as a ``|`` block."""

    __slots__ = ()


class Noted(str):
    """A scalar with a comment after it on its line."""

    __slots__ = ("note",)
    note: str

    def __new__(cls, value: str, note: str) -> Noted:
        made = super().__new__(cls, value)
        made.note = note
        return made


Node: TypeAlias = "str | bool | int | Mapping[str, Node] | Sequence[Node]"
_INDENT = "  "
#: A key written plain (``on`` included: a workflow's trigger key is written bare).
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def scalar(text: str) -> str:
    """``text`` as a YAML scalar that reads back as exactly ``text``, in a block mapping."""
    if text and text == text.strip() and "\n" not in text:
        try:
            if yaml.safe_load(f"k: {text}\n") == {"k": text}:
                return text
        except yaml.YAMLError:
            pass
    return json.dumps(text, ensure_ascii=False)


def _key(key: str) -> str:
    return key if _PLAIN_KEY.match(key) else scalar(key)


def _value(value: str | bool | int, indent: str) -> list[str]:
    """The text after ``key:`` or ``-`` for a scalar: one line, or a block's lines."""
    if isinstance(value, bool):
        return [" true" if value else " false"]
    if isinstance(value, int):
        return [f" {value}"]
    if isinstance(value, Literal):
        if not value.endswith("\n") or any(line != line.rstrip() for line in value.split("\n")):
            raise ValueError("a Literal is whole lines without trailing spaces")
        return [" |", *(f"{indent}{line}" if line else "" for line in value[:-1].split("\n"))]
    note = f" # {value.note}" if isinstance(value, Noted) else ""
    return [f" {scalar(str(value))}{note}"]


def emit(node: Mapping[str, Node], indent: str = "") -> list[str]:
    """The lines of a block mapping (nested mappings and sequences indented by two)."""
    lines: list[str] = []
    for key, value in node.items():
        head = f"{indent}{_key(key)}:"
        if isinstance(value, (str, bool, int)):
            first, *rest = _value(value, indent + _INDENT)
            lines += [head + first, *rest]
        elif isinstance(value, Mapping):
            lines += [head, *emit(value, indent + _INDENT)] if value else [f"{head} {{}}"]
        else:
            lines += [head, *_items(value, indent + _INDENT)] if value else [f"{head} []"]
    return lines


def _items(items: Sequence[Node], indent: str) -> list[str]:
    lines: list[str] = []
    for item in items:
        if isinstance(item, (str, bool, int)):
            first, *rest = _value(item, indent + _INDENT)
            lines += [f"{indent}-{first}", *rest]
        elif isinstance(item, Mapping) and item:
            nested = emit(item, indent + _INDENT)
            lines += [f"{indent}- {nested[0].lstrip()}", *nested[1:]]
        else:
            raise ValueError("a sequence holds strings and non-empty mappings only")
    return lines


def plain(node: Node) -> object:
    """What a YAML parser reads back from :func:`emit`'s lines for ``node``."""
    if isinstance(node, (bool, int)):
        return node
    if isinstance(node, str):
        return str(node)
    if isinstance(node, Mapping):
        return {key: plain(value) for key, value in node.items()}
    return [plain(item) for item in node]


def comment_lines(text: str, *, width: int = 96, hang: str = "") -> list[str]:
    """``text`` as ``#`` comment lines of at most ``width`` characters; lines after the first
    start with ``hang`` after the ``#``."""
    wrapped = textwrap.wrap(
        text,
        width - 2,
        subsequent_indent=hang,
        break_on_hyphens=False,
        break_long_words=False,
    )
    return [f"# {line}".rstrip() for line in wrapped] or ["#"]


def comment_table(rows: Sequence[tuple[str, str, str]]) -> list[str]:
    """Rows of three columns as ``#`` comment lines, the last column wrapped in its place."""
    first = max((len(row[0]) for row in rows), default=0)
    second = max((len(row[1]) for row in rows), default=0)
    lines: list[str] = []
    for kind, name, what in rows:
        lead = f"  {kind:<{first}}  {name:<{second}}  "
        lines += comment_lines(lead + what, hang=" " * len(lead))
    return lines
