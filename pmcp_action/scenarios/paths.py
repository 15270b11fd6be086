"""Paths into a step's answer, looked up as mcp-tester's executor looks them up.

A path is dotted keys, each optionally followed by one ``[index]``: ``tools[0].name``,
``parsed.items[2]``. There is no leading ``$`` and no JSONPath engine; ``jsonpath``
assertions use this same lookup.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["MISSING", "path_problem", "value_at"]

#: What a lookup finds when the path leads nowhere (``None`` is JSON null).
MISSING: Any = object()
_PART = re.compile(r"^([^\[\]]*)(?:\[(\d+)\])?$")


def path_problem(path: str) -> str:
    """Why ``path`` cannot be looked up ("" when it can)."""
    if not path:
        return "the path is empty"
    if path.startswith("$"):
        return (
            "a path has no leading '$' (write tools[0].name, not $.tools[0].name): "
            "paths are dotted keys with [index]es"
        )
    for part in path.split("."):
        if not _PART.match(part):
            return "each part of a path is a key, optionally followed by one [index]"
    return ""


def value_at(data: Any, path: str) -> Any:
    """The value at ``path`` in ``data``, or :data:`MISSING`."""
    current = data
    for part in path.split("."):
        match = _PART.match(part)
        if match is None:
            return MISSING
        key, index = match.group(1), match.group(2)
        if not isinstance(current, dict) or key not in current:
            return MISSING
        current = current[key]
        if index is not None:
            position = int(index)
            if not isinstance(current, list) or position >= len(current):
                return MISSING
            current = current[position]
    return current
