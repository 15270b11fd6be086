"""Building the bootstrap with ``cargo lambda build``, as cargo-pmcp does: in the
wrapper crate, with cargo-pmcp's environment (aws-lc-sys, zigcc), logged and bounded."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path

from ...ci.base import Platform
from ...errors import ConfigError, DeployError
from ...settings.deploy_toml import BuildConfig
from ..command import output_tail, run_logged
from ..model import Runner
from .model import BOOTSTRAP

__all__ = [
    "BUILD_LOG_NAME",
    "BUILD_TIMEOUT_SECONDS",
    "CARGO_LAMBDA_FLAG",
    "build_env",
    "build_flags",
    "lambda_package_dir",
    "run_build",
]

#: How long ``cargo lambda build`` may run.
BUILD_TIMEOUT_SECONDS = 30 * 60
BUILD_LOG_NAME = "cargo-lambda-build.log"

CARGO_LAMBDA_FLAG: Mapping[str, str] = {"arm64": "--arm64", "x86_64": "--x86-64"}
#: cargo-pmcp sets these for every Lambda build: they make aws-lc-sys cross-compile
#: under Zig.
_BUILD_ENV: Mapping[str, str] = {
    "AWS_LC_SYS_CMAKE_BUILDER": "1",
    "AWS_LC_SYS_NO_JITTER_ENTROPY": "1",
}


def lambda_package_dir(project_root: Path, server_name: str) -> Path:
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


def build_flags(build: BuildConfig) -> list[str]:
    """``[build]``'s features and ``no_default_features`` as cargo's flags."""
    flags = [f"--features={','.join(build.features)}"] if build.features else []
    if build.no_default_features:
        flags.append("--no-default-features")
    return flags


def build_env(environ: Mapping[str, str], architecture: str) -> dict[str, str]:
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


def run_build(
    *,
    argv: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    log_path: Path,
    console: Platform,
    run: Runner,
) -> None:
    """Run ``cargo lambda build``, stream its output to the console, fail with its tail."""
    command = " ".join(["cargo", *argv[1:]])
    log_path.parent.mkdir(parents=True, exist_ok=True)
    console.info(f"No Lambda artifact yet; running `{command}` in {cwd}.")
    outcome = run_logged(
        argv=argv,
        cwd=cwd,
        env=env,
        log_path=log_path,
        console=console,
        run=run,
        timeout=BUILD_TIMEOUT_SECONDS,
        title=f"{command} ({cwd.name})",
    )
    if outcome.start_error is not None:
        exc = outcome.start_error
        raise ConfigError(
            f"Could not start `{command}`: {exc.strerror or exc}.",
            remediation="Install Rust and cargo-lambda in the image, or build in an "
            "earlier step and set the `artifact` input.",
        ) from exc
    if outcome.returncode is None:
        raise DeployError(
            f"`{command}` did not finish within {BUILD_TIMEOUT_SECONDS // 60} minutes in {cwd}.",
            details=output_tail(log_path),
            remediation="Build in an earlier step (with a Rust cache) and set the `artifact` "
            "input, so the deploy step does not compile.",
        )
    if outcome.returncode != 0:
        raise DeployError(
            f"`{command}` failed with exit code {outcome.returncode} in {cwd}.",
            details=output_tail(log_path),
            remediation=(
                "Fix the build error (the full output is in the log group above). Errors in "
                "C code (ring, aws-lc-sys) while cross-compiling usually mean zig or cmake is "
                "missing; or build in an earlier step and set the `artifact` input."
            ),
        )
