"""The ``pmcp-run`` target's inputs, resolved once into a typed configuration, with every
problem found offline.

Precedence is declared in :mod:`.declaration`; every message names the source the value
came from (flag, input, variable or ``.pmcp/deploy.toml`` line). Beyond the inputs, what
pmcp.run would refuse is refused here, before any call: a server name that cannot be a
projectName, Lambda's limits, the ``[iam]`` tables, and credentials that are missing,
mixed, malformed or expired.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from ...context import RunContext
from ...errors import Problem
from ..lambda_rules import lambda_problems
from .credential_inputs import (
    CredentialChoice,
    CredentialInputs,
    choose_credentials,
    credential_problems,
)
from .template import iam_problems

__all__ = ["PmcpRunSettings", "name_warning", "resolve"]

#: pmcp.run uses projectName in a DNS name and as the Lambda function name.
_PROJECT_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$")


@dataclass(frozen=True)
class PmcpRunSettings:
    """What the pmcp-run target was asked to use, offline-checked."""

    pmcp_api_url: str
    #: The one credential kind to sign in with (None while the inputs have problems).
    credentials: CredentialChoice | None = None
    #: The region written into the template (precedence and default: the declaration).
    region: str = ""
    artifact: Path | None = None


def resolve(context: RunContext) -> tuple[PmcpRunSettings, list[Problem]]:
    """Read the target's inputs; return them with every offline problem found."""
    inputs = context.settings.inputs
    project = context.project
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
    api_url = inputs.string("pmcp-api-url", problems)
    region = inputs.string("region", problems)
    given = CredentialInputs(
        client_id=inputs.text("pmcp-client-id"),
        client_secret=inputs.text("pmcp-client-secret"),
        access_token=inputs.text("pmcp-access-token"),
        credentials=inputs.text("pmcp-credentials"),
        auth=inputs.string("auth"),
        sources=inputs.sources,
    )
    found = credential_problems(given, now=time.time())
    problems.extend(found)
    credentials = None if found else choose_credentials(given, mask=context.console.mask)
    name = project.server_name
    if not _PROJECT_NAME.match(name):
        problems.append(
            Problem(
                "server name",
                f"{name[:70]!r} cannot be a pmcp.run projectName",
                "use 1 to 63 letters, digits, - or _, starting and ending with a letter or "
                "digit (set server-name or [server].name)",
            )
        )
    problems.extend(lambda_problems(project.config, project.environment))
    problems.extend(iam_problems(project.config.table("iam"), project.config.where("iam")))
    resolved = PmcpRunSettings(
        pmcp_api_url=api_url,
        credentials=credentials,
        region=region,
        artifact=inputs.path("artifact"),
    )
    return resolved, problems


def name_warning(server_name: str) -> str:
    """Why a valid projectName is still risky ("" when it is not)."""
    if not _PROJECT_NAME.match(server_name):
        return ""  # refused by resolve
    if server_name.lower() != server_name or "_" in server_name:
        return (
            f"The server name {server_name!r} has upper-case letters or underscores; pmcp.run "
            "uses it in a host name, where lower-case letters, digits and '-' are safest."
        )
    return ""
