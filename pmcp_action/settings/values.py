"""Turn an input's text into its typed value, or a :class:`Problem` naming its source."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem
from ..urls import endpoint_problem
from .spec import InputKind, InputSpec

__all__ = ["RawValue", "convert", "empty_value", "parse_bool", "split_list", "unknown_choice"]

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


@dataclass(frozen=True)
class RawValue:
    """A setting as text, with where it came from (for messages and the report)."""

    text: str
    source: str  # e.g. "flag --region", "input 'region'", "environment variable AWS_REGION"


def parse_bool(text: str) -> bool | None:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


def split_list(text: str) -> tuple[str, ...]:
    """Items separated by commas or newlines, trimmed, empty ones dropped."""
    return tuple(part.strip() for part in re.split(r"[,\n]", text) if part.strip())


def unknown_choice(spec: InputSpec, text: str) -> str:
    """``unknown value 'ture' — did you mean true?`` for a closed input."""
    import difflib  # only for a mistake

    close = difflib.get_close_matches(text, spec.choices, n=1, cutoff=0.6)
    said = f"unknown {spec.noun} {text[:60]!r}"
    return f"{said} — did you mean {close[0]}?" if close else said


def empty_value(spec: InputSpec) -> object:
    """The value of an input nobody gave and that has no default."""
    if spec.kind is InputKind.PATH:
        return None
    if spec.kind is InputKind.BOOL:
        return False
    if spec.kind is InputKind.INT:
        return 0
    return ""


def convert(spec: InputSpec, raw: RawValue) -> tuple[object, Problem | None]:
    """The typed value of ``raw`` for ``spec``; on a problem, the value is None."""
    text = raw.text if spec.kind is InputKind.MULTILINE else raw.text.strip()
    where = raw.source
    if spec.kind is InputKind.BOOL:
        parsed = parse_bool(text)
        if parsed is None:
            return None, Problem(where, f"{text[:40]!r} is not a boolean", "use true or false")
        return parsed, None
    if spec.kind is InputKind.INT:
        try:
            number = int(text)
        except ValueError:
            return None, Problem(where, f"{text[:40]!r} is not a whole number", "use digits only")
        if (spec.minimum is not None and number < spec.minimum) or (
            spec.maximum is not None and number > spec.maximum
        ):
            return None, Problem(
                where, f"{number} is out of range", f"use {spec.minimum} to {spec.maximum}"
            )
        return number, None
    if spec.kind is InputKind.CHOICE:
        if text not in spec.choices:
            return None, Problem(
                where,
                unknown_choice(spec, text),
                "valid values: " + ", ".join(spec.choices),
            )
        return text, None
    if spec.kind is InputKind.URL:
        problem = endpoint_problem(text, where)
        if problem is not None:
            return None, problem
        return text.rstrip("/"), None
    if spec.kind is InputKind.PATH:
        return Path(text), None
    return text, None
