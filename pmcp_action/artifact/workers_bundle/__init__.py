"""The Workers module bundle kind: what workers-rs ``worker-build`` emits, ready to upload.

A Workers target asks for it with ``WorkersBundle().obtain(request)`` and gets a
:class:`ModuleBundle`: the main module and every module it imports (followed
through the ``import`` statements, never globbed), each with its name as the
imports spell it and its content type, checked against the platform's size
limits, with a digest of what would be uploaded. Where the bundle comes from,
first match wins:

1. the ``artifact`` input: worker-build's output directory, or a main module;
2. worker-build's output, ``deploy/cloudflare/build`` (either layout it has produced);
3. ``worker-build --release`` in the adapter crate ``deploy/cloudflare``, when
   worker-build is on the ``PATH``.

Every module is read as strictly as a Lambda package (:mod:`pmcp_action.artifact.files`,
:mod:`pmcp_action.artifact.workspace`): a regular file, not a link out of the
workspace, sized before it is read, in chunks within the run's deadline.

Modules, one responsibility each:

- :mod:`.model` — :class:`BundleModule`, :class:`ModuleBundle`, the module types;
- :mod:`.kind` — :class:`WorkersBundle` and the order of it all;
- :mod:`.limits` — the platform's size limits and the checks against them;
- :mod:`.layout` — the two layouts worker-build has produced; the ``artifact`` input;
- :mod:`.imports` — reading an ES module's import specifiers and resolving them;
- :mod:`.modules` — reading the main module and what its imports reach;
- :mod:`.build` — running ``worker-build`` (streamed log, timeout).
"""

from __future__ import annotations

from .build import BUILD_TIMEOUT_SECONDS
from .kind import WorkersBundle
from .limits import (
    WORKERS_COMPRESSED_LIMIT,
    WORKERS_FREE_COMPRESSED_LIMIT,
    WORKERS_UNCOMPRESSED_LIMIT,
)
from .model import CONTENT_TYPES, BundleModule, ModuleBundle

__all__ = [
    "BUILD_TIMEOUT_SECONDS",
    "CONTENT_TYPES",
    "WORKERS_COMPRESSED_LIMIT",
    "WORKERS_FREE_COMPRESSED_LIMIT",
    "WORKERS_UNCOMPRESSED_LIMIT",
    "BundleModule",
    "ModuleBundle",
    "WorkersBundle",
]
