"""Container images for the targets that run one (google-cloud-run, azure-container-apps).

A target asks for the kind :class:`OciImage` with where to push and a
:class:`RegistryLogin`, and gets an :class:`OciImageResult`: the image reference
pinned by digest and whether anything was pushed (see :class:`OciImage` for the
order: a prebuilt ``image``, else the project's Dockerfile built when a Docker engine
is reachable, else the binary assembled onto a base image).

Modules, one responsibility each:

- :mod:`.inputs` — the shared input specs (light: the declarations import it);
- :mod:`.model` — :class:`RegistryLogin`, :class:`OciImageResult`, the platforms;
- :mod:`.reference` — image references parsed and checked;
- :mod:`.elf` — machine, interpreter and ``GLIBC_x.y`` versions of a binary or libc;
- :mod:`.layer` — the reproducible tar+gzip layer holding the binary;
- :mod:`.registry` — the OCI distribution API: auth, manifests, blobs, resumable uploads;
- :mod:`.base` — the base image's manifest, config and glibc;
- :mod:`.assemble` — checks, config and manifest, the push;
- :mod:`.build` — the Dockerfile built and pushed with the Docker SDK (imported lazily);
- :mod:`.kind` — :class:`OciImage`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...lazy import lazy_exports

if TYPE_CHECKING:
    from .kind import OciImage
    from .model import OciImageResult, RegistryLogin
    from .reference import ImageReference, parse_reference, parse_repository

__all__ = [
    "ImageReference",
    "OciImage",
    "OciImageResult",
    "RegistryLogin",
    "parse_reference",
    "parse_repository",
]

#: Loaded on first use, so a declaration importing :mod:`.inputs` stays light.
_LAZY = {
    "OciImage": ".kind",
    "OciImageResult": ".model",
    "RegistryLogin": ".model",
    "ImageReference": ".reference",
    "parse_reference": ".reference",
    "parse_repository": ".reference",
}

__getattr__ = lazy_exports(__name__, _LAZY)
