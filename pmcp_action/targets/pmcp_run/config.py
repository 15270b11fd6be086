"""The ``pmcp-run`` target's inputs, resolved once into a typed configuration.

Precedence is declared in :mod:`.declaration`; every message names the source
the value came from (flag, input, variable or ``.pmcp/deploy.toml`` line).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from ...context import RunContext
from ...errors import Problem

__all__ = ["PmcpRunSettings", "resolve"]


@dataclass(frozen=True)
class PmcpRunSettings:
    """What the pmcp-run target was asked to use, offline-checked."""

    pmcp_api_url: str
    pmcp_client_id: str = ""
    pmcp_client_secret: str = ""
    pmcp_access_token: str = ""
    pmcp_credentials: str = ""
    auth: str = ""
    #: The region written into the template (precedence and default: the declaration).
    region: str = ""
    artifact: Path | None = None
    #: Where each value came from, by input name (for messages).
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


def resolve(context: RunContext) -> tuple[PmcpRunSettings, list[Problem]]:
    """Read the target's inputs; return them with every offline problem found."""
    inputs = context.settings.inputs
    problems: list[Problem] = []
    architecture = inputs.string("architecture", problems)
    if architecture not in ("", "arm64"):
        problems.append(
            Problem(
                inputs.source("architecture"),
                f"pmcp.run runs arm64 Lambdas only, not {architecture}",
                "remove the architecture input (arm64 is the default) and build with "
                "`cargo lambda build --release --arm64`",
            )
        )
    resolved = PmcpRunSettings(
        pmcp_api_url=inputs.string("pmcp-api-url", problems),
        pmcp_client_id=inputs.text("pmcp-client-id"),
        pmcp_client_secret=inputs.text("pmcp-client-secret"),
        pmcp_access_token=inputs.text("pmcp-access-token"),
        pmcp_credentials=inputs.text("pmcp-credentials"),
        auth=inputs.string("auth"),
        region=inputs.string("region", problems),
        artifact=inputs.path("artifact"),
        sources=inputs.sources,
    )
    return resolved, problems
