"""The ``text/event-stream`` parser: the data of each server-sent event."""

from __future__ import annotations

from collections.abc import Iterator

__all__ = ["iter_sse_data"]


def iter_sse_data(lines: Iterator[str]) -> Iterator[str]:
    """The ``data`` of each server-sent event (lines joined by newlines)."""
    data: list[str] = []
    for line in lines:
        if line == "":
            if any(data):  # an empty data field (a priming event) dispatches nothing
                yield "\n".join(data)
            data = []
            continue
        if line.startswith(":"):
            continue  # a comment / keep-alive
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "data":
            data.append(value)
    if any(data):
        yield "\n".join(data)
