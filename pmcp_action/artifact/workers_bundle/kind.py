""":class:`WorkersBundle`, the kind: find (or build) the bundle, read it strictly, check it."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import ConfigError
from ..model import ArtifactRequest
from ..workspace import Bounds
from .build import run_worker_build
from .layout import detect_layout, from_input
from .limits import (
    WORKERS_COMPRESSED_LIMIT,
    WORKERS_FREE_COMPRESSED_LIMIT,
    WORKERS_UNCOMPRESSED_LIMIT,
    check_bundle,
)
from .model import ModuleBundle
from .modules import read_modules

__all__ = ["WorkersBundle"]


@dataclass(frozen=True)
class WorkersBundle:
    """The artifact kind a Workers target asks for: an ES-module bundle.

    The defaults are where ``cargo pmcp deploy init --target cloudflare-workers``
    puts the adapter crate and where its ``worker-build`` writes the bundle.
    """

    crate_dir: str = "deploy/cloudflare"
    build_dir: str = "deploy/cloudflare/build"
    compressed_limit: int = WORKERS_COMPRESSED_LIMIT
    free_compressed_limit: int = WORKERS_FREE_COMPRESSED_LIMIT
    uncompressed_limit: int = WORKERS_UNCOMPRESSED_LIMIT

    def obtain(self, request: ArtifactRequest) -> ModuleBundle:
        """The ``artifact`` input, else ``build_dir``, else ``worker-build``; read, checked.

        Raises :class:`ConfigError` before anything is uploaded.
        """
        project_root = request.project_root
        bounds = Bounds.of(project_root, request.environ)
        artifact_input = request.artifact_input
        if artifact_input is not None:
            path = artifact_input if artifact_input.is_absolute() else project_root / artifact_input
            layout, main, source = from_input(path, request.artifact_source, project_root, bounds)
        else:
            build_dir = project_root / self.build_dir
            found = detect_layout(build_dir)
            if found is None:
                run_worker_build(request, self.crate_dir, self.build_dir)
                found = detect_layout(build_dir)
                if found is None:
                    raise ConfigError(
                        f"worker-build finished but {self.build_dir}/ holds no bundle "
                        "(index.js + index_bg.wasm, or worker/shim.mjs).",
                        remediation="Check the build output above; set the `artifact` input to "
                        "the bundle directory if worker-build writes elsewhere (--out-dir).",
                    )
            layout, main = found
            source = self.build_dir
        modules = read_modules(
            main, project_root, limits=self, bounds=bounds, deadline=request.deadline
        )
        bundle = ModuleBundle(modules=modules, layout=layout, source=source)
        check_bundle(bundle, self, request.console)
        return bundle
