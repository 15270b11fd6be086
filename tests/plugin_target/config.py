"""The demo-cloud target's inputs, resolved once into a typed configuration, offline."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pmcp_action.plugin import Problem, RunContext

__all__ = ["DemoConfig", "resolve"]

_REGION = re.compile(r"^[a-z]+-[0-9]+$")


@dataclass(frozen=True)
class DemoConfig:
    """What the demo-cloud target was asked to use, checked offline."""

    endpoint: str
    token: str
    region: str
    #: The service's name: the server name.
    service: str
    #: Where the endpoint came from, for messages ("input 'demo-endpoint'", a deploy.toml key).
    endpoint_source: str


def resolve(context: RunContext) -> tuple[DemoConfig, list[Problem]]:
    """Read the target's inputs; return them with every offline problem found."""
    inputs = context.settings.inputs
    problems: list[Problem] = []
    endpoint = inputs.string("demo-endpoint", problems)
    if not endpoint:
        problems.append(
            Problem(
                inputs.source("demo-endpoint"),
                "no Demo Cloud endpoint",
                "set demo-endpoint (or [demo].endpoint in .pmcp/deploy.toml)",
            )
        )
    token = inputs.text("demo-token")
    if not token:
        problems.append(
            Problem(
                inputs.source("demo-token"),
                "no Demo Cloud API token",
                "pass it from a secret: demo-token: ${{ secrets.DEMO_CLOUD_TOKEN }}",
            )
        )
    region = inputs.string("region", problems)
    if not _REGION.match(region):
        problems.append(
            Problem(
                inputs.source("region"), f"{region[:30]!r} is no Demo Cloud region", "use moon-1"
            )
        )
    config = DemoConfig(
        endpoint=endpoint,
        token=token,
        region=region,
        service=context.project.server_name,
        endpoint_source=inputs.source("demo-endpoint"),
    )
    return config, problems
