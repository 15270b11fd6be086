"""Reading an upload as the API does: the multipart parts, the bindings, every import resolved."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Any

from .state import _JS, Version


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    content_type: str
    data: bytes


def parse_multipart(content_type: str, body: bytes) -> list[Part]:
    """A strict multipart/form-data parser (binary-safe)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not content_type.startswith("multipart/form-data") or match is None:
        raise ValueError(f"expected multipart/form-data with a boundary, got {content_type!r}")
    delimiter = b"--" + match.group(1).encode()
    pieces = body.split(delimiter)
    if len(pieces) < 3 or not pieces[-1].startswith(b"--"):
        raise ValueError("the multipart body is not terminated by the closing boundary")
    parts: list[Part] = []
    for piece in pieces[1:-1]:
        if not piece.startswith(b"\r\n") or not piece.endswith(b"\r\n"):
            raise ValueError("a multipart part is not framed by CRLF")
        head, separator, data = piece[2:-2].partition(b"\r\n\r\n")
        if not separator:
            raise ValueError("a multipart part has no header block")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = re.search(r'(?:^|;)\s*name="([^"]*)"', disposition)
        filename = re.search(r'filename="([^"]*)"', disposition)
        if not disposition.startswith("form-data") or name is None:
            raise ValueError(f"a part has no form-data name: {disposition!r}")
        parts.append(
            Part(
                name=name.group(1),
                filename=filename.group(1) if filename else None,
                content_type=headers.get("content-type", "text/plain").split(";")[0].strip(),
                data=data,
            )
        )
    return parts


# --- the fake ------------------------------------------------------------------------------


def _bindings(metadata: dict[str, Any], live: Version | None) -> list[dict[str, Any]]:
    bindings = metadata.get("bindings") or []
    if not isinstance(bindings, list):
        raise ValueError("bindings must be a list")
    names: set[str] = set()
    out: list[dict[str, Any]] = []
    previous = {b["name"]: b for b in (live.bindings if live else [])}
    for binding in bindings:
        kind, name = binding.get("type"), binding.get("name")
        if not isinstance(name, str) or name in names:
            raise ValueError(f"Binding name {name!r} is missing or used twice")
        names.add(name)
        if kind in ("plain_text", "secret_text"):
            if not isinstance(binding.get("text"), str):
                raise ValueError(f"Binding {name}: text must be a string")
        elif kind == "json":
            if "json" not in binding:
                raise ValueError(f"Binding {name}: json is missing")
        elif kind == "inherit":
            if name not in previous:
                raise ValueError(f"Binding {name}: nothing to inherit (bindings_inherit=strict)")
            out.append(dict(previous[name]))
            continue
        else:
            raise ValueError(f"Binding {name}: the fake does not know the type {kind!r}")
        out.append(dict(binding))
    keep = metadata.get("keep_bindings") or []
    for name, binding in previous.items():
        if name not in names and binding.get("type") in keep:
            out.append(dict(binding))
    return out


#: The fake's own reading of import specifiers (independent of the action's).
_IMPORT = re.compile(r"""(?:\bfrom|\bimport)\s*\(?\s*["']([^"'\n]+)["']""")


def _unresolved_import(modules: dict[str, tuple[str, bytes]]) -> str:
    for name, (content_type, data) in modules.items():
        if content_type not in _JS:
            continue
        for specifier in _IMPORT.findall(data.decode("utf-8", "replace")):
            if specifier.startswith(("cloudflare:", "node:", "workerd:")):
                continue
            resolved = None
            if specifier.startswith(("./", "../")):
                resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), specifier))
            if resolved is None or resolved not in modules:
                return f"No such module {specifier!r} imported from {name!r}"
            wanted_wasm = resolved.endswith(".wasm")
            if wanted_wasm and modules[resolved][0] != "application/wasm":
                return (
                    f"{resolved!r} is imported as wasm but was uploaded as {modules[resolved][0]}"
                )
    return ""
