"""A Docker build context as a reproducible ``tar.gz``, for a builder in the cloud.

What ``docker build`` would send, as ``az acr build`` packs it: the context
directory without what ``.dockerignore`` leaves out (:mod:`.dockerignore`); the
Dockerfile and ``.dockerignore`` are always sent (the builder needs them and
applies the same rules again). A directory left out is still looked into when
the file has a ``!`` exception (Docker looks only when an exception's text
starts with the directory's path): that may send a file Docker would not, never
misses one, and the builder's own pass leaves it out again.

Symlinks are sent as links, and only when they resolve inside the context: a
link out of it would dangle on the builder, or point the build at a file
elsewhere on the runner, so it is refused, named. Regular files only: a device,
FIFO or socket is refused, named, never opened.

The archive is streamed into a file (never held in memory) with every entry
sorted, mtime 0, owner 0, modes 0644/0755 (executable or not), so the same
files always give the same bytes. Its size is checked against a limit before
anything is compressed, naming the biggest entries.
"""

from __future__ import annotations

import os
import stat
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..deadline import Deadline
from ..errors import ConfigError
from .common import MIB, inside, mib
from .dockerignore import DOCKERIGNORE, DockerIgnore
from .files import NEVER_READ, file_kind, open_regular, read_chunks
from .tarball import tar_gz, tar_info

__all__ = ["CONTEXT_LIMIT", "BuildContext", "pack_context"]

#: The most file content a context may hold (a Put Blob takes ~5000 MiB; a Rust MCP
#: server's sources are a few MiB; a ``target/`` left in is gigabytes).
CONTEXT_LIMIT = 512 * MIB
_LARGEST = 5


@dataclass(frozen=True)
class BuildContext:
    #: The ``tar.gz``.
    path: Path
    #: Its size in bytes and ``sha256:…``.
    size: int
    digest: str
    #: How many regular files it holds, and their bytes.
    files: int
    content_size: int
    #: The Dockerfile's name in the archive (``/``-separated, normalised).
    dockerfile: str


@dataclass(frozen=True)
class _Entry:
    name: str
    kind: bytes
    size: int = 0
    mode: int = 0o755
    link: str = ""
    path: Path | None = None


def pack_context(
    context_dir: Path,
    out: Path,
    *,
    dockerfile: str,
    deadline: Deadline,
    limit: int = CONTEXT_LIMIT,
) -> BuildContext:
    """Pack ``context_dir`` into ``out``; ``dockerfile`` is its path in the context."""
    if not context_dir.is_dir():
        raise ConfigError(
            f"The build context {context_dir} is not a directory.",
            remediation="Point the build at the project's directory.",
        )
    wanted = _dockerfile_name(dockerfile)
    try:
        return _pack(context_dir, out, wanted, deadline, limit)
    except OSError as exc:
        raise ConfigError(
            f"Could not pack the build context {context_dir}: {exc.strerror or exc}"
            + (f" ({exc.filename})" if exc.filename else "")
            + ".",
            remediation="Check that the runner's user can read the project's files and write "
            "its temp directory.",
        ) from None


def _pack(
    context_dir: Path, out: Path, wanted: str, deadline: Deadline, limit: int
) -> BuildContext:
    ignore = DockerIgnore.read(context_dir, deadline)
    walker = _Walker(context_dir, ignore, frozenset({wanted, DOCKERIGNORE}), deadline)
    entries = sorted(walker.walk(context_dir, ""), key=lambda e: PurePosixPath(e.name).parts)
    if not any(e.name == wanted and e.kind != tarfile.DIRTYPE for e in entries):
        raise ConfigError(
            f"The build context {context_dir} has no {wanted}.",
            remediation="Put the Dockerfile in the project (or name it in dockerfile), as a file "
            "inside the build context.",
        )
    files = [e for e in entries if e.kind == tarfile.REGTYPE]
    total = sum(e.size for e in files)
    if total > limit:
        raise ConfigError(
            f"The build context {context_dir} holds {mib(total)} of files, more than the "
            f"{mib(limit)} a cloud build accepts here; the largest: {_largest(files)}.",
            remediation=f"Leave what the build does not need out through {DOCKERIGNORE} (for a "
            "Rust project at least target/ and .git/), then run again.",
        )
    with out.open("wb") as raw, tar_gz(raw, tar_format=tarfile.PAX_FORMAT) as written:
        for entry in entries:
            info = tar_info(entry.name, entry.kind, entry.size, entry.mode, entry.link)
            if entry.path is None:
                written.tar.addfile(info)
            else:
                _add_file(written.tar, info, entry.path, deadline)
    return BuildContext(
        path=out,
        size=written.blob.size,
        digest=f"sha256:{written.blob.hash.hexdigest()}",
        files=len(files),
        content_size=total,
        dockerfile=wanted,
    )


