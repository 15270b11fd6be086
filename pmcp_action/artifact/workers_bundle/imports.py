"""Which modules an ES module imports, and where each import resolves.

Workers resolve a relative specifier against the importing module's name, so
the bundle is exactly the main module plus what its imports reach. Specifiers
are read with a few patterns (static ``import … from``, side-effect
``import "…"``, ``export … from``, and ``import("…")`` with a literal); the
runtime's own modules (``cloudflare:``, ``node:``, ``workerd:``) are not files.
"""

from __future__ import annotations

import posixpath
import re

__all__ = ["BUILTIN_PREFIXES", "import_specifiers", "is_builtin", "resolve_specifier"]

#: Modules the Workers runtime provides itself.
BUILTIN_PREFIXES = ("cloudflare:", "node:", "workerd:")

_SPEC = r"""(["'])([^"'\n\r]+)\1"""
_PATTERNS = (
    # import x from "…", import {a, b as c} from "…", import * as n from "…", import source …
    re.compile(r"(?<![\w$.])import\s*(?:source\s+|defer\s+)?[\w$*{}\s,]*?\bfrom\s*" + _SPEC),
    # export * from "…", export * as n from "…", export {a, default} from "…"
    re.compile(r"(?<![\w$.])export\s*(?:\*\s*(?:as\s+[\w$]+\s*)?|\{[^}]*\}\s*)from\s*" + _SPEC),
    # import "…" (side effects only)
    re.compile(r"(?<![\w$.])import\s*" + _SPEC),
    # import("…")
    re.compile(r"(?<![\w$.])import\s*\(\s*" + _SPEC + r"\s*\)"),
)


def import_specifiers(source: str) -> list[str]:
    """The distinct import specifiers of an ES module, in order of appearance."""
    found: list[tuple[int, str]] = []
    for pattern in _PATTERNS:
        found += [(match.start(), match.group(2)) for match in pattern.finditer(source)]
    return list(dict.fromkeys(spec for _, spec in sorted(found)))


def is_builtin(specifier: str) -> bool:
    return specifier.startswith(BUILTIN_PREFIXES)


def resolve_specifier(importer: str, specifier: str) -> str | None:
    """The module name ``specifier`` names, relative to the bundle root (POSIX).

    ``importer`` is the importing module's path relative to the root. None for
    a bare specifier (a package name), which a bundler must have resolved.
    """
    if specifier.startswith("/"):
        return posixpath.normpath(specifier.lstrip("/"))
    if specifier.startswith(("./", "../")):
        return posixpath.normpath(posixpath.join(posixpath.dirname(importer), specifier))
    return None
