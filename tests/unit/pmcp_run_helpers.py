"""Builders for pmcp-run target tests: a project on disk and a RunContext over the fake."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from pmcp_action.ci.base import Platform
from pmcp_action.context import RunContext
from pmcp_action.deadline import Deadline
from pmcp_action.deploy_config import load_deploy_config
from pmcp_action.targets.pmcp_run import PmcpRunTarget, create
from tests.fakes.artifacts import stand_in_bootstrap
from tests.fakes.pmcp_run import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakePmcpRun
from tests.support.context import make_context

#: In-process base URL: https, so the endpoint rule holds without loopback tricks.
BASE = "https://pmcp.test"
#: cargo-pmcp's renderer goldens (CloudFormation templates), vendored as test data.
GOLDEN_DIR = Path(__file__).resolve().parents[1] / "data" / "cfn-goldens"

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
) -> Harness:
    """A pmcp-run target over ``fake`` (MockTransport unless ``transport`` is given).

    ``network=True`` uses real sockets the way production does: every client gets its
    own connection pool (a transport shared between clients would leak sockets).

    ``credentials``: "client" (the fake's default machine client), "token" (a fresh
    access token), "none", or "raw" (pass the credential fields in ``settings``).
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
        environ=environ,
        version=version,
        console=console,
        transport=None if network else (transport or httpx.MockTransport(fake)),
        deadline=Deadline(deadline_seconds, clock=clock),
        sleep=clock.sleep,
        id_token=no_oidc,
    )
    return Harness(create(context), context, fake, log, artifact, clock)


def load_golden(name: str = "plain-lambda") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GOLDEN_DIR / f"{name}.golden.json").read_text())
    return data


def normalize_template(template: Mapping[str, Any], *, region: str, account: str) -> Any:
    """cargo-pmcp's semantic-golden normalizer (tests/support/mod.rs), ported.

    Drops template-level noise and per-resource Metadata, sentinelises the
    function code and policy name, canonicalises logical ids to
    ``<TypeSuffix>-<n>`` (two passes) and replaces the render's region and
    account inside ARNs by ``<region>``/``<account>`` as the reference golden does.
    """
    root = json.loads(json.dumps(template))
    for key in ("AWSTemplateFormatVersion", "Metadata", "Rules"):
        root.pop(key, None)
    resources: dict[str, Any] = root.pop("Resources", {})
    resources.pop("CDKMetadata", None)
    for resource in resources.values():
        resource.pop("Metadata", None)
        for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
            if resource.get(policy) == "Delete":
                resource.pop(policy)
        properties = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Lambda::Function" and "Code" in properties:
            properties["Code"] = {"S3Bucket": "<artifact>", "S3Key": "<artifact>"}
        if resource.get("Type") == "AWS::IAM::Policy" and "PolicyName" in properties:
            properties["PolicyName"] = "<policy-name>"
    for erase in (True, False):
        mapping = _canonical_ids(resources, erase)
        resources = {
            mapping.get(old, old): _rewrite(resource, mapping)
            for old, resource in resources.items()
        }
        for resource in resources.values():
            if "DependsOn" in resource:
                resource["DependsOn"] = sorted(resource["DependsOn"])
                if not resource["DependsOn"]:
                    del resource["DependsOn"]
        if "Outputs" in root:
            root["Outputs"] = _rewrite(root["Outputs"], mapping)
    root["Resources"] = resources
    for key in ("Outputs", "Parameters", "Conditions"):
        if key in root and not root[key]:
            del root[key]
    text = json.dumps(root, sort_keys=True)
    text = text.replace(f":{region}:{account}:", ":<region>:<account>:")
    return json.loads(text)


def _fingerprint(value: Any, erase: bool) -> Any:
    if isinstance(value, dict):
        if erase and len(value) == 1 and "Ref" in value:
            return "<ref>"
        if erase and len(value) == 1 and "Fn::GetAtt" in value:
            att = value["Fn::GetAtt"]
            attr = att[1] if isinstance(att, list) and len(att) == 2 else str(att).partition(".")[2]
            return f"<getatt:{attr}>"
        return {k: _fingerprint(v, erase) for k, v in value.items()}
    if isinstance(value, list):
        return [_fingerprint(v, erase) for v in value]
    return value


def _canonical_ids(resources: Mapping[str, Any], erase: bool) -> dict[str, str]:
    def key(old: str) -> tuple[str, str, str]:
        resource = resources[old]
        fingerprint = _fingerprint(resource.get("Properties"), erase)
        return (resource.get("Type", ""), json.dumps(fingerprint, sort_keys=True), old)

    counters: dict[str, int] = {}
    mapping: dict[str, str] = {}
    for old in sorted(resources, key=key):
        suffix = resources[old].get("Type", "Unknown").rsplit("::", 1)[-1]
        index = counters.get(suffix, 0)
        mapping[old] = f"{suffix}-{index}"
        counters[suffix] = index + 1
    return mapping


def _rewrite(value: Any, mapping: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(value.get("Ref"), str):
            return {"Ref": mapping.get(value["Ref"], value["Ref"])}
        if len(value) == 1 and "Fn::GetAtt" in value:
            att = value["Fn::GetAtt"]
            if isinstance(att, list) and len(att) == 2:
                return {"Fn::GetAtt": [mapping.get(att[0], att[0]), att[1]]}
            return value
        return {
            k: (
                [mapping.get(d, d) for d in v]
                if k == "DependsOn" and isinstance(v, list)
                else _rewrite(v, mapping)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_rewrite(v, mapping) for v in value]
    return value


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
