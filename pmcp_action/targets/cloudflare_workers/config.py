"""The ``cloudflare-workers`` target's inputs, resolved once into a typed configuration.

Precedence is declared in :mod:`.declaration`; the compatibility date also falls back to
``deploy/cloudflare/wrangler.toml`` (what ``cargo pmcp deploy init`` writes) before the
declared default. Every message names the source the value came from.
"""

from __future__ import annotations

import re
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from ...context import RunContext
from ...credential_hint import CredentialHint, github_secret
from ...endpoint import McpEndpoint
from ...errors import Problem
from ...keyvalue import parse_key_values
from ...urls import endpoint_problem
from .declaration import DECLARATION
from .wrangler_login import read_wrangler_login

__all__ = ["WRANGLER_TOML", "WORKERS_DEV_ORIGIN_ENV", "WorkersConfig", "resolve"]

WRANGLER_TOML = "deploy/cloudflare/wrangler.toml"
#: Emulators only: an origin serving ``<origin>/<host>.workers.dev/<path>``.
WORKERS_DEV_ORIGIN_ENV = "PMCP_WORKERS_DEV_ORIGIN"

_SCRIPT_NAME = re.compile(r"^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$")
_ACCOUNT_ID = re.compile(r"^[0-9a-f]{32}$")
_DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
#: Workers allow 128 environment variables (64 on Free) of at most 5 KB each.
_MAX_VARS = 128
_MAX_VALUE_BYTES = 5 * 1024


@dataclass(frozen=True)
class WorkersConfig:
    """What the cloudflare-workers target was asked to use, offline-checked."""

    api_base: str
    api_token: str = field(repr=False)
    account_id: str
    script_name: str
    compatibility_date: str
    compatibility_flags: tuple[str, ...] = ()
    #: ``[environment]`` + the environment input: plain_text bindings.
    variables: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: The server's secrets (the secrets input, and the deprecated worker-secrets):
    #: secret_text bindings.
    secrets: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    keep_bindings: bool = True
    #: The MCP endpoint under the Worker's URL (``[server].mcp_path`` when set).
    endpoint: McpEndpoint = field(default_factory=McpEndpoint)
    artifact: Path | None = None
    workers_dev_origin: str = ""
    #: With auth: ambient, the file of wrangler login's token ("" for an API token).
    login: str = ""
    #: Where each value came from, by input name (for messages).
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def host_name(self) -> str:
        """The script's label in workers.dev host names (``_`` is not allowed there)."""
        return self.script_name.replace("_", "-")


def _wrangler_toml(root: Path, problems: list[Problem]) -> Mapping[str, object]:
    path = root / WRANGLER_TOML
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        problems.append(
            Problem(WRANGLER_TOML, f"cannot be read as TOML ({type(exc).__name__})", "fix it")
        )
        return {}


