"""Reading the bundle: the main module and every module its imports reach, each read as
strictly as any artifact (a regular file, within the workspace's links, sized before it
is read, in chunks within the run's deadline)."""

from __future__ import annotations

import os
from pathlib import Path

from ...deadline import Deadline
from ...errors import ConfigError
from ..common import display
from ..files import read_all, regular_size
from ..workspace import Bounds, check_links
from .imports import import_specifiers, is_builtin, resolve_specifier
from .limits import Limits, check_module_size, check_running_size
from .model import CONTENT_TYPES, ESM, JS_TYPES, BundleModule

__all__ = ["read_modules"]


def read_modules(
    main: Path,
    project_root: Path,
    *,
    limits: Limits,
    bounds: Bounds,
    deadline: Deadline | None,
) -> tuple[BundleModule, ...]:
    """The main module and every module its imports reach, named from their common root.

    Before a module is read, a link of the project's that leads out of ``bounds``, a
    device, FIFO or socket, and a size above the uncompressed limit (the module's own,
    or the modules' so far) are refused, naming it.
    """
    main = Path(os.path.normpath(main.absolute()))
    # worker-build's shim lives in build/worker/ and imports ../index.js: the bundle's
    # directory is build/ then; otherwise the main module's own directory.
    home = main.parent.parent if main.parent.name == "worker" else main.parent
    order: list[Path] = [main]
    types: dict[Path, str] = {main: CONTENT_TYPES.get(main.suffix, ESM)}
    labels: dict[Path, str] = {main: f"The Workers main module {display(main, project_root)}"}
    sizes: list[tuple[str, int]] = []
    data: dict[Path, bytes] = {}
    index = 0
    while index < len(order):
        current = order[index]
        index += 1
        shown = display(current, project_root)
        label = labels[current]
        check_links(current, label, bounds)
        size = regular_size(current, label)
        check_module_size(size, label, limits)
        sizes.append((shown, size))
        check_running_size(sizes, limits)
        data[current] = read_all(current, label, deadline)
        if types[current] not in JS_TYPES:
            continue
        text = data[current].decode("utf-8", "replace")
        for specifier in import_specifiers(text):
            if is_builtin(specifier):
                continue
            resolved = resolve_specifier(current.name, specifier)
            if resolved is None:
                raise ConfigError(
                    f"{shown} imports the package {specifier!r}, which is not a module of "
                    "the bundle: Workers resolve only relative module names.",
                    remediation="Bundle the package into the module (worker-build does this "
                    "with esbuild), then deploy again.",
                )
            target = Path(os.path.normpath(current.parent / resolved))
            if os.path.commonpath([str(target), str(home)]) != str(home):
                raise ConfigError(
                    f"{shown} imports {specifier!r}, which leads to {display(target, project_root)}"
                    f", outside the bundle's directory {display(home, project_root)}; it was not "
                    "read.",
                    remediation="A Workers bundle uploads only its own modules: keep every "
                    "imported module inside the build output (worker-build puts them there).",
                )
            if not target.exists():
                raise ConfigError(
                    f"{shown} imports {specifier!r}, but {display(target, project_root)} "
                    "does not exist; the bundle is incomplete.",
                    remediation="Rebuild it (`worker-build --release` in deploy/cloudflare) "
                    "and upload the whole output directory, not single files.",
                )
            content_type = CONTENT_TYPES.get(target.suffix)
            if content_type is None:
                raise ConfigError(
                    f"{shown} imports {specifier!r}, a file type Workers cannot import "
                    f"({target.suffix or 'no extension'}).",
                    remediation="Import only .js/.mjs, .wasm, .txt/.html or .bin modules.",
                )
            if target not in types:
                types[target] = content_type
                labels[target] = f"The module {display(target, project_root)} (imported by {shown})"
                order.append(target)
    root = Path(os.path.commonpath([str(path.parent) for path in order]))
    return tuple(
        BundleModule(path.relative_to(root).as_posix(), types[path], data[path]) for path in order
    )
