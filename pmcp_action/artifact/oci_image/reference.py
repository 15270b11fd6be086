"""Image references: ``host[:port]/path/name[:tag][@sha256:<64 hex>]``, checked up front.

The grammar is the distribution spec's, with one rule of ours: the registry host
is always spelled out (``ghcr.io/acme/calc``, ``127.0.0.1:5000/acme/calc``), so a
reference never silently means Docker Hub.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...urls import is_loopback_host

__all__ = ["ImageReference", "parse_reference", "parse_repository"]

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_HOST = rf"(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:]+\])(?::[0-9]{{1,5}})?"
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPOSITORY = re.compile(rf"^(?P<host>{_HOST})/(?P<path>{_COMPONENT}(?:/{_COMPONENT})*)$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_EXAMPLE = "ghcr.io/acme/calc:1.2.0 or ghcr.io/acme/calc@sha256:<64 hex digits>"


@dataclass(frozen=True)
class ImageReference:
    """A parsed reference; ``tag`` and ``digest`` may both be empty (a bare repository)."""

    registry: str
    repository: str
    tag: str = ""
    digest: str = ""

    @property
    def name(self) -> str:
        """``registry/repository``, without tag or digest."""
        return f"{self.registry}/{self.repository}"

    @property
    def reference(self) -> str:
        """What the registry API takes after ``/manifests/``: the digest, else the tag."""
        return self.digest or self.tag or "latest"

    @property
    def base_url(self) -> str:
        """The registry's API root: https, or plain http for a loopback registry."""
        host = self.registry.rsplit(":", 1)[0] if not self.registry.endswith("]") else self.registry
        scheme = "http" if is_loopback_host(host.strip("[]")) else "https"
        return f"{scheme}://{self.registry}"

    def with_tag(self, tag: str) -> ImageReference:
        return ImageReference(self.registry, self.repository, tag=tag)

    def pinned(self, digest: str) -> ImageReference:
        """The same name pinned by ``digest`` (the tag dropped: a digest says it all)."""
        return ImageReference(self.registry, self.repository, digest=digest)

    def __str__(self) -> str:
        text = self.name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def _problem(value: str, where: str, what: str) -> ValueError:
    subject = f"{where} {value!r}" if where else repr(value)
    return ValueError(f"{subject} is not an image reference: {what} (e.g. {_EXAMPLE}).")


def parse_reference(value: str, where: str = "the image") -> ImageReference:
    """Parse ``host/path/name:tag`` or ``…@sha256:<hex>``; :class:`ValueError` says why not."""
    text = value.strip()
    if not text:
        raise _problem(value, where, "it is empty")
    if any(ch.isspace() for ch in text):
        raise _problem(value, where, "it contains white space")
    rest, _, digest = text.partition("@")
    if digest and not _DIGEST.match(digest):
        raise _problem(value, where, "the digest after @ must be sha256: and 64 lower-case hex")
    tag = ""
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash >= 0:
        rest, tag = rest[:colon], rest[colon + 1 :]
        if not _TAG.match(tag):
            raise _problem(value, where, f"the tag {tag!r} is not valid")
    parsed = _split_repository(rest, value, where)
    return ImageReference(parsed.registry, parsed.repository, tag=tag, digest=digest)


def parse_repository(value: str, where: str = "image-repository") -> ImageReference:
    """Parse a repository without tag or digest (``ghcr.io/acme/calc``)."""
    text = value.strip()
    if not text:
        raise _problem(value, where, "it is empty")
    if "@" in text or text.rfind(":") > text.rfind("/"):
        raise _problem(
            value, where, "a repository takes no tag or digest; the action picks the tag"
        )
    return _split_repository(text, value, where)


def _split_repository(text: str, value: str, where: str) -> ImageReference:
    host, slash, path = text.partition("/")
    if not slash or not ("." in host or ":" in host or host == "localhost"):
        raise _problem(
            value, where, "it must start with the registry host (a name with a dot or a port)"
        )
    match = _REPOSITORY.match(text)
    if match is None:
        raise _problem(
            value,
            where,
            "the repository path must be lower-case letters, digits and . _ - separated by /",
        )
    if len(match["path"]) > 255:
        raise _problem(value, where, "the repository path is longer than 255 characters")
    return ImageReference(match["host"], match["path"])
