"""Builders for the artifact tests: ELF headers, files, zips, a project, a fake cargo."""

from __future__ import annotations

import io
import subprocess
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pmcp_action.artifact import ArtifactRequest
from pmcp_action.artifact.lambda_package import LambdaArtifact, LambdaPackage
from pmcp_action.ci.base import Platform
from pmcp_action.deadline import Deadline
from pmcp_action.settings.deploy_toml import AssetsConfig, DeployConfig, ServerConfig

EM_AARCH64 = 183
EM_X86_64 = 62


def elf(
    machine: int = EM_AARCH64, body: bytes = b"\x00" * 64, *, big_endian: bool = False
) -> bytes:
    """A minimal 64-bit ELF header (ET_DYN) with the given e_machine, then ``body``."""
    header = bytearray(64)
    header[0:4] = b"\x7fELF"
    header[4] = 2  # ELFCLASS64
    header[5] = 2 if big_endian else 1  # ELFDATA2MSB / ELFDATA2LSB
    header[6] = 1  # EV_CURRENT
    order: Literal["big", "little"] = "big" if big_endian else "little"
    header[16:18] = (3).to_bytes(2, order)  # ET_DYN
    header[18:20] = machine.to_bytes(2, order)
    return bytes(header) + body


def write(path: Path, data: bytes | str, mode: int = 0o644) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    path.chmod(mode)
    return path


def write_bootstrap(path: Path, machine: int = EM_AARCH64, body: bytes = b"bin") -> Path:
    return write(path, elf(machine, body), 0o755)


def make_zip(path: Path, entries: dict[str, bytes], mode: int = 0o755) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, data)
    return path


def new_console() -> tuple[Platform, io.StringIO]:
    stream = io.StringIO()
    return Platform(environ={}, log_stream=stream), stream


def no_run(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    raise AssertionError(f"no build expected, got {args} {kwargs}")


def no_which(name: str) -> str | None:
    return None


def config(
    name: str = "demo",
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] | None = None,
    base_dir: str = "",
    binary: str = "",
) -> DeployConfig:
    assets = AssetsConfig(include=tuple(include), base_dir=base_dir)
    if exclude is not None:
        assets = AssetsConfig(include=tuple(include), exclude=tuple(exclude), base_dir=base_dir)
    return DeployConfig(server=ServerConfig(name=name, binary=binary), assets=assets)


class Project:
    """A project root in tmp_path plus the request a kind needs."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.root = tmp_path / "proj"
        self.root.mkdir()
        self.work = tmp_path / "work"
        self.console, self.log = new_console()

    def resolve(self, **overrides: Any) -> LambdaArtifact:
        """``LambdaPackage(packaging="auto")`` obtained in this project; ``overrides``
        name the kind's fields (packaging, architecture) or the request's."""
        kind: dict[str, Any] = {"packaging": "auto"}
        for key in ("packaging", "architecture"):
            if key in overrides:
                kind[key] = overrides.pop(key)
        request: dict[str, Any] = {
            "project_root": self.root,
            "artifact_input": None,
            "config": config(),
            "work_dir": self.work,
            "environ": {},
            "console": self.console,
            "deadline": Deadline(600),
            "run": no_run,
            "which": no_which,
        }
        request.update(overrides)
        return LambdaPackage(**kind).obtain(ArtifactRequest(**request))

    @property
    def output(self) -> str:
        return self.log.getvalue()


def zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def zip_read(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


class FakeCargo:
    """Stands in for subprocess.run: records the call, prints, writes the binary."""

    def __init__(
        self,
        output: Path | None,
        *,
        returncode: int = 0,
        lines: Sequence[str] = ("   Compiling demo v0.1.0", "    Finished release"),
        machine: int = EM_AARCH64,
        timeout: bool = False,
    ) -> None:
        self.output = output
        self.returncode = returncode
        self.lines = lines
        self.machine = machine
        self.timeout = timeout
        self.calls: list[tuple[list[str], dict[str, Any]]] = []

    def __call__(self, argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append((argv, kwargs))
        log = kwargs["stdout"]
        for line in self.lines:
            log.write(line.encode() + b"\n")
        log.flush()
        if self.timeout:
            raise subprocess.TimeoutExpired(argv, kwargs["timeout"])
        if self.output is not None and self.returncode == 0:
            write_bootstrap(self.output, self.machine, b"built")
        return subprocess.CompletedProcess(argv, self.returncode)


def which_all(name: str) -> str | None:
    return f"/usr/local/bin/{name}"
