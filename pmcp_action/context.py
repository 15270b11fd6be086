"""Everything a target needs from the run, injected in one value.

Targets never read globals (environment, clock, network): they take a
:class:`RunContext`, so tests hand them fakes and a ``MockTransport``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from .ci.base import Platform
from .deadline import Deadline
from .http import HttpClientFactory
from .secrets.model import ServerSecrets
from .settings.core_settings import Settings
from .settings.deploy_toml import DeployConfig

__all__ = ["IdTokenSource", "Project", "RunContext"]

#: Returns a fresh OIDC ID token (JWT) for an audience; masks it; raises OidcError.
IdTokenSource = Callable[[str], str]


@dataclass(frozen=True)
class Project:
    """The user's project as found on disk."""

    #: Directory holding .pmcp/ (or the working directory when there is no config).
    root: Path
    config: DeployConfig
    server_name: str
    #: [environment] merged with the environment input (the input wins).
    environment: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: The crate version from Cargo.toml, when known (pmcp.run serverVersion).
    version: str = ""
    #: The server's own secrets (values masked), resolved with the settings.
    secrets: ServerSecrets = field(default_factory=ServerSecrets)


@dataclass(frozen=True)
class RunContext:
    settings: Settings
    project: Project
    console: Platform
    http: HttpClientFactory
    deadline: Deadline
    id_token: IdTokenSource
    environ: Mapping[str, str]
    sleep: Callable[[float], None] = time.sleep
