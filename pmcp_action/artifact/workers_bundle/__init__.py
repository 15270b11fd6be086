"""The Workers module bundle: what workers-rs ``worker-build`` emits, ready to upload.

A Workers target asks for the kind :class:`WorkersBundle` and gets a
:class:`ModuleBundle`: the main module and every module it imports (followed
through the ``import`` statements, never globbed), each with its name as the
imports spell it and its content type, checked against the platform's size
limits, with a digest of what would be uploaded.

Modules, one responsibility each:

- :mod:`.model` — the kind value, :class:`BundleModule` and :class:`ModuleBundle`;
- :mod:`.imports` — reading an ES module's import specifiers and resolving them;
- :mod:`.locate` — the two layouts worker-build has produced, the ``artifact``
  input, running ``worker-build`` when no bundle exists, the size limits.
"""

from __future__ import annotations

from .locate import resolve_workers_bundle
from .model import (
    CONTENT_TYPES,
    WORKERS_COMPRESSED_LIMIT,
    WORKERS_FREE_COMPRESSED_LIMIT,
    WORKERS_UNCOMPRESSED_LIMIT,
    BundleModule,
    ModuleBundle,
    WorkersBundle,
)

__all__ = [
    "CONTENT_TYPES",
    "WORKERS_COMPRESSED_LIMIT",
    "WORKERS_FREE_COMPRESSED_LIMIT",
    "WORKERS_UNCOMPRESSED_LIMIT",
    "BundleModule",
    "ModuleBundle",
    "WorkersBundle",
    "resolve_workers_bundle",
]
