"""Builders for pmcp-run target tests: a project on disk and a RunContext over the fake."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cfnlint.api
import httpx
import pytest

from pmcp_action.ci.base import Platform
from pmcp_action.context import RunContext
from pmcp_action.deadline import Deadline
from pmcp_action.secrets import resolve_secrets
from pmcp_action.settings.deploy_toml_reading import load_deploy_config
from pmcp_action.targets.pmcp_run import PmcpRunTarget, create
from pmcp_action.targets.pmcp_run.template import (
    template_bytes,
)
from tests.fakes.artifacts import stand_in_bootstrap
from tests.fakes.pmcp_run import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    FakePmcpRun,
    Upload,
)
from tests.support import mcp_tool
from tests.support.context import make_context

#: In-process base URL: https, so the endpoint rule holds without loopback tricks.
BASE = "https://pmcp.test"

DEPLOY_TOML = """\
[target]
type = "pmcp-run"
version = "1.0.0"

[aws]
region = "eu-west-1"

[server]
name = "weather"
memory_mb = 1024
timeout_seconds = 60

[environment]
RUST_LOG = "debug"
API_BASE = "https://weather.example"
API_KEY = "from-environment-table"

[secrets]
API_KEY = "resolved at deploy time"

[auth]
enabled = false
provider = "none"

[observability]
log_retention_days = 30

[composition]
tier = "domain"
allow_composition = false
internal_only = true
description = "Weather lookups"
"""


def fake_bootstrap(size: int = 64 * 1024, seed: int = 7) -> bytes:
    """An arm64 stand-in bootstrap of ``size`` bytes (``seed`` varies its content)."""
    return stand_in_bootstrap(f"seed-{seed}".encode(), size=size)


def write_project(
    root: Path,
    *,
    deploy_toml: str = DEPLOY_TOML,
    bootstrap: bytes | None = None,
    extra_files: Mapping[str, str] | None = None,
) -> Path:
    """A project with .pmcp/deploy.toml, Cargo.toml and a prebuilt bootstrap; returns it."""
    (root / ".pmcp").mkdir(parents=True, exist_ok=True)
    (root / ".pmcp" / "deploy.toml").write_text(deploy_toml)
    (root / "Cargo.toml").write_text('[package]\nname = "weather"\nversion = "1.2.3"\n')
    artifact = root / "build" / "bootstrap"
    artifact.parent.mkdir(exist_ok=True)
    artifact.write_bytes(fake_bootstrap() if bootstrap is None else bootstrap)
    artifact.chmod(0o755)
    for name, text in (extra_files or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return artifact


class FakeClock:
    """Monotonic time that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)


@dataclass
class Harness:
    """Everything a test needs: the target, its context, the fake and the captured log."""

    target: PmcpRunTarget
    context: RunContext
    fake: FakePmcpRun
    log: io.StringIO
    artifact: Path
    clock: FakeClock = field(default_factory=FakeClock)

    @property
    def output(self) -> str:
        return self.log.getvalue()

    def graphql_variables(self, operation: str) -> list[dict[str, Any]]:
        return [variables for names, variables in self.fake.graphql_calls if operation in names]