def resolve(context: RunContext) -> tuple[WorkersConfig, list[Problem]]:
    """Read the target's inputs; return them with every offline problem found."""
    inputs = context.settings.inputs
    project = context.project
    problems: list[Problem] = []

    token = inputs.text("cloudflare-api-token")
    auth = inputs.string("auth")
    login = ""
    if auth == "oidc":
        problems.append(
            Problem(
                inputs.source("auth"),
                "Cloudflare has no OIDC federation, so auth: oidc cannot be used with "
                "cloudflare-workers",
                "set auth to auto (an API token) or ambient (wrangler login's token)",
            )
        )
    elif auth == "ambient" and token:
        problems.append(
            Problem(
                inputs.source("cloudflare-api-token"),
                "is given, and auth: ambient uses wrangler login's token instead",
                "keep one: remove the token, or auth: ambient",
            )
        )
    elif auth == "ambient":
        found, problem = read_wrangler_login(
            context.environ, now=time.time(), mask=context.console.mask
        )
        problems += [problem] if problem is not None else []
        token, login = (found.token, found.path) if found is not None else ("", "")
    elif not token:
        problems.append(
            Problem(
                inputs.source("cloudflare-api-token"),
                "no Cloudflare API token (Cloudflare has no OIDC federation, so a token is "
                "the only credential)",
                CredentialHint(
                    ci="create an API token with the account permission Workers Scripts: Edit "
                    "and pass it from a secret: cloudflare-api-token: "
                    + github_secret("CLOUDFLARE_API_TOKEN"),
                    gitlab="create an API token with the account permission Workers Scripts: "
                    "Edit and store it as the masked CI/CD variable CLOUDFLARE_API_TOKEN",
                    terminal=DECLARATION.terminal,
                ).text(context.console),
            )
        )
    account_id = inputs.text("cloudflare-account-id").lower()
    if account_id and not _ACCOUNT_ID.match(account_id):
        problems.append(
            Problem(
                inputs.source("cloudflare-account-id"),
                "is not a Cloudflare account id (32 hexadecimal characters)",
                "copy the account id from the dashboard's Workers & Pages overview",
            )
        )

    name = project.server_name
    if not _SCRIPT_NAME.match(name):
        problems.append(
            Problem(
                "server name",
                f"{name[:70]!r} cannot be a Worker name",
                "use 1 to 63 lower-case letters, digits, - or _, starting and ending with a "
                "letter or digit (set server-name or [server].name)",
            )
        )

    wrangler = _wrangler_toml(project.root, problems)
    date = inputs.string("compatibility-date")
    date_source = inputs.source("compatibility-date")
    if not inputs.given("compatibility-date") and isinstance(
        wrangler.get("compatibility_date"), str
    ):
        date = str(wrangler["compatibility_date"])
        date_source = f"{WRANGLER_TOML} compatibility_date"
    if not _DATE.match(date):
        problems.append(Problem(date_source, f"{date[:20]!r} is not a date", "use YYYY-MM-DD"))
    flags_value = wrangler.get("compatibility_flags", [])
    flags = tuple(str(f) for f in flags_value) if isinstance(flags_value, list) else ()

    secrets = dict(project.secrets.values)
    if inputs.given("worker-secrets"):
        context.console.warning(
            f"{inputs.source('worker-secrets')} is deprecated: give the Worker's secrets in the "
            "secrets input (the same KEY=VALUE lines), which every target reads.",
            title="Deprecated input",
        )
        legacy = parse_key_values(
            inputs.text("worker-secrets"),
            inputs.source("worker-secrets"),
            problems,
            noun="secret",
            heredoc=True,
            on_value=context.console.mask,
        )
        for name in sorted(set(legacy) & set(secrets)):
            problems.append(
                Problem(
                    inputs.source("worker-secrets"),
                    f"{name} is given in both secrets and worker-secrets",
                    "give it once, in secrets",
                )
            )
        secrets = {**legacy, **secrets}
    variables = dict(project.environment)
    clash = sorted(set(variables) & set(secrets))
    if clash:
        problems.append(
            Problem(
                inputs.source("worker-secrets"),
                f"{', '.join(clash)} is also an environment variable; a binding name can be "
                "used once",
                "keep each name in either secrets or [environment]/environment",
            )
        )
    keep = inputs.flag("keep-bindings", problems)
    if project.secrets.prune:
        problems.append(
            Problem(
                "input 'prune-secrets'",
                "Workers keeps a Worker's secrets per version and cannot tell which ones this "
                "action set, so it cannot remove only those",
                "set keep-bindings: false to send only the variables and secrets this run gives "
                "(every other one is dropped), or remove one with `wrangler secret delete`",
            )
        )
    if not keep:
        for name in project.secrets.missing:
            problems.append(
                Problem(
                    "input 'keep-bindings'",
                    f"is false, so the required secret {name} would be dropped: this run does "
                    "not give it",
                    f"give {name} in the secrets input, or keep the bindings",
                )
            )
    if len(variables) + len(secrets) > _MAX_VARS:
        problems.append(
            Problem(
                "environment and secrets",
                f"{len(variables) + len(secrets)} bindings, above Workers' {_MAX_VARS}",
                "move configuration into a KV namespace or fewer, larger values",
            )
        )
    for key, value in {**variables, **secrets}.items():
        if len(value.encode()) > _MAX_VALUE_BYTES:
            problems.append(
                Problem(
                    key,
                    f"is {len(value.encode())} bytes, above Workers' 5 KB per variable",
                    "store large values in KV or R2",
                )
            )

    origin = context.environ.get(WORKERS_DEV_ORIGIN_ENV, "").strip().rstrip("/")
    if origin:
        problem = endpoint_problem(origin, f"environment variable {WORKERS_DEV_ORIGIN_ENV}")
        if problem is not None:
            problems.append(problem)

    resolved = WorkersConfig(
        api_base=inputs.string("cloudflare-api-base-url", problems).rstrip("/"),
        api_token=token,
        login=login,
        account_id=account_id,
        script_name=name,
        compatibility_date=date,
        compatibility_flags=flags,
        variables=MappingProxyType(variables),
        secrets=MappingProxyType(secrets),
        keep_bindings=keep,
        endpoint=McpEndpoint.of(context),
        artifact=inputs.path("artifact"),
        workers_dev_origin=origin,
        sources=MappingProxyType({**inputs.sources, "compatibility-date": date_source}),
    )
    return resolved, problems
