"""Building the bundle with ``worker-build --release`` in the adapter crate, logged and bounded."""

from __future__ import annotations

from ...errors import ConfigError, DeployError
from ..command import output_tail, run_logged
from ..model import ArtifactRequest

__all__ = ["BUILD_LOG_NAME", "BUILD_TIMEOUT_SECONDS", "run_worker_build"]

#: How long ``worker-build`` may run.
BUILD_TIMEOUT_SECONDS = 30 * 60
BUILD_LOG_NAME = "worker-build.log"


def run_worker_build(request: ArtifactRequest, crate_dir: str, build_dir: str) -> None:
    """Run ``worker-build --release`` in ``crate_dir``, its output streamed to the console;
    fail with its tail. Refuses when worker-build or the crate is missing."""
    console = request.console
    crate = request.project_root / crate_dir
    how = (
        f"Build it with `worker-build --release` in {crate_dir} (cargo install "
        "worker-build; needs the wasm32-unknown-unknown target), or set it up with `cargo "
        "pmcp deploy init --target cloudflare-workers`; or set the `artifact` input to a "
        "bundle built in an earlier step."
    )
    program = request.which("worker-build")
    if program is None or not (crate / "Cargo.toml").is_file():
        missing = f"no {crate_dir}/Cargo.toml" if program is not None else "no worker-build on PATH"
        raise ConfigError(
            f"No Workers bundle in {build_dir}/ and {missing} to build one; nothing was uploaded.",
            remediation=how,
        )
    console.info(f"No Workers bundle yet; running `worker-build --release` in {crate_dir}.")
    log_path = request.work_dir / BUILD_LOG_NAME
    log_path.parent.mkdir(parents=True, exist_ok=True)
    outcome = run_logged(
        argv=[program, "--release"],
        cwd=crate,
        env=request.environ,
        log_path=log_path,
        console=console,
        run=request.run,
        timeout=BUILD_TIMEOUT_SECONDS,
        title=f"worker-build --release ({crate_dir})",
    )
    if outcome.start_error is not None:
        exc = outcome.start_error
        raise ConfigError(
            f"Could not start worker-build: {exc.strerror or exc}.", remediation=how
        ) from exc
    if outcome.returncode is None:
        raise DeployError(
            f"`worker-build --release` did not finish within "
            f"{BUILD_TIMEOUT_SECONDS // 60} minutes.",
            details=output_tail(log_path),
            remediation=how,
        )
    if outcome.returncode != 0:
        raise DeployError(
            f"`worker-build --release` failed with exit code {outcome.returncode} in {crate_dir}.",
            details=output_tail(log_path),
            remediation="Fix the build error shown above, then deploy again.",
        )
