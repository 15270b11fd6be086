"""Find, check and package the Lambda ``bootstrap`` that pmcp.run and AWS Lambda run.

Where the artifact comes from, first match wins:

1. the ``artifact`` input: a deployment zip (recognised by its magic bytes), a
   directory holding ``bootstrap``, or the binary itself;
2. cargo-lambda's output, ``<target>/lambda/<bin>/bootstrap``, under the Cargo
   target directory (resolved like cargo-pmcp's ``builder.rs``);
3. ``cargo lambda build --release --arm64`` in the Lambda wrapper crate, when
   cargo-lambda is installed.

Packaging follows cargo-pmcp ``deployment/builder.rs`` (reference §3.1.2): a
deployment zip holds ``bootstrap`` (0755), an optional ``config.toml`` and the
``[assets]`` files under ``assets/``. The zip is byte-for-byte reproducible:
sorted entries, fixed timestamps and modes, a fixed compression level.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
import tomllib
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal

from .ci.base import Platform
from .deploy_config import AssetsConfig, DeployConfig
from .errors import ConfigError, DeployError

__all__ = [
    "BUILD_TIMEOUT_SECONDS",
    "LAMBDA_DIRECT_UPLOAD_LIMIT",
    "LAMBDA_UNZIPPED_LIMIT",
    "Artifact",
    "build_deployment_zip",
    "collect_assets",
    "resolve_artifact",
    "sha256_file",
]

MIB = 1024 * 1024
#: Above this a zip cannot be sent inline to Lambda; targets upload it through S3.
LAMBDA_DIRECT_UPLOAD_LIMIT = 50 * MIB
#: Lambda's hard limit on the unzipped size of a function package.
LAMBDA_UNZIPPED_LIMIT = 250 * MIB
#: How long ``cargo lambda build`` may run.
BUILD_TIMEOUT_SECONDS = 30 * 60

BOOTSTRAP = "bootstrap"
ZIP_NAME = "deployment.zip"
BUILD_LOG_NAME = "cargo-lambda-build.log"
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
ZIP_COMPRESSLEVEL = 6
_ZIP_UNIX = 3
_CHUNK = MIB
_HEAD_BYTES = 4096
_TAIL_LINES = 40
_WORKSPACE_SEARCH_DIRS = 5
_LISTING_LIMIT = 20

Architecture = Literal["arm64", "x86_64"]
Packaging = Literal["zip", "auto"]

_EM_BY_ARCH: Mapping[str, int] = {"arm64": 183, "x86_64": 62}
_ELF_MACHINE_NAMES: Mapping[int, str] = {
    3: "x86 (32-bit)",
    8: "MIPS",
    20: "PowerPC",
    21: "PowerPC 64",
    22: "s390",
    40: "ARM (32-bit)",
    62: "x86_64",
    183: "arm64 (aarch64)",
    243: "RISC-V",
}
_CARGO_LAMBDA_FLAG: Mapping[str, str] = {"arm64": "--arm64", "x86_64": "--x86-64"}
#: cargo-pmcp sets these for every Lambda build (builder.rs): they make
#: aws-lc-sys cross-compile under Zig.
_BUILD_ENV: Mapping[str, str] = {
    "AWS_LC_SYS_CMAKE_BUILDER": "1",
    "AWS_LC_SYS_NO_JITTER_ENTROPY": "1",
}
_FOREIGN_FORMATS: Sequence[tuple[bytes, str]] = (
    (b"\xcf\xfa\xed\xfe", "macOS (Mach-O) executable"),
    (b"\xce\xfa\xed\xfe", "macOS (Mach-O) executable"),
    (b"\xfe\xed\xfa\xcf", "macOS (Mach-O) executable"),
    (b"\xfe\xed\xfa\xce", "macOS (Mach-O) executable"),
    (b"\xca\xfe\xba\xbe", "macOS universal (Mach-O) binary"),
    (b"MZ", "Windows (PE) executable"),
    (b"\x1f\x8b", "gzip archive"),
    (b"PK", "zip archive"),
)
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_WORKSPACE_HEADER = re.compile(r"^[ \t]*\[workspace(?:\.[A-Za-z0-9_.-]+)?\][ \t]*(?:#.*)?$", re.M)
_TOKEN_SECRET_LINE = re.compile(r"^(\s*)token_secret\s*=")


@dataclass(frozen=True)
class Artifact:
    """The file a target uploads, and where it came from."""

    path: Path
    kind: str
    content_type: str
    sha256: str
    size: int
    source: str
    bootstrap_sha256: str


@dataclass(frozen=True)
class _Found:
    """A located bootstrap binary or deployment zip."""

    path: Path
    is_zip: bool
    source: str


@dataclass(frozen=True)
class _TargetDir:
    path: Path
    reason: str


@dataclass(frozen=True)
class _Entry:
    """One file of a deployment zip: bytes on disk (``path``) or in memory (``data``)."""

    arcname: str
    mode: int
    size: int
    path: Path | None = None
    data: bytes | None = None


@dataclass(frozen=True)
class _Extras:
    """What goes into the zip besides ``bootstrap``."""

    assets: tuple[tuple[Path, str], ...]
    config_toml: Path | None
    config_driven: bool

    @property
    def needed(self) -> bool:
        return bool(self.assets) or self.config_toml is not None


# --- public helpers ---------------------------------------------------------------


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def build_deployment_zip(
    bootstrap: Path,
    dest: Path,
    *,
    assets: Sequence[tuple[Path, str]],
    extra_root_files: Sequence[tuple[Path, str]] = (),
) -> None:
    """Write a reproducible Lambda zip: ``bootstrap`` (0755) plus files (0644).

    ``assets`` and ``extra_root_files`` are ``(file, name in the zip)`` pairs;
    the same inputs always give the same bytes, whatever the files' mtimes or
    modes on disk.
    """
    entries = [_file_entry(bootstrap, BOOTSTRAP, 0o755)]
    entries += [_file_entry(path, arcname, 0o644) for path, arcname in extra_root_files]
    entries += [_file_entry(path, arcname, 0o644) for path, arcname in assets]
    _write_zip(dest, entries)


def collect_assets(
    project_root: Path, assets: AssetsConfig, *, console: Platform | None = None
) -> list[tuple[Path, str]]:
    """The files ``[assets]`` selects, as ``(file, "assets/<relpath>")`` sorted by name.

    Patterns are relative to ``base_dir`` (or the project root); ``*`` and ``?``
    stay within a path segment, ``**`` spans any number of directories (a
    trailing ``**`` takes every file below). Excludes are matched against the
    path relative to ``base_dir`` and to the project root. Anything that
    resolves outside the project root is refused.
    """
    if not assets.include:
        return []
    root_real = os.path.realpath(project_root)
    base = _asset_base(project_root, assets.base_dir, root_real)
    includes = [_pattern_parts(p, "include", project_root) for p in assets.include]
    excludes = [_pattern_parts(p, "exclude", project_root) for p in assets.exclude]
    if not base.is_dir():
        _warn(
            console,
            f"[assets].base_dir {assets.base_dir!r} is not a directory ({base}); no assets.",
        )
        return []
    base_rel = Path(os.path.relpath(base, project_root)).parts if base != project_root else ()

    selected: dict[str, Path] = {}
    matched = [0] * len(includes)
    excluded = [0] * len(includes)
    for rel, path in _walk(base, root_real, includes):
        hits = [i for i, pattern in enumerate(includes) if _match(pattern, rel)]
        if not hits:
            continue
        if any(_match(ex, rel) or _match(ex, (*base_rel, *rel)) for ex in excludes):
            for i in hits:
                excluded[i] += 1
            continue
        _ensure_inside(path, root_real, "/".join(rel))
        for i in hits:
            matched[i] += 1
        selected["assets/" + "/".join(rel)] = path
    for i, pattern in enumerate(assets.include):
        if not matched[i]:
            _warn(console, _unmatched_message(pattern, base, excluded[i]))
    return [(path, arcname) for arcname, path in sorted(selected.items())]


def resolve_artifact(
    *,
    project_root: Path,
    artifact_input: Path | None,
    config: DeployConfig,
    work_dir: Path,
    packaging: Packaging,
    architecture: Architecture = "arm64",
    environ: Mapping[str, str],
    console: Platform,
    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
    which: Callable[[str], str | None] = shutil.which,
    server_name: str | None = None,
) -> Artifact:
    """Find (or build) the bootstrap, check it, and package it for Lambda.

    ``packaging="zip"`` always yields a zip (aws-lambda); ``"auto"`` yields the raw
    binary unless assets or a ``config.toml`` need a deployment zip (pmcp-run,
    like cargo-pmcp). ``server_name`` defaults to ``[server].name``.
    """
    if packaging not in ("zip", "auto"):
        raise ValueError(f"packaging must be 'zip' or 'auto', not {packaging!r}")
    _check_architecture(architecture)
    name = config.server.name if server_name is None else server_name
    found = _locate(
        project_root=project_root,
        artifact_input=artifact_input,
        preferred=_preferred_output_names(config.server.binary, name),
        server_name=name,
        work_dir=work_dir,
        architecture=architecture,
        environ=environ,
        console=console,
        run=run,
        which=which,
    )
    if found.is_zip:
        return _use_zip(found, project_root, config, architecture, console)

    bootstrap_sha = _check_bootstrap_file(found.path, found.source, architecture, console)
    extras = _extras(project_root, config, work_dir, console)
    if packaging == "auto" and not extras.needed:
        size = found.path.stat().st_size
        _check_unzipped_size([(BOOTSTRAP, size)])
        console.info(f"Artifact: raw bootstrap {_mib(size)} from {found.source}")
        return Artifact(
            path=found.path,
            kind="bootstrap",
            content_type="application/octet-stream",
            sha256=bootstrap_sha,
            size=size,
            source=found.source,
            bootstrap_sha256=bootstrap_sha,
        )
    return _package(found, extras, work_dir, bootstrap_sha, console)


# --- locating the artifact ------------------------------------------------------------


def _locate(
    *,
    project_root: Path,
    artifact_input: Path | None,
    preferred: Sequence[str],
    server_name: str,
    work_dir: Path,
    architecture: Architecture,
    environ: Mapping[str, str],
    console: Platform,
    run: Callable[..., subprocess.CompletedProcess[str]],
    which: Callable[[str], str | None],
) -> _Found:
    if artifact_input is not None:
        return _from_input(project_root, artifact_input, preferred, console)

    target = _resolve_target_dir(project_root, environ, project_root)
    console.debug(f"Cargo target directory: {target.path} ({target.reason})")
    output = _find_lambda_output(target.path / "lambda", preferred, project_root)
    if output is not None:
        return _Found(output, False, f"cargo-lambda output {_display(output, project_root)}")

    cargo_lambda = which("cargo-lambda")
    if cargo_lambda is None:
        raise _no_artifact_error(target, project_root, architecture)
    package_dir = _lambda_package_dir(project_root, server_name)
    cargo = which("cargo")
    argv = [cargo, "lambda"] if cargo else [cargo_lambda, "lambda"]
    argv += ["build", "--release", _CARGO_LAMBDA_FLAG[architecture]]
    _run_build(
        argv=argv,
        cwd=package_dir,
        env=_build_env(environ, architecture),
        log_path=work_dir / BUILD_LOG_NAME,
        console=console,
        run=run,
    )
    searched: list[Path] = []
    for candidate in (_resolve_target_dir(package_dir, environ, project_root), target):
        lambda_dir = candidate.path / "lambda"
        if lambda_dir in searched:
            continue
        searched.append(lambda_dir)
        output = _find_lambda_output(lambda_dir, preferred, project_root)
        if output is not None:
            shown = _display(output, project_root)
            return _Found(output, False, f"cargo lambda build (output {shown})")
    raise DeployError(
        f"`cargo lambda build` finished in {package_dir} but no bootstrap appeared under "
        + " or ".join(f"{d}/*/bootstrap" for d in searched)
        + ".",
        remediation=(
            "cargo-lambda names its output after the binary: give the wrapper crate a "
            '`[[bin]] name = "bootstrap"`. If the build writes to another target directory '
            "(CARGO_TARGET_DIR, [build].target-dir), set that variable for this step too, "
            "or build in an earlier step and set the `artifact` input."
        ),
    )


def _from_input(
    project_root: Path, artifact_input: Path, preferred: Sequence[str], console: Platform
) -> _Found:
    path = artifact_input if artifact_input.is_absolute() else project_root / artifact_input
    shown = _display(path, project_root)
    if not path.exists():
        raise ConfigError(
            f"The `artifact` input points at {shown}, which does not exist (resolved to {path}).",
            remediation=(
                "Set `artifact` to the bootstrap binary, a directory containing `bootstrap`, or "
                f"a deployment zip, relative to the project root {project_root} or absolute. "
                "Check that the build step before this one wrote it there."
            ),
        )
    if path.is_dir():
        found = _bootstrap_in_dir(path, preferred, project_root)
        console.info(f"Using {_display(found, project_root)} from the `artifact` directory.")
        return _Found(found, False, f"artifact input {_display(found, project_root)}")
    return _Found(path, _is_zip(path), f"artifact input {shown}")


def _bootstrap_in_dir(directory: Path, preferred: Sequence[str], project_root: Path) -> Path:
    direct = directory / BOOTSTRAP
    if direct.is_file():
        return direct
    nested = _find_lambda_output(directory, preferred, project_root)
    if nested is not None:
        return nested
    listing = _listing(directory)
    zips = [name for name in listing if name.endswith(".zip")]
    hint = f" To deploy a zip, point `artifact` at it (e.g. {directory / zips[0]})." if zips else ""
    raise ConfigError(
        f"The `artifact` directory {_display(directory, project_root)} has no `bootstrap` file "
        f"(nor a `<name>/bootstrap` below it). It contains: {_join_listing(listing)}.",
        remediation=(
            "Point `artifact` at the directory cargo-lambda wrote (target/lambda/bootstrap), at "
            f"the binary itself, or at a deployment zip.{hint}"
        ),
    )


def _resolve_target_dir(start: Path, environ: Mapping[str, str], project_root: Path) -> _TargetDir:
    """Cargo's target directory as cargo-pmcp resolves it, plus ``[build].target-dir``."""
    for variable in ("CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR"):
        value = environ.get(variable, "")
        if value:
            return _TargetDir(_absolute(Path(value), start), variable)
    configured = _configured_target_dir(start)
    if configured is not None:
        return configured
    directory = start
    for _ in range(_WORKSPACE_SEARCH_DIRS):
        manifest = directory / "Cargo.toml"
        if _is_workspace_manifest(manifest):
            shown = _display(manifest, project_root)
            return _TargetDir(directory / "target", f"the workspace root: {shown} has [workspace]")
        if directory.parent == directory:
            break
        directory = directory.parent
    return _TargetDir(start / "target", "the project root: no Cargo workspace above it")


