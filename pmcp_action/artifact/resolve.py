"""``resolve_artifact``: find (or build) the bootstrap, check it, package it."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from ..ci.base import Platform
from ..deploy_config import DeployConfig
from ..errors import DeployError
from .binary import check_architecture, check_bootstrap_file
from .build import BUILD_LOG_NAME, CARGO_LAMBDA_FLAG, build_env, lambda_package_dir, run_build
from .bundle import gather_extras, package_bootstrap
from .common import BOOTSTRAP, display, mib
from .limits import check_unzipped_size
from .locate import (
    find_lambda_output,
    from_input,
    no_artifact_error,
    preferred_output_names,
    resolve_target_dir,
)
from .model import Architecture, Artifact, Found, Packaging
from .zip_input import use_zip

__all__ = ["resolve_artifact"]


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
    check_architecture(architecture)
    name = config.server.name if server_name is None else server_name
    found = _locate(
        project_root=project_root,
        artifact_input=artifact_input,
        preferred=preferred_output_names(config.server.binary, name),
        server_name=name,
        work_dir=work_dir,
        architecture=architecture,
        environ=environ,
        console=console,
        run=run,
        which=which,
    )
    if found.is_zip:
        return use_zip(found, project_root, config, architecture, console)

    bootstrap_sha = check_bootstrap_file(found.path, found.source, architecture, console)
    extras = gather_extras(project_root, config, work_dir, console)
    if packaging == "auto" and not extras.needed:
        size = found.path.stat().st_size
        check_unzipped_size([(BOOTSTRAP, size)])
        console.info(f"Artifact: raw bootstrap {mib(size)} from {found.source}")
        return Artifact(
            path=found.path,
            kind="bootstrap",
            content_type="application/octet-stream",
            sha256=bootstrap_sha,
            size=size,
            source=found.source,
            bootstrap_sha256=bootstrap_sha,
        )
    return package_bootstrap(found, extras, work_dir, bootstrap_sha, console)


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
) -> Found:
    """The ``artifact`` input, else cargo-lambda's output, else build it and look again."""
    if artifact_input is not None:
        return from_input(project_root, artifact_input, preferred, console)

    target = resolve_target_dir(project_root, environ, project_root)
    console.debug(f"Cargo target directory: {target.path} ({target.reason})")
    output = find_lambda_output(target.path / "lambda", preferred, project_root)
    if output is not None:
        return Found(output, False, f"cargo-lambda output {display(output, project_root)}")

    cargo_lambda = which("cargo-lambda")
    if cargo_lambda is None:
        raise no_artifact_error(target, project_root, architecture)
    package_dir = lambda_package_dir(project_root, server_name)
    cargo = which("cargo")
    argv = [cargo, "lambda"] if cargo else [cargo_lambda, "lambda"]
    argv += ["build", "--release", CARGO_LAMBDA_FLAG[architecture]]
    run_build(
        argv=argv,
        cwd=package_dir,
        env=build_env(environ, architecture),
        log_path=work_dir / BUILD_LOG_NAME,
        console=console,
        run=run,
    )
    searched: list[Path] = []
    for candidate in (resolve_target_dir(package_dir, environ, project_root), target):
        lambda_dir = candidate.path / "lambda"
        if lambda_dir in searched:
            continue
        searched.append(lambda_dir)
        output = find_lambda_output(lambda_dir, preferred, project_root)
        if output is not None:
            shown = display(output, project_root)
            return Found(output, False, f"cargo lambda build (output {shown})")
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