class _Walker:
    def __init__(
        self, root: Path, ignore: DockerIgnore, keep: frozenset[str], deadline: Deadline
    ) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self.ignore = ignore
        self.keep = keep
        self.deadline = deadline

    def walk(self, directory: Path, prefix: str) -> Iterator[_Entry]:
        self.deadline.check("listing the build context")
        with os.scandir(directory) as scan:
            children = sorted(scan, key=lambda c: c.name)
        for child in children:
            name = f"{prefix}{child.name}"
            if self.ignore.excluded(name) and name not in self.keep:
                if child.is_dir(follow_symlinks=False) and self._may_keep_below(name):
                    # An exception may take something below back in: look, keep the
                    # directory only when it does.
                    inner = list(self.walk(Path(child.path), name + "/"))
                    if inner:
                        yield _Entry(name + "/", tarfile.DIRTYPE)
                        yield from inner
                continue
            yield from self._entry(child, name)

    def _may_keep_below(self, directory: str) -> bool:
        """Whether something below a left-out directory may still be sent."""
        inner = directory + "/"
        return self.ignore.has_exceptions or any(k.startswith(inner) for k in self.keep)

    def _entry(self, child: os.DirEntry[str], name: str) -> Iterator[_Entry]:
        info = child.stat(follow_symlinks=False)
        if stat.S_ISLNK(info.st_mode):
            yield self._link(Path(child.path), name)
        elif stat.S_ISDIR(info.st_mode):
            yield _Entry(name + "/", tarfile.DIRTYPE)
            yield from self.walk(Path(child.path), name + "/")
        elif stat.S_ISREG(info.st_mode):
            mode = 0o755 if info.st_mode & 0o111 else 0o644
            yield _Entry(name, tarfile.REGTYPE, info.st_size, mode, path=Path(child.path))
        else:
            raise ConfigError(
                f"{name} in the build context is {file_kind(info.st_mode)}; the context was "
                "not packed.",
                remediation=f"Remove it or add it to {DOCKERIGNORE}. {NEVER_READ}",
            )

    def _link(self, path: Path, name: str) -> _Entry:
        target = os.readlink(path)
        real = os.path.realpath(path)
        if not inside(real, self.real_root):
            shown = (
                target
                if os.path.normpath(path.parent / target) == real
                else (f"{target} (resolved: {real})")
            )
            raise ConfigError(
                f"{name} in the build context is a symlink to {shown}, outside the build "
                f"context {self.root}; the context was not packed.",
                remediation=f"Copy what it points to into the project, or add {name} to "
                f"{DOCKERIGNORE}. Links out of the context are refused so that a checkout "
                "cannot make the action upload files from elsewhere on the runner.",
            )
        if os.path.isabs(target):  # the same place, as the builder will see it
            target = os.path.relpath(real, os.path.realpath(path.parent))
        return _Entry(name, tarfile.SYMTYPE, mode=0o777, link=target)


def _dockerfile_name(dockerfile: str) -> str:
    name = PurePosixPath(dockerfile.replace("\\", "/"))
    if not dockerfile or name.is_absolute() or ".." in name.parts or str(name) == ".":
        raise ConfigError(
            f"The Dockerfile path {dockerfile!r} must be relative to the build context, "
            "without '..'.",
            remediation="Name the Dockerfile by its path inside the project, e.g. Dockerfile.",
        )
    return str(name)


def _largest(files: list[_Entry]) -> str:
    sizes: dict[str, int] = {}
    for entry in files:
        head, _, rest = entry.name.partition("/")
        key = head + "/" if rest else head
        sizes[key] = sizes.get(key, 0) + entry.size
    ranked = sorted(sizes.items(), key=lambda item: (-item[1], item[0]))[:_LARGEST]
    return ", ".join(f"{name} ({mib(size)})" for name, size in ranked)


class _Chunks:
    """A ``read(n)`` file over the chunks :func:`read_chunks` yields (within the deadline)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""
        self._at = 0

    def read(self, size: int = -1) -> bytes:
        parts: list[bytes] = []
        need = size
        while need != 0:
            if self._at >= len(self._buffer):
                self._buffer, self._at = next(self._chunks, b""), 0
                if not self._buffer:
                    break
            end = len(self._buffer) if need < 0 else self._at + need
            piece = self._buffer[self._at : end]
            self._at += len(piece)
            need = need - len(piece) if need > 0 else need
            parts.append(piece)
        return b"".join(parts)


def _add_file(tar: tarfile.TarFile, info: tarfile.TarInfo, path: Path, deadline: Deadline) -> None:
    label = info.name
    with open_regular(path, label) as handle:
        try:
            tar.addfile(info, _Chunks(read_chunks(handle, label, deadline, limit=info.size)))
            grew = bool(handle.read(1))
        except OSError as exc:
            if "unexpected end of data" not in str(exc):
                raise
            grew = True
    if grew:
        raise ConfigError(
            f"{label} changed size while the build context was being packed (it was "
            f"{info.size} bytes when measured); the context was not packed.",
            remediation="Do not write to the project's files while the action packs them.",
        )
