"""Builders for cloudflare-workers tests: a project with a bundle, a target over the fake."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from pmcp_action.artifact.workers_bundle import WorkersBundle
from pmcp_action.ci.base import Platform
from pmcp_action.settings.deploy_toml import DeployConfig
from pmcp_action.settings.deploy_toml_reading import load_deploy_config
from pmcp_action.targets.cloudflare_workers.target import CloudflareWorkersTarget
from tests.fakes.cloudflare_workers import TOKEN, FakeCloudflare
from tests.fakes.cloudflare_workers.stand_in import write_bundle
from tests.support.context import make_context

#: In-process API base: https, so the endpoint rule holds without loopback.
BASE = "https://api.cf.test/client/v4"
NAME = "weather"

DEPLOY_TOML = """\
[target]
type = "cloudflare-workers"

[server]
name = "weather"
mcp_path = "/mcp"

[environment]
GREETING = "hello"
"""


def write_project(
    root: Path,
    *,
    layout: str = "current",
    version: str = "1.0.0",
    broken: bool = False,
    deploy_toml: str = DEPLOY_TOML,
    wrangler_toml: str | None = None,
) -> Path:
    (root / ".pmcp").mkdir(parents=True, exist_ok=True)
    (root / ".pmcp" / "deploy.toml").write_text(deploy_toml)
    (root / "Cargo.toml").write_text(f'[package]\nname = "{NAME}"\nversion = "1.2.3"\n')
    if wrangler_toml is not None:
        (root / "deploy" / "cloudflare").mkdir(parents=True, exist_ok=True)
        (root / "deploy" / "cloudflare" / "wrangler.toml").write_text(wrangler_toml)
    return write_bundle(
        root / "deploy" / "cloudflare" / "build", layout=layout, version=version, broken=broken
    )


@dataclass
class Harness:
    target: CloudflareWorkersTarget
    fake: FakeCloudflare
    log: io.StringIO

    @property
    def output(self) -> str:
        return self.log.getvalue()

    def mutations(self) -> list[str]:
        return [f"{r.method} {r.path}" for r in self.fake.requests if r.method != "GET"]


def make_target(
    root: Path,
    fake: FakeCloudflare,
    *,
    inputs: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    token: str | None = TOKEN,
    account: bool = True,
    bundle_kind: WorkersBundle | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Harness:
    path = root / ".pmcp" / "deploy.toml"
    config = load_deploy_config(path)[0] if path.is_file() else DeployConfig()
    given: dict[str, Any] = {"cloudflare-api-base-url": BASE}
    if token is not None:
        given["cloudflare-api-token"] = token
    if account:
        given["cloudflare-account-id"] = "0123456789abcdef0123456789abcdef"
    given.update(inputs or {})
    log = io.StringIO()
    console = Platform(environ={}, log_stream=log)
    context = make_context(
        target="cloudflare-workers",
        root=root,
        inputs=given,
        config=config,
        environment=dict(config.environment),
        environ=environ,
        console=console,
        transport=transport or httpx.MockTransport(fake),
    )
    return Harness(CloudflareWorkersTarget(context, bundle_kind=bundle_kind), fake, log)
