"""Builders for the aws-lambda tests: run contexts against the proxy, offline contexts."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from pmcp_action.ci.base import Platform
from pmcp_action.context import RunContext
from pmcp_action.deadline import Deadline
from pmcp_action.secrets import ServerSecrets
from pmcp_action.settings.deploy_toml import DeployConfig, ServerConfig
from pmcp_action.targets.aws_lambda.target import AwsLambdaTarget
from tests.fakes.aws_lambda import MotoProxy
from tests.fakes.oidc_issuer import FakeOidcIssuer
from tests.support.aws import DEPLOYER_ROLE, REGION, elf_bootstrap
from tests.support.context import make_context

#: The ``aws`` fixture: a boto3 client of a service, straight to moto.
AwsFactory = Callable[[str], Any]


@dataclass
class Harness:
    """Builds run contexts against the proxy; keeps what each run printed."""

    tmp_path: Path
    proxy: MotoProxy
    issuer: FakeOidcIssuer
    #: The run's inputs by attribute name (given to the action as INPUT_*).
    settings: dict[str, Any]
    config: DeployConfig
    environment: dict[str, str]
    environ: dict[str, str]
    logs: list[io.StringIO] = field(default_factory=list)
    consoles: list[Platform] = field(default_factory=list)
    deadline_seconds: float = 120.0
    clock: Callable[[], float] | None = None
    sleep: Callable[[float], None] = lambda _s: None
    #: The run's ID token source (default: the fake GitHub issuer, unmasked on purpose).
    id_token: Callable[[str], str] | None = None
    #: The server's secrets this run gives (name -> value), masked as the run masks them.
    secrets: dict[str, str] = field(default_factory=dict)
    #: prune-secrets, and the names deploy.toml's [secrets] requires.
    prune_secrets: bool = False
    required_secrets: tuple[str, ...] = ()

    def write_bootstrap(self, marker: bytes = b"v1", machine: int = 183) -> Path:
        path = self.tmp_path / "bootstrap"
        path.write_bytes(elf_bootstrap(marker, machine))
        path.chmod(0o755)
        return path

    def context(self, **settings_changes: Any) -> RunContext:
        log = io.StringIO()
        console = Platform(environ={}, log_stream=log)
        console.debug_enabled = True
        self.logs.append(log)
        self.consoles.append(console)
        inputs = {**self.settings, **settings_changes}
        deadline = (
            Deadline(self.deadline_seconds, clock=self.clock)
            if self.clock
            else Deadline(self.deadline_seconds)
        )
        context = make_context(
            target="aws-lambda",
            root=self.tmp_path,
            inputs=inputs,
            config=self.config,
            environment=self.environment,
            environ=self.environ,
            version="1.0.0",
            console=console,
            deadline=deadline,
            sleep=self.sleep,
            # Deliberately not masked here: the target must mask what it receives.
            id_token=self.id_token or self.issuer.issue,
        )
        for value in self.secrets.values():
            console.mask(value)
        secrets = ServerSecrets(
            values=MappingProxyType(dict(self.secrets)),
            sources=MappingProxyType({name: "input 'secrets'" for name in self.secrets}),
            required=self.required_secrets,
            missing=tuple(n for n in self.required_secrets if n not in self.secrets),
            prune=self.prune_secrets,
        )
        return replace(context, project=replace(context.project, secrets=secrets))

    def target(self, *, direct_upload_limit: int | None = None, **settings_changes: Any) -> Any:

        context = self.context(**settings_changes)
        if direct_upload_limit is None:
            return AwsLambdaTarget(context)
        return AwsLambdaTarget(context, direct_upload_limit=direct_upload_limit)

    @property
    def output(self) -> str:
        return "".join(log.getvalue() for log in self.logs)

    @property
    def last_output(self) -> str:
        return self.logs[-1].getvalue() if self.logs else ""


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def offline_context(
    tmp_path: Path,
    *,
    config: DeployConfig | None = None,
    environment: dict[str, str] | None = None,
    environ: dict[str, str] | None = None,
    **settings_values: Any,
) -> RunContext:
    """A context for checks that never reach the network."""
    values: dict[str, Any] = {
        "server_name": "demo",
        "region": REGION,
        "role_to_assume": DEPLOYER_ROLE,
    }
    values.update(settings_values)

    def no_token(_audience: str) -> str:
        pytest.fail("no token may be requested offline")

    return make_context(
        target="aws-lambda",
        root=tmp_path,
        inputs=values,
        config=config or DeployConfig(server=ServerConfig(name="demo")),
        environment=environment,
        environ=environ,
        console=Platform(environ={}, log_stream=io.StringIO()),
        deadline=Deadline(60),
        id_token=no_token,
    )


MUTATING_PREFIXES = (
    "Create",
    "Update",
    "Put",
    "Publish",
    "Add",
    "Attach",
    "Tag",
    "Untag",
    "Delete",
    "Schedule",
    "Revoke",
    "Retire",
)


def mutations(proxy: MotoProxy) -> list[str]:
    """The operations the proxy saw that change something."""
    return [
        op
        for op in proxy.operations()
        if op.startswith(MUTATING_PREFIXES) or op.startswith(("S3 PUT", "S3 POST"))
    ]


def write_log_lines(aws: AwsFactory, function: str, version: str, lines: list[str]) -> None:
    """What a version's execution environment wrote, as Lambda puts it in the group."""
    logs = aws("logs")
    group = f"/aws/lambda/{function}"
    if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        logs.create_log_group(logGroupName=group)
    stream = f"2026/12/01/[{version}]0123456789abcdef"
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000) + 1000
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": now + i, "message": line} for i, line in enumerate(lines)],
    )
