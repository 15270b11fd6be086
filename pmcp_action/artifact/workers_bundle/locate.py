"""Find the bundle (either worker-build layout, or the ``artifact`` input), build it if
need be, follow its imports and check the platform's size limits."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

from ...ci.base import Platform
from ...errors import ConfigError, DeployError
from .imports import import_specifiers, is_builtin, resolve_specifier
from .model import CONTENT_TYPES, ESM, BundleModule, ModuleBundle, WorkersBundle

__all__ = ["BUILD_TIMEOUT_SECONDS", "detect_layout", "resolve_workers_bundle"]

BUILD_TIMEOUT_SECONDS = 30 * 60
_TAIL_LINES = 40
_JS_TYPES = frozenset({ESM, "application/javascript"})


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


def _display(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def detect_layout(directory: Path) -> tuple[str, Path] | None:
    """(layout, main module) of a worker-build output directory, or None.

    The current layout has ``index_bg.wasm`` beside ``index.js`` (``worker/shim.mjs``
    only re-exports it); the older one has ``worker/shim.mjs`` importing
    ``./index.wasm``.
    """
    if (directory / "index_bg.wasm").is_file() and (directory / "index.js").is_file():
        return "current", directory / "index.js"
    if (directory / "worker" / "shim.mjs").is_file():
        return "legacy", directory / "worker" / "shim.mjs"
    if (directory / "index.js").is_file():
        return "current", directory / "index.js"
    return None


def resolve_workers_bundle(
    kind: WorkersBundle,
    *,
    project_root: Path,
    artifact_input: Path | None,
    artifact_source: str,
    environ: Mapping[str, str],
    console: Platform,
    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
) -> ModuleBundle:
    """The bundle to upload; raises :class:`ConfigError` before anything is uploaded."""
    if artifact_input is not None:
        path = artifact_input if artifact_input.is_absolute() else project_root / artifact_input
        layout, main, source = _from_input(path, artifact_source, project_root)
    else:
        build_dir = project_root / kind.build_dir
        found = detect_layout(build_dir)
        if found is None:
            _build(kind, project_root, environ, console, run)
            found = detect_layout(build_dir)
            if found is None:
                raise ConfigError(
                    f"worker-build finished but {kind.build_dir}/ holds no bundle "
                    "(index.js + index_bg.wasm, or worker/shim.mjs).",
                    remediation="Check the build output above; set the `artifact` input to "
                    "the bundle directory if worker-build writes elsewhere (--out-dir).",
                )
        layout, main = found
        source = kind.build_dir
    bundle = ModuleBundle(modules=_follow(main, project_root), layout=layout, source=source)
    _check_limits(kind, bundle, console)
    return bundle


def _from_input(path: Path, where: str, project_root: Path) -> tuple[str, Path, str]:
    shown = _display(path, project_root)
    if path.is_dir():
        found = detect_layout(path)
        if found is None:
            raise ConfigError(
                f"{where}: {shown} holds no Workers bundle (index.js + index_bg.wasm from "
                "worker-build, or worker/shim.mjs).",
                remediation="Point the artifact input at worker-build's output directory "
                "(deploy/cloudflare/build) or at its main module.",
            )
        return found[0], found[1], f"{where} ({shown})"
    if path.is_file():
        if CONTENT_TYPES.get(path.suffix) not in _JS_TYPES:
            raise ConfigError(
                f"{where}: {shown} is not a JavaScript module (.js, .mjs).",
                remediation="Point the artifact input at the bundle's main module (index.js) "
                "or at its directory.",
            )
        return "file", path, f"{where} ({shown})"
    raise ConfigError(
        f"{where}: {shown} does not exist.",
        remediation="Build the bundle first (`worker-build --release` in deploy/cloudflare) or "
        "fix the path.",
    )


def _follow(main: Path, project_root: Path) -> tuple[BundleModule, ...]:
    """The main module and every module its imports reach, named from their common root."""
    main = Path(os.path.normpath(main.absolute()))
    order: list[Path] = [main]
    types: dict[Path, str] = {main: CONTENT_TYPES.get(main.suffix, ESM)}
    data: dict[Path, bytes] = {}
    index = 0
    while index < len(order):
        current = order[index]
        index += 1
        data[current] = current.read_bytes()
        if types[current] not in _JS_TYPES:
            continue
        text = data[current].decode("utf-8", "replace")
        for specifier in import_specifiers(text):
            if is_builtin(specifier):
                continue
            shown = _display(current, project_root)
            resolved = resolve_specifier(current.name, specifier)
            if resolved is None:
                raise ConfigError(
                    f"{shown} imports the package {specifier!r}, which is not a module of "
                    "the bundle: Workers resolve only relative module names.",
                    remediation="Bundle the package into the module (worker-build does this "
                    "with esbuild), then deploy again.",
                )
            target = Path(os.path.normpath(current.parent / resolved))
            if not target.is_file():
                raise ConfigError(
                    f"{shown} imports {specifier!r}, but {_display(target, project_root)} "
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
                order.append(target)
    root = Path(os.path.commonpath([str(path.parent) for path in order]))
    return tuple(
        BundleModule(path.relative_to(root).as_posix(), types[path], data[path]) for path in order
    )


def _check_limits(kind: WorkersBundle, bundle: ModuleBundle, console: Platform) -> None:
    listing = "\n".join(
        f"- {m.name}: {_mib(m.size)} ({m.size} bytes)"
        for m in sorted(bundle.modules, key=lambda m: m.size, reverse=True)[:5]
    )
    fix = (
        'Build the wasm smaller: [profile.release] opt-level = "z", lto = true, '
        "codegen-units = 1, strip = true (cargo-pmcp's adapter does), and drop unused "
        "dependencies."
    )
    if bundle.size > kind.uncompressed_limit:
        raise ConfigError(
            f"The Workers bundle is {_mib(bundle.size)} ({bundle.size} bytes) uncompressed, "
            f"above the platform's {_mib(kind.uncompressed_limit)} limit; nothing was uploaded.",
            details=f"Largest modules:\n{listing}",
            remediation=fix,
        )
    compressed = bundle.compressed_size
    if compressed > kind.compressed_limit:
        raise ConfigError(
            f"The Workers bundle is {_mib(compressed)} ({compressed} bytes) gzip-compressed, "
            f"above the Workers Paid limit of {_mib(kind.compressed_limit)}; nothing was "
            "uploaded.",
            details=f"Largest modules:\n{listing}",
            remediation=fix,
        )
    if compressed > kind.free_compressed_limit:
        console.warning(
            f"The Workers bundle is {_mib(compressed)} gzip-compressed: above the Free plan's "
            f"{_mib(kind.free_compressed_limit)} limit (accounts on Workers Paid allow "
            f"{_mib(kind.compressed_limit)}).",
            title="Workers bundle size",
        )


def _build(
    kind: WorkersBundle,
    project_root: Path,
    environ: Mapping[str, str],
    console: Platform,
    run: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    crate = project_root / kind.crate_dir
    how = (
        f"Build it with `worker-build --release` in {kind.crate_dir} (cargo install "
        "worker-build; needs the wasm32-unknown-unknown target), or set it up with `cargo "
        "pmcp deploy init --target cloudflare-workers`; or set the `artifact` input to a "
        "bundle built in an earlier step."
    )
    program = shutil.which("worker-build", path=environ.get("PATH") or os.defpath)
    if program is None or not (crate / "Cargo.toml").is_file():
        missing = (
            f"no {kind.crate_dir}/Cargo.toml" if program is not None else "no worker-build on PATH"
        )
        raise ConfigError(
            f"No Workers bundle in {kind.build_dir}/ and {missing} to build one; nothing was "
            "uploaded.",
            remediation=how,
        )
    console.info(f"No Workers bundle yet; running `worker-build --release` in {kind.crate_dir}.")
    with console.group(f"worker-build --release ({kind.crate_dir})"):
        try:
            result = run(
                [program, "--release"],
                cwd=crate,
                env=dict(environ),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=BUILD_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise DeployError(
                f"`worker-build --release` did not finish within "
                f"{BUILD_TIMEOUT_SECONDS // 60} minutes.",
                remediation=how,
            ) from exc
        except OSError as exc:
            raise ConfigError(
                f"Could not start worker-build: {exc.strerror or exc}.", remediation=how
            ) from exc
        output = (result.stdout or "") + (result.stderr or "")
        for line in output.splitlines():
            console.info(line)
    if result.returncode != 0:
        tail = "\n".join(output.splitlines()[-_TAIL_LINES:])
        raise DeployError(
            f"`worker-build --release` failed with exit code {result.returncode} in "
            f"{kind.crate_dir}.",
            details=f"Last lines of its output:\n{tail}",
            remediation="Fix the build error shown above, then deploy again.",
        )
