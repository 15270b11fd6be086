"""The ``pmcp-run`` target's inputs, resolved once into a typed configuration, with every
problem found offline.

Precedence is declared in :mod:`.declaration`; every message names the source the value
came from (flag, input, variable or ``.pmcp/deploy.toml`` line). Beyond the inputs, what
pmcp.run would refuse is refused here, before any call: a server name that cannot be a
projectName, Lambda's limits, the ``[iam]`` tables, credentials that are missing, mixed,
malformed or expired, and secrets pmcp.run or the function could not hold (names and sizes,
below).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from ...context import RunContext
from ...errors import Problem
from ...secrets import ServerSecrets
from ...settings.deploy_toml import DeployConfig
from ..lambda_rules import RESERVED_ENV_KEYS, lambda_problems
from .credential_inputs import (
    AMBIENT_FILE,
    CredentialChoice,
    CredentialInputs,
    choose_credentials,
    credential_problems,
    read_ambient_file,
)
from .secrets import MAX_VALUE_BYTES, RECORD
from .template import iam_problems

__all__ = [
    "MAX_PROJECT_NAME",
    "MAX_SECRETS",
    "MAX_SECRET_NAME",
    "PROJECT_NAME",
    "PmcpRunSettings",
    "name_warning",
    "resolve",
]

#: pmcp.run uses projectName in a DNS name and as the Lambda function name: at most this
#: many characters.
MAX_PROJECT_NAME = 63
PROJECT_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$")
#: A secret's name: pmcp.run's alphabet (letters, digits, _, -, /) narrowed to what the
#: server's Lambda can have as an environment variable (a letter, then at least one letter,
#: digit or _).
_SECRET_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]+$")
#: The action's own limits, so the record of the secrets it set stays one pmcp.run secret.
MAX_SECRETS = 256
MAX_SECRET_NAME = 128


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
    auth = inputs.string("auth")
    stored, sources = inputs.text("pmcp-credentials"), dict(inputs.sources)
    found: list[Problem] = []
    if auth == "ambient":
        # A person's own sign-in stands for pmcp-credentials; any other kind is one too many.
        ambient, problem = read_ambient_file(context.environ.get("HOME", ""))
        context.console.mask(ambient)
        found += [problem] if problem is not None else []
        if ambient and not stored:
            stored = ambient
            sources["pmcp-credentials"] = f"~/{AMBIENT_FILE} (auth: ambient)"
    given = CredentialInputs(
        client_id=inputs.text("pmcp-client-id"),
        client_secret=inputs.text("pmcp-client-secret"),
        access_token=inputs.text("pmcp-access-token"),
        credentials=stored,
        auth=auth,
        sources=sources,
        platform=context.console.name,
    )
    found += [] if found else credential_problems(given, now=time.time())
    problems.extend(found)
    credentials = None if found else choose_credentials(given, mask=context.console.mask)
    name = project.server_name
    if not PROJECT_NAME.match(name):
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
    problems.extend(secret_problems(project.secrets, project.config))
    resolved = PmcpRunSettings(
        pmcp_api_url=api_url,
        credentials=credentials,
        region=region,
        artifact=inputs.path("artifact"),
    )
    return resolved, problems


def name_warning(server_name: str) -> str:
    """Why a valid projectName is still risky ("" when it is not)."""
    if not PROJECT_NAME.match(server_name):
        return ""  # refused by resolve
    if server_name.lower() != server_name or "_" in server_name:
        return (
            f"The server name {server_name!r} has upper-case letters or underscores; pmcp.run "
            "uses it in a host name, where lower-case letters, digits and '-' are safest."
        )
    return ""


def secret_problems(secrets: ServerSecrets, config: DeployConfig) -> list[Problem]:
    """What pmcp.run or the server's Lambda could not hold: names, sizes and the count."""
    problems: list[Problem] = []

    def where(name: str) -> str:
        source = secrets.sources.get(name)
        shown = name if len(name) <= MAX_SECRET_NAME else f"{name[:40]}…"
        return f"{source} ({shown})" if source else config.where(f"secrets.{shown}")

    for name in sorted(set(secrets.values) | set(secrets.required)):
        if name == RECORD:
            what, fix = (
                f"{RECORD} is the name under which pmcp-deploy-action keeps its record of the "
                "secrets it set",
                "give the secret another name",
            )
        elif name in RESERVED_ENV_KEYS:
            what, fix = f"Lambda reserves {name} for itself", "give the secret another name"
        elif not _SECRET_NAME.match(name):
            what, fix = (
                "the name cannot be an environment variable of the server's Lambda",
                "use a letter followed by at least one letter, digit or _",
            )
        elif len(name) > MAX_SECRET_NAME:
            what, fix = (
                f"the name takes {len(name)} characters; pmcp-run allows {MAX_SECRET_NAME}",
                "use a shorter name",
            )
        else:
            continue
        problems.append(Problem(where(name), what, fix))
    for name, value in sorted(secrets.values.items()):
        size = len(value.encode("utf-8"))
        if size > MAX_VALUE_BYTES:
            problems.append(
                Problem(
                    where(name),
                    f"the secret {name} takes {size} bytes; pmcp.run stores at most "
                    f"{MAX_VALUE_BYTES}",
                    "store a smaller value (e.g. a key that fetches the rest at runtime)",
                )
            )
    if len(secrets.values) > MAX_SECRETS:
        problems.append(
            Problem(
                "input 'secrets'",
                f"{len(secrets.values)} secrets are given; pmcp-run sets at most {MAX_SECRETS} "
                "per server (their fingerprints fit one pmcp.run secret)",
                "give fewer secrets (several values can share one secret, e.g. as JSON)",
            )
        )
    return problems
