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

Modules, one responsibility each:

- :mod:`.model` — :class:`Artifact`, a located input, the architecture/packaging types;
- :mod:`.common` — shared names (``bootstrap``, chunk size) and path/size display helpers;
- :mod:`.limits` — Lambda's size limits and the checks against them;
- :mod:`.binary` — file-type checks: ELF machine, foreign formats, scripts, text, zip magic;
- :mod:`.locate` — the ``artifact`` input, the Cargo target dir, cargo-lambda's output;
- :mod:`.build` — running ``cargo lambda build`` (wrapper crate, env, streamed log);
- :mod:`.assets` — selecting the ``[assets]`` files by glob;
- :mod:`.package` — reproducible zips and SHA-256 digests;
- :mod:`.bundle` — bootstrap + ``config.toml`` + assets into ``deployment.zip``;
- :mod:`.zip_input` — checking and using a zip the user supplies;
- :mod:`.resolve` — :func:`resolve_artifact`, the order of it all.
"""

from __future__ import annotations

from .assets import collect_assets
from .build import BUILD_TIMEOUT_SECONDS
from .limits import LAMBDA_DIRECT_UPLOAD_LIMIT, LAMBDA_UNZIPPED_LIMIT
from .model import Artifact
from .package import build_deployment_zip, sha256_file
from .resolve import resolve_artifact

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
