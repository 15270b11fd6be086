"""The Lambda package kind: the ``bootstrap`` that pmcp.run and AWS Lambda run.

A target asks for it with ``LambdaPackage(packaging=…, architecture=…).obtain(request)``
and gets a :class:`LambdaArtifact`. Where the bootstrap comes from, first match wins:

1. the ``artifact`` input: a deployment zip (recognised by its magic bytes), a
   directory holding ``bootstrap``, or the binary itself;
2. cargo-lambda's output, ``<target>/lambda/<bin>/bootstrap``, under the Cargo
   target directory (:func:`pmcp_action.artifact.locate.resolve_target_dir`);
3. ``cargo lambda build --release --arm64`` in the Lambda wrapper crate, when
   cargo-lambda is installed.

Packaging is cargo-pmcp's (so the same project gives the same zip either way): a
deployment zip holds ``bootstrap`` (0755), an optional ``config.toml`` and the
``[assets]`` files under ``assets/``, written reproducibly by
:mod:`pmcp_action.artifact.archive`.

Modules, one responsibility each:

- :mod:`.model` — :class:`LambdaArtifact`, a located bootstrap, the packaging choice;
- :mod:`.kind` — :class:`LambdaPackage` and the order of it all;
- :mod:`.limits` — Lambda's size limits and the checks against them;
- :mod:`.checks` — the architecture, the bootstrap's format, machine and mode;
- :mod:`.locate` — the bootstrap in the ``artifact`` input, cargo-lambda's output;
- :mod:`.build` — running ``cargo lambda build`` (wrapper crate, env, streamed log);
- :mod:`.bundle` — bootstrap + ``config.toml`` + assets into ``deployment.zip``;
- :mod:`.zip_input` — checking and using a zip the user supplies.
"""

from __future__ import annotations

from .build import BUILD_TIMEOUT_SECONDS
from .bundle import build_deployment_zip
from .kind import LambdaPackage, PreparedPackage
from .limits import LAMBDA_DIRECT_UPLOAD_LIMIT, LAMBDA_UNZIPPED_LIMIT
from .model import BOOTSTRAP, LambdaArtifact, Packaging

__all__ = [
    "BOOTSTRAP",
    "BUILD_TIMEOUT_SECONDS",
    "LAMBDA_DIRECT_UPLOAD_LIMIT",
    "LAMBDA_UNZIPPED_LIMIT",
    "LambdaArtifact",
    "LambdaPackage",
    "Packaging",
    "PreparedPackage",
    "build_deployment_zip",
]
