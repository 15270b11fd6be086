"""The contract between a target and an artifact kind.

A target describes the artifact it deploys as a *kind*, a frozen value of one
of the kind sub-packages (see the package docstring), and asks for it with one
call, ``kind.obtain(request)``. The :class:`ArtifactRequest` says where to
look and what may be run; the kind decides the order (the ``artifact`` input,
an existing build output, a build) and returns its own result type.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, TypeVar

from ..ci.base import Platform
from ..deadline import Deadline
from ..settings.deploy_toml import DeployConfig

__all__ = ["Architecture", "ArtifactKind", "ArtifactRequest", "Runner", "Which", "work_dir"]

#: The CPU a Linux binary is built for (OCI platforms linux/arm64 and linux/amd64).
Architecture = Literal["arm64", "x86_64"]
#: ``subprocess.run``, injectable so tests stand in for builds.
Runner = Callable[..., subprocess.CompletedProcess[str]]
#: ``shutil.which``, injectable so tests decide which tools are installed.
Which = Callable[[str], str | None]

T_co = TypeVar("T_co", covariant=True)


@dataclass(frozen=True, kw_only=True)
class ArtifactRequest:
    """Where a kind finds or builds its artifact, whatever the kind."""

    project_root: Path
    #: The ``artifact`` input as given (relative to ``project_root``, or absolute).
    artifact_input: Path | None
    config: DeployConfig
    #: Scratch space for this command; what a kind writes here is gone afterwards.
    work_dir: Path
    #: The run's environment: ``GITHUB_WORKSPACE``/``CI_PROJECT_DIR``, ``RUNNER_TEMP``,
    #: Cargo's variables, and the environment of builds.
    environ: Mapping[str, str]
    console: Platform
    #: The run's deadline (``context.deadline``): files are read within it.
    deadline: Deadline
    #: Where the ``artifact`` input's value came from, as messages name it
    #: (``input 'artifact'``, a flag, a variable).
    artifact_source: str = "input 'artifact'"
    #: The name builds and outputs are looked up by; ``None`` means ``[server].name``.
    server_name: str | None = None
    run: Runner = subprocess.run
    which: Which = shutil.which

    @property
    def name(self) -> str:
        """``server_name``, else ``[server].name``."""
        return self.config.server.name if self.server_name is None else self.server_name


class ArtifactKind(Protocol[T_co]):
    """What a target can ask for: a frozen value whose ``obtain`` yields the artifact."""

    def obtain(self, request: ArtifactRequest) -> T_co:
        """Find (or build) the artifact, check it, and package it into ``request.work_dir``."""
        ...


@contextmanager
def work_dir(prefix: str) -> Iterator[Path]:
    """A fresh temporary directory for one command, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as path:
        yield Path(path)
