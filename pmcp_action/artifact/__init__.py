"""Artifacts: what a target deploys, found or built in the project, checked, packaged.

A target asks for an artifact *kind*, a frozen value naming what it needs, and
gets the kind's own result type back::

    from pmcp_action.artifact import ArtifactRequest, work_dir
    from pmcp_action.artifact.lambda_package import LambdaPackage

    with work_dir("pmcp-aws-lambda-") as work:
        artifact = LambdaPackage(packaging="zip", architecture="arm64").obtain(
            ArtifactRequest(project_root=…, artifact_input=…, config=…, work_dir=work,
                            environ=…, console=…, deadline=context.deadline,
                            server_name=…)
        )

Kinds, one sub-package each (a kind imports the modules below; they never
import a kind, and kinds never import each other):

- :mod:`.lambda_package` — :class:`~.lambda_package.LambdaPackage`: a Lambda
  ``bootstrap``, raw or in a deployment zip (pmcp-run, aws-lambda).
- :mod:`.workers_bundle` — :class:`~.workers_bundle.WorkersBundle`: the ES
  module bundle ``worker-build`` writes (``index.js`` and the wasm and other
  modules its imports reach), from the ``artifact`` input, the build output
  directory, or a ``worker-build`` run through :mod:`.command`; returns a
  :class:`~.workers_bundle.ModuleBundle` (cloudflare-workers).
- :mod:`.oci_image` — :class:`~.oci_image.OciImage`: a container image pushed
  by digest to an OCI registry (google-cloud-run, azure-container-apps, when
  they come): a prebuilt reference pinned to its digest, the project's
  ``Dockerfile`` built with the Docker SDK, or a Linux binary (checked with its
  own ELF reader for the platform and glibc, found with :mod:`.locate`) laid
  onto a base image as a reproducible tar layer, pushed through the OCI
  distribution API.

Kind-neutral modules, one responsibility each:

- :mod:`.model` — :class:`ArtifactRequest`, the :class:`ArtifactKind` protocol,
  :data:`Architecture`, the injectable ``run``/``which``, :func:`work_dir`;
- :mod:`.common` — path, size and listing display helpers;
- :mod:`.files` — reading: regular files only (never a device, FIFO or socket),
  sized from their metadata first, in chunks within the run's deadline;
- :mod:`.workspace` — where a symlink in the project may lead (the workspace,
  ``RUNNER_TEMP``, the system temp directory);
- :mod:`.locate` — the ``artifact`` input resolved in the project; Cargo's target dir;
- :mod:`.binary` — file-type facts: ELF and its machine, scripts, other formats, text, zip;
- :mod:`.command` — running a build command with a streamed log, a timeout and its tail;
- :mod:`.assets` — selecting the ``[assets]`` files by glob;
- :mod:`.archive` — reproducible zips (fixed order, times, modes, compression);
- :mod:`.dockerignore` — which paths a ``.dockerignore`` leaves out, as Docker decides;
- :mod:`.build_context` — a Docker build context as a reproducible ``tar.gz`` for a cloud
  builder (``.dockerignore``, links only inside the context, regular files, a size limit);
- :mod:`.tarball` — reproducible ``tar+gzip`` streams, deflated in blocks, hashed as written;
- :mod:`.digest` — SHA-256 of files and streams.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .assets import collect_assets
    from .digest import sha256_file
    from .model import Architecture, ArtifactKind, ArtifactRequest, work_dir

__all__ = [
    "Architecture",
    "ArtifactKind",
    "ArtifactRequest",
    "collect_assets",
    "sha256_file",
    "work_dir",
]

#: Loaded on first use: a declaration importing a kind's light ``inputs`` module passes
#: through this package, and help and discovery must not pay for tomlkit and the rest.
_LAZY = {
    "Architecture": ".model",
    "ArtifactKind": ".model",
    "ArtifactRequest": ".model",
    "work_dir": ".model",
    "collect_assets": ".assets",
    "sha256_file": ".digest",
}

__getattr__ = lazy_exports(__name__, _LAZY)