def _configured_target_dir(start: Path) -> _TargetDir | None:
    """``[build].target-dir`` from the nearest ``.cargo/config.toml`` at or above ``start``."""
    for directory in (start, *start.parents):
        for name in ("config.toml", "config"):
            config_file = directory / ".cargo" / name
            if not config_file.is_file():
                continue
            try:
                data = tomllib.loads(config_file.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            build = data.get("build")
            value = build.get("target-dir") if isinstance(build, dict) else None
            if isinstance(value, str) and value:
                return _TargetDir(
                    _absolute(Path(value), directory), f"[build].target-dir in {config_file}"
                )
    return None


def _is_workspace_manifest(manifest: Path) -> bool:
    try:
        return bool(_WORKSPACE_HEADER.search(manifest.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError):
        return False


def _preferred_output_names(binary: str, server_name: str) -> tuple[str, ...]:
    names = [BOOTSTRAP, binary, server_name, f"{server_name}-lambda" if server_name else ""]
    return tuple(dict.fromkeys(n for n in names if n))


def _find_lambda_output(
    lambda_dir: Path, preferred: Sequence[str], project_root: Path
) -> Path | None:
    """``<lambda_dir>/<bin>/bootstrap``: the preferred bin names first, else the only one."""
    if not lambda_dir.is_dir():
        return None
    outputs = {
        child.name: child / BOOTSTRAP
        for child in sorted(lambda_dir.iterdir())
        if child.is_dir() and (child / BOOTSTRAP).is_file()
    }
    for name in preferred:
        if name in outputs:
            return outputs[name]
    if len(outputs) <= 1:
        return next(iter(outputs.values()), None)
    shown = ", ".join(_display(p, project_root) for p in outputs.values())
    example = _display(next(iter(outputs.values())), project_root)
    raise ConfigError(
        f"Several cargo-lambda outputs exist under {_display(lambda_dir, project_root)} and none "
        f"is named {', '.join(n + '/' for n in preferred)}: {shown}.",
        remediation=(
            f"Set the `artifact` input to the one to deploy (e.g. `artifact: {example}`), set "
            "[server].binary in .pmcp/deploy.toml to its directory name, or delete the stale "
            "outputs (target/lambda) before building."
        ),
    )


def _no_artifact_error(target: _TargetDir, project_root: Path, architecture: str) -> ConfigError:
    lambda_dir = target.path / "lambda"
    zips = sorted(lambda_dir.glob("*/bootstrap.zip")) if lambda_dir.is_dir() else []
    zip_hint = (
        f" Found {_display(zips[0], project_root)}: cargo-lambda wrote a zip "
        "(--output-format zip); set `artifact` to it, or build the default binary format."
        if zips
        else ""
    )
    return ConfigError(
        "No Lambda artifact found. Searched: the `artifact` input (not set); "
        f"{_display(lambda_dir / BOOTSTRAP / BOOTSTRAP, project_root)} and "
        f"{_display(lambda_dir, project_root)}/*/bootstrap (target directory from "
        f"{target.reason}); and `cargo-lambda` is not on PATH to build one.{zip_hint}",
        remediation=(
            "Build the binary in an earlier step with "
            f"`cargo lambda build --release {_CARGO_LAMBDA_FLAG[architecture]}` (install with "
            "`pip install cargo-lambda`), then either leave `artifact` unset (the output under "
            "target/lambda/ is picked up) or set `artifact` to the bootstrap binary, its "
            "directory, or a deployment zip."
        ),
    )


# --- building with cargo-lambda ------------------------------------------------------


def _lambda_package_dir(project_root: Path, server_name: str) -> Path:
    """``<root>/<name>-lambda`` (cargo-pmcp's wrapper crate), else the only ``*-lambda``
    crate with a ``bootstrap`` bin, else the project root."""
    if server_name:
        preferred = project_root / f"{server_name}-lambda"
        if (preferred / "Cargo.toml").is_file():
            return preferred
    wrappers = [
        manifest.parent
        for manifest in sorted(project_root.glob("*-lambda/Cargo.toml"))
        if _declares_bootstrap_bin(manifest)
    ]
    return wrappers[0] if len(wrappers) == 1 else project_root


def _declares_bootstrap_bin(manifest: Path) -> bool:
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    bins = data.get("bin", [])
    return isinstance(bins, list) and any(
        isinstance(b, dict) and b.get("name") == BOOTSTRAP for b in bins
    )


def _build_env(environ: Mapping[str, str], architecture: str) -> dict[str, str]:
    env = dict(environ)
    env.update(_BUILD_ENV)
    if architecture == "arm64":
        for key, value in _zigcc_env(environ).items():
            env.setdefault(key, value)
    return env


def _zigcc_env(environ: Mapping[str, str]) -> dict[str, str]:
    """cargo-zigbuild's aarch64 ``zigcc`` wrapper, as cargo-pmcp passes it to ``cc``."""
    cache = environ.get("XDG_CACHE_HOME") or (
        str(Path(environ["HOME"]) / ".cache") if environ.get("HOME") else ""
    )
    base = Path(cache) / "cargo-zigbuild" if cache else None
    if base is None or not base.is_dir():
        return {}
    versions = sorted((d for d in base.iterdir() if d.is_dir()), key=lambda d: _version_key(d.name))
    if not versions:
        return {}
    latest = versions[-1]
    env: dict[str, str] = {}
    for script in sorted(latest.glob("zigcc-aarch64-unknown-linux-gnu-*.sh")):
        env["CC_aarch64_unknown_linux_gnu"] = str(script)
    if (latest / "ar").exists():
        env["AR_aarch64_unknown_linux_gnu"] = str(latest / "ar")
    return env


def _version_key(name: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in re.split(r"[.\-]", name))


def _run_build(
    *,
    argv: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    log_path: Path,
    console: Platform,
    run: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    """Run ``cargo lambda build``, stream its output to the console, fail with its tail."""
    command = " ".join(["cargo", *argv[1:]])
    log_path.parent.mkdir(parents=True, exist_ok=True)
    console.info(f"No Lambda artifact yet; running `{command}` in {cwd}.")
    with console.group(f"{command} ({cwd.name})"):
        with log_path.open("wb") as log, _streamed(log_path, console.info):
            try:
                result = run(
                    list(argv),
                    cwd=cwd,
                    env=dict(env),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    text=True,
                    timeout=BUILD_TIMEOUT_SECONDS,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                result = None
            except OSError as exc:
                raise ConfigError(
                    f"Could not start `{command}`: {exc.strerror or exc}.",
                    remediation="Install Rust and cargo-lambda in the image, or build in an "
                    "earlier step and set the `artifact` input.",
                ) from exc
    if result is None:
        raise DeployError(
            f"`{command}` did not finish within {BUILD_TIMEOUT_SECONDS // 60} minutes in {cwd}.",
            details=_tail_text(log_path),
            remediation="Build in an earlier step (with a Rust cache) and set the `artifact` "
            "input, so the deploy step does not compile.",
        )
    if result.returncode != 0:
        raise DeployError(
            f"`{command}` failed with exit code {result.returncode} in {cwd}.",
            details=_tail_text(log_path),
            remediation=(
                "Fix the build error (the full output is in the log group above). Errors in "
                "C code (ring, aws-lc-sys) while cross-compiling usually mean zig or cmake is "
                "missing; or build in an earlier step and set the `artifact` input."
            ),
        )


@contextmanager
def _streamed(path: Path, emit: Callable[[str], None]) -> Iterator[None]:
    """Echo lines appended to ``path`` while the body runs (a ``tail -f``)."""
    stop = threading.Event()
    thread = threading.Thread(
        target=_follow, args=(path, emit, stop), name="cargo-lambda-output", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


def _follow(path: Path, emit: Callable[[str], None], stop: threading.Event) -> None:
    pending = b""
    with path.open("rb") as handle:
        while True:
            stopping = stop.is_set()  # sampled first: the read after it sees all output
            chunk = handle.read(_CHUNK)
            if chunk:
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    emit(line.rstrip(b"\r").decode("utf-8", "replace"))
            elif stopping:
                break
            else:
                stop.wait(0.1)
    if pending:
        emit(pending.rstrip(b"\r").decode("utf-8", "replace"))


def _tail_text(log_path: Path) -> str:
    try:
        with log_path.open("rb") as handle:
            handle.seek(max(0, log_path.stat().st_size - 64 * 1024))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    lines = text.splitlines()[-_TAIL_LINES:]
    return f"Last {len(lines)} lines of the build output:\n" + "\n".join(lines)


# --- checking the binary ---------------------------------------------------------------


def _check_architecture(architecture: str) -> None:
    if architecture not in _EM_BY_ARCH:
        raise ConfigError(
            f"Unknown Lambda architecture {architecture!r}.",
            remediation="Use arm64 (the default, as cargo-pmcp) or x86_64.",
        )


def _check_bootstrap_file(path: Path, label: str, architecture: str, console: Platform) -> str:
    """Check the binary (format, machine, mode); return its sha256."""
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    _inspect_head(head, label, architecture, console)
    mode = stat.S_IMODE(path.stat().st_mode)
    if not mode & 0o111:
        console.warning(
            f"{label} is not executable on disk (mode {mode:04o}). The deployment zip stores "
            "it as 0755, but check it is the built binary (`chmod +x` it if you upload it "
            "yourself).",
            title="Lambda artifact",
        )
    return sha256_file(path)


def _inspect_head(head: bytes, label: str, architecture: str, console: Platform) -> None:
    if not head:
        raise ConfigError(f"{label} is empty.", remediation=_rebuild_hint(architecture))
    if head.startswith(b"\x7fELF"):
        _check_elf_machine(head, label, architecture)
        return
    if head.startswith(b"#!"):
        first = head.split(b"\n", 1)[0].decode("utf-8", "replace")
        console.warning(
            f"{label} is a script ({first}), not an ELF binary. Lambda runs it only if its "
            "interpreter exists on provided.al2023 and what it starts is in the package.",
            title="Lambda artifact",
        )
        return
    for magic, kind in _FOREIGN_FORMATS:
        if head.startswith(magic):
            raise ConfigError(
                f"{label} is a {kind}, not a Linux ELF binary; Lambda (provided.al2023) "
                "cannot run it.",
                remediation=_rebuild_hint(architecture),
            )
    if _looks_like_text(head):
        start = head[:60].decode("utf-8", "replace")
        raise ConfigError(
            f"{label} is a text file, not a Linux executable; Lambda would fail to start it "
            f"(Runtime.InvalidEntrypoint). It begins with {start!r}.",
            remediation=_rebuild_hint(architecture),
        )
    console.warning(
        f"{label} is not an ELF binary (it starts with bytes {head[:4].hex()}); Lambda on "
        "provided.al2023 needs a Linux executable named bootstrap.",
        title="Lambda artifact",
    )


def _check_elf_machine(head: bytes, label: str, architecture: str) -> None:
    if len(head) < 20 or head[5] not in (1, 2):
        raise ConfigError(
            f"{label} has a truncated or malformed ELF header.",
            remediation=_rebuild_hint(architecture),
        )
    machine = int.from_bytes(head[18:20], "little" if head[5] == 1 else "big")
    expected = _EM_BY_ARCH[architecture]
    if machine == expected:
        return
    built_for = _ELF_MACHINE_NAMES.get(machine, "another CPU")
    if machine == _EM_BY_ARCH["x86_64"]:
        fix = (
            "Rebuild for arm64 with `cargo lambda build --release --arm64`, or deploy it as "
            "x86_64 by setting the architecture to x86_64."
        )
    elif machine == _EM_BY_ARCH["arm64"]:
        fix = (
            "Rebuild without --arm64, i.e. `cargo lambda build --release --x86-64`, or set the "
            "architecture to arm64 (the default, as cargo-pmcp)."
        )
    else:
        fix = _rebuild_hint(architecture)
    raise ConfigError(
        f"{label} is an ELF binary for {built_for} (e_machine {machine}), but the Lambda "
        f"architecture is {architecture} (e_machine {expected}).",
        remediation=fix,
    )


def _rebuild_hint(architecture: str) -> str:
    return (
        "Build the Lambda binary with "
        f"`cargo lambda build --release {_CARGO_LAMBDA_FLAG[architecture]}` and point "
        "`artifact` at target/lambda/<bin>/bootstrap (or leave it unset)."
    )


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for cut in range(4):  # the sample may end inside a multi-byte character
        try:
            head[: len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return True
    return False


def _is_zip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) in _ZIP_MAGICS


# --- an existing zip ---------------------------------------------------------------------


def _use_zip(
    found: _Found,
    project_root: Path,
    config: DeployConfig,
    architecture: str,
    console: Platform,
) -> Artifact:
    try:
        with zipfile.ZipFile(found.path) as archive:
            infos = archive.infolist()
            entry = next((i for i in infos if i.filename == BOOTSTRAP), None)
            if entry is None:
                raise _zip_without_bootstrap(found, infos)
            with archive.open(entry) as handle:
                head = handle.read(_HEAD_BYTES)
            _inspect_head(head, f"`bootstrap` in {found.source}", architecture, console)
            bootstrap_sha = _sha256_member(archive, entry)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ConfigError(
            f"{found.source} starts like a zip but cannot be read: {exc}.",
            remediation="Recreate the zip (e.g. `zip -j deployment.zip bootstrap`).",
        ) from exc
    mode = (entry.external_attr >> 16) & 0o777
    if not mode & 0o111:
        console.warning(
            f"`bootstrap` in {found.source} has no execute permission in the zip "
            f"(mode {mode:04o}); Lambda would fail with 'permission denied'.",
            title="Lambda artifact",
        )
    _check_unzipped_size([(i.filename, i.file_size) for i in infos if not i.is_dir()])
    _warn_zip_extras(infos, project_root, config, found.source, console)
    size = found.path.stat().st_size
    _warn_zip_size(size, console)
    console.info(f"Artifact: zip {_mib(size)} from {found.source} (used as is)")
    return Artifact(
        path=found.path,
        kind="zip",
        content_type="application/zip",
        sha256=sha256_file(found.path),
        size=size,
        source=found.source,
        bootstrap_sha256=bootstrap_sha,
    )


def _sha256_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    digest = hashlib.sha256()
    with archive.open(info) as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _zip_without_bootstrap(found: _Found, infos: Sequence[zipfile.ZipInfo]) -> ConfigError:
    names = [i.filename for i in infos]
    nested = [n for n in names if n.rsplit("/", 1)[-1] == BOOTSTRAP and "/" in n]
    if nested:
        folder = nested[0].rsplit("/", 1)[0]
        fix = (
            f"The binary is at {nested[0]}, but Lambda needs it at the zip root. Zip the "
            f"folder's contents instead: `cd {folder} && zip -r ../deployment.zip .`."
        )
    else:
        fix = (
            "Put the binary at the zip root under the name bootstrap "
            "(`zip -j deployment.zip target/lambda/bootstrap/bootstrap`), or set `artifact` to "
            "the binary and let the action package it."
        )
    return ConfigError(
        f"{found.source} is a zip without a `bootstrap` entry at its root. It contains: "
        f"{_join_listing(names) if names else 'nothing'}.",
        remediation=fix,
    )


def _warn_zip_extras(
    infos: Sequence[zipfile.ZipInfo],
    project_root: Path,
    config: DeployConfig,
    source: str,
    console: Platform,
) -> None:
    names = {i.filename for i in infos}
    if config.assets.include and not any(n.startswith("assets/") for n in names):
        console.warning(
            f"{source} is used as is and has no assets/ entries, although [assets].include is "
            "set; the action does not add assets to a zip you supply.",
            title="Lambda artifact",
        )
    config_toml = _find_config_toml(project_root)
    if config_toml is not None and "config.toml" not in names:
        console.info(
            f"Note: {source} has no config.toml, although {_display(config_toml, project_root)} "
            "exists; cargo-pmcp would bundle it."
        )


# --- packaging -------------------------------------------------------------------------


def _extras(project_root: Path, config: DeployConfig, work_dir: Path, console: Platform) -> _Extras:
    assets = collect_assets(project_root, config.assets, console=console)
    work_real = os.path.realpath(work_dir)
    kept = tuple(
        (path, arcname)
        for path, arcname in assets
        if not _inside(os.path.realpath(path), work_real)
    )
    if len(kept) != len(assets):
        console.debug(f"Skipped {len(assets) - len(kept)} asset(s) inside the work dir {work_dir}.")
    return _Extras(
        assets=kept,
        config_toml=_find_config_toml(project_root),
        config_driven=_is_config_driven(project_root),
    )


def _find_config_toml(project_root: Path) -> Path | None:
    """``<root>/config.toml``, else the only ``instances/*.toml`` (cargo-pmcp [L])."""
    direct = project_root / "config.toml"
    if direct.is_file():
        return direct
    instances = project_root / "instances"
    if not instances.is_dir():
        return None
    candidates = [p for p in instances.glob("*.toml") if p.is_file()]
    return candidates[0] if len(candidates) == 1 else None


def _is_config_driven(project_root: Path) -> bool:
    """A config-driven server crate: config.toml + schema.sql + pmcp-server-toolkit."""
    if not (project_root / "config.toml").is_file() or not (project_root / "schema.sql").is_file():
        return False
    try:
        manifest = (project_root / "Cargo.toml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return "pmcp-server-toolkit" in manifest


def _sanitize_config(data: bytes) -> bytes:
    """Point every ``token_secret = …`` line at ``${CODE_MODE_SECRET}`` (cargo-pmcp H4)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    out = []
    for raw in lines:
        line = raw[:-1] if raw.endswith("\r") else raw
        match = _TOKEN_SECRET_LINE.match(line)
        out.append(f'{match.group(1)}token_secret = "${{CODE_MODE_SECRET}}"' if match else line)
    return ("\n".join(out) + ("\n" if text.endswith("\n") else "")).encode("utf-8")


def _package(
    found: _Found, extras: _Extras, work_dir: Path, bootstrap_sha: str, console: Platform
) -> Artifact:
    entries = [_file_entry(found.path, BOOTSTRAP, 0o755)]
    if extras.config_toml is not None:
        entries.append(_config_entry(extras.config_toml, "config.toml", extras.config_driven))
    for path, arcname in extras.assets:
        if extras.config_driven and path.name == "config.toml":
            entries.append(_config_entry(path, arcname, True))
        else:
            entries.append(_file_entry(path, arcname, 0o644))
    _check_unzipped_size([(e.arcname, e.size) for e in entries])
    dest = work_dir / ZIP_NAME
    _write_zip(dest, entries)
    size = dest.stat().st_size
    _warn_zip_size(size, console)
    parts = [f"{len(extras.assets)} asset(s)"] if extras.assets else []
    if extras.config_toml is not None:
        parts.append(f"config.toml from {extras.config_toml.name}")
    contents = "bootstrap" + "".join(f" + {p}" for p in parts)
    console.info(f"Artifact: {dest} {_mib(size)} ({contents}) from {found.source}")
    return Artifact(
        path=dest,
        kind="zip",
        content_type="application/zip",
        sha256=sha256_file(dest),
        size=size,
        source=found.source,
        bootstrap_sha256=bootstrap_sha,
    )


def _file_entry(path: Path, arcname: str, mode: int) -> _Entry:
    return _Entry(arcname=arcname, mode=mode, size=path.stat().st_size, path=path)


def _config_entry(path: Path, arcname: str, sanitize: bool) -> _Entry:
    data = path.read_bytes()
    if sanitize:
        data = _sanitize_config(data)
    return _Entry(arcname=arcname, mode=0o644, size=len(data), data=data)


def _write_zip(dest: Path, entries: Sequence[_Entry]) -> None:
    """Write ``entries`` to ``dest`` reproducibly (atomically: a temp file, then rename)."""
    names = [e.arcname for e in entries]
    for name in names:
        if not name or name.startswith("/") or "\\" in name or ".." in name.split("/"):
            raise ValueError(f"invalid name for a zip entry: {name!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate zip entries: {sorted(n for n in names if names.count(n) > 1)}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for entry in sorted(entries, key=lambda e: e.arcname):
                with archive.open(_zip_info(entry), "w") as out:
                    if entry.data is not None:
                        out.write(entry.data)
                    elif entry.path is not None:
                        with entry.path.open("rb") as source:
                            shutil.copyfileobj(source, out, _CHUNK)
        os.replace(partial, dest)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ConfigError(
            f"Could not write the deployment zip {dest}: {exc}.",
            remediation="Check that the packaged files are readable and the work directory "
            "is writable.",
        ) from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _zip_info(entry: _Entry) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(entry.arcname, date_time=ZIP_DATE_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    # Python 3.13 made the level public (compress_level); 3.11/3.12 keep it private.
    setattr(
        info,
        "compress_level" if sys.version_info >= (3, 13) else "_compresslevel",
        ZIP_COMPRESSLEVEL,
    )
    info.create_system = _ZIP_UNIX
    info.external_attr = (stat.S_IFREG | entry.mode) << 16
    info.file_size = entry.size  # lets zipfile decide on zip64 up front
    return info


# --- size limits -------------------------------------------------------------------------


def _check_unzipped_size(files: Sequence[tuple[str, int]]) -> None:
    total = sum(size for _, size in files)
    if total <= LAMBDA_UNZIPPED_LIMIT:
        return
    largest = sorted(files, key=lambda f: f[1], reverse=True)[:5]
    breakdown = "\n".join(f"- {name}: {_mib(size)} ({size} bytes)" for name, size in largest)
    raise ConfigError(
        f"The deployment package is {_mib(total)} ({total} bytes) unzipped, above AWS Lambda's "
        f"limit of {_mib(LAMBDA_UNZIPPED_LIMIT)} ({LAMBDA_UNZIPPED_LIMIT} bytes).",
        details=f"Largest files:\n{breakdown}",
        remediation=(
            'Shrink the binary ([profile.release] strip = true, lto = true, opt-level = "z", '
            "codegen-units = 1) and narrow [assets].include; load large data from S3 at "
            "runtime instead of bundling it."
        ),
    )


def _warn_zip_size(size: int, console: Platform) -> None:
    if size > LAMBDA_DIRECT_UPLOAD_LIMIT:
        console.warning(
            f"The deployment zip is {_mib(size)}, above Lambda's "
            f"{_mib(LAMBDA_DIRECT_UPLOAD_LIMIT)} direct-upload limit; it cannot be sent "
            "inline and goes through S3.",
            title="Lambda artifact",
        )


# --- assets --------------------------------------------------------------------------------


def _asset_base(project_root: Path, base_dir: str, root_real: str) -> Path:
    if not base_dir:
        return project_root
    candidate = Path(base_dir)
    if candidate.is_absolute() or not _inside(
        os.path.realpath(project_root / candidate), root_real
    ):
        raise ConfigError(
            f"[assets].base_dir {base_dir!r} is outside the project root {project_root}.",
            remediation="Use a directory inside the project, relative to the project root.",
        )
    return project_root / candidate


def _pattern_parts(pattern: str, key: str, project_root: Path) -> tuple[str, ...]:
    if pattern.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", pattern):
        raise ConfigError(
            f"[assets].{key} pattern {pattern!r} is an absolute path.",
            remediation=f"Write it relative to [assets].base_dir or to {project_root}.",
        )
    parts = [p for p in pattern.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ConfigError(
            f"[assets].{key} pattern {pattern!r} uses '..' to leave the project root "
            f"{project_root}.",
            remediation="Bundle only files inside the project; copy shared files into it first.",
        )
    collapsed: list[str] = []
    for part in parts:
        if not (part == "**" and collapsed and collapsed[-1] == "**"):
            collapsed.append(part)
    return tuple(collapsed)


def _match(pattern: Sequence[str], parts: Sequence[str]) -> bool:
    """Glob ``pattern`` segments against path ``parts``; ``**`` spans directories."""
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        if not rest:
            return len(parts) >= 1
        return any(_match(rest, parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatchcase(parts[0], head) and _match(rest, parts[1:])


def _could_match_below(pattern: Sequence[str], parts: Sequence[str]) -> bool:
    """Whether a file somewhere below the directory ``parts`` could match ``pattern``."""
    if not pattern:
        return False
    if pattern[0] == "**":
        return True
    if not parts:
        return True
    return fnmatchcase(parts[0], pattern[0]) and _could_match_below(pattern[1:], parts[1:])


def _walk(
    base: Path, root_real: str, includes: Sequence[tuple[str, ...]]
) -> Iterator[tuple[tuple[str, ...], Path]]:
    """Files below ``base`` as (relative parts, path), sorted; only into useful directories."""

    def visit(
        directory: Path, rel: tuple[str, ...], seen: frozenset[str]
    ) -> Iterator[tuple[tuple[str, ...], Path]]:
        try:
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError as exc:
            raise ConfigError(
                f"Cannot read {directory} while collecting [assets]: {exc.strerror or exc}.",
                remediation="Make the directory readable or exclude it from [assets].include.",
            ) from exc
        for entry in entries:
            parts = (*rel, entry.name)
            path = Path(entry.path)
            if entry.is_dir():
                if not any(_could_match_below(p, parts) for p in includes):
                    continue
                real = os.path.realpath(path)
                _ensure_inside(path, root_real, "/".join(parts) + "/")
                if real not in seen:  # a symlink loop otherwise
                    yield from visit(path, parts, seen | {real})
            elif entry.is_file():
                yield parts, path

    yield from visit(base, (), frozenset({os.path.realpath(base)}))


def _ensure_inside(path: Path, root_real: str, shown: str) -> None:
    real = os.path.realpath(path)
    if _inside(real, root_real):
        return
    raise ConfigError(
        f"[assets] reaches {shown}, which resolves to {real}, outside the project root "
        f"{root_real} (a symlink?).",
        remediation=(
            "Copy the files into the project, remove the symlink, or narrow [assets].include / "
            "add an [assets].exclude so it is not selected."
        ),
    )


def _inside(real: str, root_real: str) -> bool:
    try:
        return os.path.commonpath([real, root_real]) == root_real
    except ValueError:  # different drives
        return False


def _unmatched_message(pattern: str, base: Path, excluded: int) -> str:
    message = f"[assets].include pattern {pattern!r} matches no files under {base}"
    if excluded:
        message += f" (its {excluded} match(es) are all excluded by [assets].exclude)"
    elif not any(c in pattern for c in "*?[") and (base / pattern).is_dir():
        message += f"; it names a directory, use '{pattern.rstrip('/')}/**' for its files"
    return message + "."


def _warn(console: Platform | None, message: str) -> None:
    if console is not None:
        console.warning(message, title="Lambda assets")


# --- small helpers -------------------------------------------------------------------------


def _absolute(path: Path, base: Path) -> Path:
    return Path(os.path.normpath(path if path.is_absolute() else base / path))


def _display(path: Path, project_root: Path) -> str:
    try:
        return path.relative_to(project_root).as_posix()
    except ValueError:
        return str(path)


def _listing(directory: Path) -> list[str]:
    try:
        children = sorted(directory.iterdir())
    except OSError:
        return []
    return [c.name + ("/" if c.is_dir() else "") for c in children]


def _join_listing(names: Sequence[str]) -> str:
    if not names:
        return "nothing"
    shown = ", ".join(names[:_LISTING_LIMIT])
    more = len(names) - _LISTING_LIMIT
    return shown + (f" and {more} more" if more > 0 else "")


def _mib(size: int) -> str:
    return f"{size / MIB:.1f} MiB"
