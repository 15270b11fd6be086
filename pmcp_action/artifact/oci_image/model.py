"""The values a target and the image kind exchange: the login, the platform, the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["PLATFORMS", "ImageSource", "OciImageResult", "RegistryLogin", "platform_parts"]

#: The platforms an image can be assembled for: OCI ``os/architecture`` → ELF ``e_machine``.
PLATFORMS = {"linux/amd64": 62, "linux/arm64": 183}

ImageSource = Literal["prebuilt", "built", "assembled"]


@dataclass(frozen=True)
class RegistryLogin:
    """The credentials a target supplies for its registry.

    One shape fits the registries the targets push to: Artifact Registry takes
    ``oauth2accesstoken`` and the Google access token, ACR the user
    ``00000000-0000-0000-0000-000000000000`` and the refresh token from
    ``/oauth2/exchange``, a generic registry (GHCR, Docker Hub, a private one) the
    ``registry-username`` / ``registry-password`` inputs. They are offered as Basic
    credentials to the registry's token service (``WWW-Authenticate: Bearer``) or to
    the registry itself (``WWW-Authenticate: Basic``). An empty login is anonymous.
    """

    username: str = ""
    password: str = field(default="", repr=False)
    #: Where the credentials came from, for messages ("registry-username", "the ACR login").
    source: str = "no credentials"

    @property
    def anonymous(self) -> bool:
        return not (self.username or self.password)


def platform_parts(platform: str) -> tuple[str, str]:
    """``linux/amd64`` → ``("linux", "amd64")``."""
    os_name, _, architecture = platform.partition("/")
    return os_name, architecture


@dataclass(frozen=True)
class OciImageResult:
    """The image a target deploys, pinned by digest."""

    #: ``registry/repository@sha256:<64 hex>`` (or the reference as given, ``pinned=False``).
    reference: str
    #: ``sha256:<64 hex>``; "" when a prebuilt tag could not be resolved.
    digest: str
    source: ImageSource
    #: Anything uploaded (a blob or the manifest); False means the registry already had it all.
    pushed: bool
    #: Compressed bytes of the blobs uploaded (mounts and skips count 0).
    uploaded_bytes: int = 0
    #: The tag pushed (``registry/repository:tag``), "" for a prebuilt image.
    tagged: str = ""
    #: False when a prebuilt tag could not be resolved and is deployed as given.
    pinned: bool = True