def make_harness(
    tmp_path: Path,
    fake: FakePmcpRun | None = None,
    *,
    deploy_toml: str = DEPLOY_TOML,
    credentials: str = "client",
    settings: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    environment: Mapping[str, str] | None = None,
    version: str = "1.2.3",
    deadline_seconds: float = 600.0,
    transport: httpx.BaseTransport | None = None,
    network: bool = False,
    base_url: str = BASE,
    bootstrap: bytes | None = None,
    extra_files: Mapping[str, str] | None = None,
    clock: FakeClock | None = None,
    secrets: str | None = None,
    prune_secrets: bool = False,
) -> Harness:
    """A pmcp-run target over ``fake`` (MockTransport unless ``transport`` is given).

    ``network=True`` uses real sockets the way production does: every client gets its
    own connection pool (a transport shared between clients would leak sockets).

    ``credentials``: "client" (the fake's default machine client), "token" (a fresh
    access token), "none", or "raw" (pass the credential fields in ``settings``).

    ``secrets`` (the secrets input's text, "" for none) resolves the run's secrets as a run
    does: the input, deploy.toml's ``[secrets]`` and ``environ``; without it the run has none.
    """
    fake = fake or FakePmcpRun()
    artifact = write_project(
        tmp_path, deploy_toml=deploy_toml, bootstrap=bootstrap, extra_files=extra_files
    )
    config, _ = load_deploy_config(tmp_path / ".pmcp" / "deploy.toml")
    fields: dict[str, Any] = {
        "server_name": config.server.name,
        "pmcp_api_url": base_url,
        "artifact": artifact,
        "timeout_minutes": 10,
    }
    if secrets is not None:
        fields.update(secrets=secrets, prune_secrets=prune_secrets)
    if credentials == "client":
        fields.update(pmcp_client_id=DEFAULT_CLIENT_ID, pmcp_client_secret=DEFAULT_CLIENT_SECRET)
    elif credentials == "token":
        fields.update(pmcp_access_token=fake.mint_access_token())
    fields.update(settings or {})
    merged = dict(config.environment)
    merged.update(environment or {})
    log = io.StringIO()
    console = Platform(environ={}, log_stream=log)
    console.debug_enabled = True
    clock = clock or FakeClock()
    fake.sleep = clock.sleep

    def no_oidc(audience: str) -> str:
        pytest.fail("pmcp.run must never ask for an OIDC token")

    context = make_context(
        target="pmcp-run",
        root=tmp_path,
        inputs=fields,
        config=config,
        environment=merged,
        # DEPLOY_TOML's [secrets] requires API_KEY: the run's variable of that name gives it.
        environ={"API_KEY": "api-key-from-a-ci-secret", **(environ or {})},
        version=version,
        console=console,
        transport=None if network else (transport or httpx.MockTransport(fake)),
        deadline=Deadline(deadline_seconds, clock=clock),
        sleep=clock.sleep,
        id_token=no_oidc,
    )
    if secrets is not None:
        resolved = resolve_secrets(
            context.settings.secrets,
            given_source="input 'secrets'",
            config=config,
            environ=dict(environ or {}),
            environment=context.project.environment,
            environment_input=context.settings.environment,
            prune=context.settings.prune_secrets,
            mask=console.mask,
        )
        project = replace(
            context.project, environment=resolved.environment, secrets=resolved.secrets
        )
        context = replace(context, project=project)
        if resolved.problems:
            pytest.fail(f"the secrets have problems: {resolved.problems}")
    return Harness(create(context), context, fake, log, artifact, clock)


def secret_values(harness: Harness) -> list[str]:
    """Every secret the run saw or minted: nothing of it may be printed."""
    found = [
        DEFAULT_CLIENT_SECRET,
        harness.context.settings.inputs.text("pmcp-client-secret"),
        harness.context.settings.inputs.text("pmcp-access-token"),
    ]
    for request in harness.fake.requests_to("/graphql"):
        found.append(request.headers.get("Authorization", ""))
    for request in harness.fake.requests_to("/oauth2/token"):
        body = request.body.decode()
        for part in body.split("&"):
            name, _, value = part.partition("=")
            if "token" in name and name != "grant_type":
                found.append(value)
    return [value for value in found if value]


def call_tool(
    fake: FakePmcpRun, url: str, tool: str, arguments: Mapping[str, Any] | None = None
) -> str:
    """Call ``tool`` on the MCP server the fake serves at ``url`` (in process); its text."""
    return mcp_tool.call_tool(url, tool, arguments, transport=httpx.MockTransport(fake))


def graphql_tokens(fake: FakePmcpRun) -> list[str]:
    """The Authorization header of every GraphQL request the fake received."""
    return [r.headers.get("Authorization", "") for r in fake.requests_to("/graphql")]


def uploaded(fake: FakePmcpRun, kind: str) -> list[Upload]:
    """The uploads of ``kind`` ("template" or "bootstrap") that arrived whole."""
    return [u for u in fake.uploads.values() if u.kind == kind and u.stored]


def named_toml(name: str) -> str:
    """A minimal deploy.toml for a server called ``name``."""
    return f'[target]\ntype = "pmcp-run"\n[server]\nname = "{name}"\n[environment]\n'


#: cdk synth emits an explicit DependsOn on the role next to the GetAtt; the golden keeps it.
ACCEPTED_LINT = {"W3005"}


def deployed_template(h: Harness) -> dict[str, Any]:
    """Deploy, and return the CloudFormation template that was uploaded."""
    h.target.deploy()
    (upload,) = [u for u in h.fake.uploads.values() if u.kind == "template" and u.stored]
    template: dict[str, Any] = json.loads(upload.data)
    return template


def lint(template: dict[str, Any], region: str) -> list[str]:
    """What cfn-lint finds in ``template`` (beyond what the golden itself has)."""
    matches = cfnlint.api.lint(template_bytes(template).decode(), regions=[region])
    return [str(m) for m in matches if m.rule.id not in ACCEPTED_LINT]
