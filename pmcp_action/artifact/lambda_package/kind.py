""":class:`LambdaPackage`, the kind: find (or build) the bootstrap, check it, package it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...errors import DeployError
from ..common import display, mib
from ..locate import resolve_target_dir
from ..model import Architecture, ArtifactRequest
from ..workspace import Bounds
from .build import (
    BUILD_LOG_NAME,
    CARGO_LAMBDA_FLAG,
    build_env,
    build_flags,
    lambda_package_dir,
    run_build,
)
from .bundle import gather_extras, package_entries, package_sha256, write_package
from .checks import check_architecture, check_bootstrap_file
from .limits import check_unzipped_size
from .locate import (
    admit,
    find_lambda_output,
    from_input,
    no_artifact_error,
    preferred_output_names,
)
from .model import BOOTSTRAP, Found, LambdaArtifact, Packaging
from .zip_input import use_zip

__all__ = ["LambdaPackage", "PreparedPackage"]


@dataclass(frozen=True)
class LambdaPackage:
    """A Lambda ``provided.al2023`` package for ``architecture``.

    ``packaging="zip"`` always yields a zip (aws-lambda); ``"auto"`` yields the raw
    binary unless assets or a ``config.toml`` need a deployment zip (pmcp-run,
    like cargo-pmcp).
    """

    packaging: Packaging
    architecture: Architecture = "arm64"

    def __post_init__(self) -> None:
        if self.packaging not in ("zip", "auto"):
            raise ValueError(f"packaging must be 'zip' or 'auto', not {self.packaging!r}")

    def obtain(self, request: ArtifactRequest) -> LambdaArtifact:
        """The ``artifact`` input, else cargo-lambda's output, else a build; checked, packaged."""
        return self.prepare(request).artifact()

    def prepare(self, request: ArtifactRequest) -> PreparedPackage:
        """Like :meth:`obtain`, but a deployment zip is only written when asked for.

        Everything is located and checked now, and :attr:`PreparedPackage.package_sha256`
        says what the package will hold; :meth:`PreparedPackage.artifact` deflates it (a
        target that finds the same package already deployed never needs to).
        """
        architecture = self.architecture
        check_architecture(architecture)
        console = request.console
        project_root = request.project_root
        bounds = Bounds.of(project_root, request.environ)
        found = _locate(request, architecture, bounds)
        deadline = request.deadline
        if found.is_zip:
            given = use_zip(found, project_root, request.config, architecture, console, deadline)
            return PreparedPackage(given.sha256, given.bootstrap_sha256, lambda: given)

        bootstrap_sha = check_bootstrap_file(found, architecture, console, deadline)
        extras = gather_extras(project_root, request.config, request.work_dir, console, bounds)
        if self.packaging == "auto" and not extras.needed:
            size = found.size
            check_unzipped_size([(BOOTSTRAP, size)])
            console.info(f"Artifact: raw bootstrap {mib(size)} from {found.source}")
            raw = LambdaArtifact(
                path=found.path,
                kind="bootstrap",
                content_type="application/octet-stream",
                sha256=bootstrap_sha,
                size=size,
                source=found.source,
                bootstrap_sha256=bootstrap_sha,
            )
            return PreparedPackage(bootstrap_sha, bootstrap_sha, lambda: raw)
        entries = package_entries(found, extras, deadline)

        def write() -> LambdaArtifact:
            return write_package(
                found, extras, entries, request.work_dir, bootstrap_sha, console, deadline
            )

        return PreparedPackage(package_sha256(entries, bootstrap_sha), bootstrap_sha, write)


class PreparedPackage:
    """A located, checked package whose zip is written on first use (then kept)."""

    def __init__(
        self, package_sha256: str, bootstrap_sha256: str, build: Callable[[], LambdaArtifact]
    ) -> None:
        #: What the package holds (:func:`.bundle.package_sha256`; a given zip's own SHA-256).
        self.package_sha256 = package_sha256
        self.bootstrap_sha256 = bootstrap_sha256
        self._build = build
        self._artifact: LambdaArtifact | None = None

    @property
    def built(self) -> bool:
        return self._artifact is not None

    def artifact(self) -> LambdaArtifact:
        if self._artifact is None:
            self._artifact = self._build()
        return self._artifact


def _locate(request: ArtifactRequest, architecture: Architecture, bounds: Bounds) -> Found:
    """The ``artifact`` input, else cargo-lambda's output, else build it and look again."""
    project_root, environ, console = request.project_root, request.environ, request.console
    preferred = preferred_output_names(request.config.server.binary, request.name)
    if request.artifact_input is not None:
        return from_input(project_root, request.artifact_input, preferred, console, bounds)

    target = resolve_target_dir(project_root, environ, project_root)
    console.debug(f"Cargo target directory: {target.path} ({target.reason})")
    output = find_lambda_output(target.path / "lambda", preferred, project_root)
    if output is not None:
        return admit(
            output, f"cargo-lambda output {display(output, project_root)}", may_be_zip=False
        )

    cargo_lambda = request.which("cargo-lambda")
    if cargo_lambda is None:
        raise no_artifact_error(target, project_root, architecture)
    package_dir = lambda_package_dir(project_root, request.name)
    cargo = request.which("cargo")
    argv = [cargo, "lambda"] if cargo else [cargo_lambda, "lambda"]
    argv += ["build", "--release", CARGO_LAMBDA_FLAG[architecture]]
    argv += build_flags(request.config.build)
    run_build(
        argv=argv,
        cwd=package_dir,
        env=build_env(environ, architecture),
        log_path=request.work_dir / BUILD_LOG_NAME,
        console=console,
        run=request.run,
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
            return admit(output, f"cargo lambda build (output {shown})", may_be_zip=False)
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
