"""Builders of the google-cloud-run tests: a key JSON, the deploy steps over the fake, and
the target in a world of fakes (Google, Artifact Registry's Docker registry, the CI's OIDC
issuer)."""

from __future__ import annotations

import io
import json
from collections.abc import Collection, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from pmcp_action.ci.base import Platform
from pmcp_action.context import RunContext
from pmcp_action.deadline import Deadline
from pmcp_action.errors import Problem
from pmcp_action.result import TargetResult
from pmcp_action.secrets import ServerSecrets
from pmcp_action.settings.deploy_toml_reading import load_deploy_config
from pmcp_action.targets.google_cloud_run.cloud_logging import CloudLoggingApi
from pmcp_action.targets.google_cloud_run.config import GoogleConfig, resolve
from pmcp_action.targets.google_cloud_run.connection import Connection
from pmcp_action.targets.google_cloud_run.credentials import GoogleToken
from pmcp_action.targets.google_cloud_run.deploying import Steps
from pmcp_action.targets.google_cloud_run.endpoints import GoogleEndpoints
from pmcp_action.targets.google_cloud_run.run_api import RunApi
from pmcp_action.targets.google_cloud_run.service import ServiceSettings, serving_revision
from pmcp_action.targets.google_cloud_run.target import GoogleCloudRunTarget
from tests.fakes.google_cloud_run import (
    FakeArtifactRegistryDocker,
    FakeCloudLogging,
    FakeCloudRun,
    FakeGoogleCloud,
    LogEntry,
)
from tests.fakes.oidc_issuer import FakeOidcIssuer
from tests.support.context import make_context

__all__ = [
    "API",
    "DEMO",
    "DEPLOYER",
    "ENDPOINT",
    "LOG_TOKEN",
    "OIDC",
    "PARENT",
    "PROVIDER",
    "REGISTRY",
    "REPO",
    "SERVICE",
    "SHA",
    "World",
    "first_deploy",
    "image_of",
    "logging_api",
    "logging_fake",
    "problems_text",
    "promote",
    "resolve_config",
    "run_api_at",
    "run_api_over",
    "serving",
    "service_account_key",
    "service_body",
    "settings_of",
    "stage",
    "steps_for",
    "with_secrets",
]


def service_account_key(email: str) -> tuple[str, bytes]:
    """A key JSON for ``email`` and its PEM public key (what the fake checks signatures with)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    text = json.dumps(
        {
            "type": "service_account",
            "project_id": "demo-project",
            "private_key_id": "kid-1",
            "private_key": pem,
            "client_email": email,
            "token_uri": "https://oauth2.googleapis.com/token",
        }
    )
    return text, public


#: The Workload Identity provider the tests' configurations name.
PROVIDER = "projects/123456789/locations/global/workloadIdentityPools/ci-pool/providers/github"
#: The service account the tests deploy as.
DEPLOYER = "deployer@demo-project.iam.gserviceaccount.com"
#: The Google API origin of the in-process tests (PMCP_GOOGLE_API_URL).
ENDPOINT = "http://127.0.0.1:9"
#: Where the tests' services live, and the service they deploy.
PARENT = "projects/demo-project/locations/us-central1"
SERVICE = f"{PARENT}/services/calc"
#: An image reference by digest, but for the digest's 64 hex digits.
REPO = "us-central1-docker.pkg.dev/demo-project/pmcp/calc@sha256:"
#: Project ids our configuration accepts; the API fakes take any.
DEMO = "demo-project"


#: Inputs that sign in with OIDC to demo-project.
OIDC = {"gcp-project": DEMO, "gcp-workload-identity-provider": PROVIDER}


def resolve_config(
    tmp_path: Path,
    inputs: dict[str, Any] | None = None,
    *,
    toml: str = "",
    environ: dict[str, str] | None = None,
    environment: dict[str, str] | None = None,
    server_name: str = "calc",
    secrets: Mapping[str, str] | None = None,
    required: Collection[str] = (),
) -> tuple[GoogleConfig, list[Problem], str]:
    """The configuration of ``calc`` from ``inputs`` (OIDC by default), its problems and
    what the console printed; ``toml`` is appended to a deploy.toml naming the server;
    ``secrets`` and ``required`` are the server's secrets."""
    config = None
    if toml:
        path = tmp_path / ".pmcp" / "deploy.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f'[server]\nname = "{server_name}"\n{toml}', encoding="utf-8")
        config = load_deploy_config(path)[0]
    log = io.StringIO()
    context = make_context(
        target="google-cloud-run",
        root=tmp_path,
        inputs=inputs if inputs is not None else OIDC,
        config=config,
        environ=environ,
        environment=environment,
        server_name=server_name,
        console=Platform(environ={}, log_stream=log),
    )
    context = with_secrets(context, secrets, required=required)
    resolved, problems = resolve(context)
    return resolved, problems, log.getvalue()


def problems_text(problems: list[Problem]) -> str:
    """Every problem on a line: where, what (fix)."""
    return "\n".join(f"{p.where}: {p.what} ({p.fix})" for p in problems)


#: The token the logging fake accepts.
LOG_TOKEN = "ya29.logs-token"


def logging_fake() -> FakeCloudLogging:
    """Cloud Logging with lines of two revisions of calc (and some of others), for LOG_TOKEN."""
    fake = FakeCloudLogging(accepts=lambda token: token == LOG_TOKEN)
    for i, (revision, stream) in enumerate(
        [("calc-00001", "stdout"), ("calc-00002", "stdout"), ("calc-00002", "stderr")] * 3
    ):
        fake.add(
            LogEntry(
                "demo", "calc", revision, f"2026-12-02T00:00:{i:02d}Z", f"line {i}", stream=stream
            )
        )
    fake.add(LogEntry("demo", "other", "other-00001", "2026-12-02T00:01:00Z", "not ours"))
    fake.add(LogEntry("elsewhere", "calc", "calc-00002", "2026-12-02T00:01:00Z", "not ours"))
    fake.add(
        LogEntry(
            "demo",
            "calc",
            "calc-00002",
            "2026-12-02T00:00:30Z",
            payload={"message": "structured", "level": "error"},
            severity="ERROR",
        )
    )
    return fake


def logging_api(transport: httpx.BaseTransport, token: str = LOG_TOKEN) -> CloudLoggingApi:
    """Our Cloud Logging client for project demo over ``transport``."""
    client = httpx.Client(transport=transport)
    return CloudLoggingApi(client, GoogleEndpoints(ENDPOINT), token=token, project="demo")


def image_of(letter: str) -> str:
    """An image whose digest is ``letter`` 64 times."""
    return REPO + letter * 64


def run_api_over(fake: FakeCloudRun, *, token: str = "tok") -> RunApi:
    """Our Cloud Run client over the fake in process (project demo-project, us-central1)."""
    fake.tokens.setdefault(token, DEPLOYER)
    return RunApi(
        httpx.Client(transport=httpx.MockTransport(fake)),
        GoogleEndpoints(ENDPOINT),
        token=token,
        project=DEMO,
        region="us-central1",
        deadline=Deadline(30),
        sleep=lambda _s: None,
    )


def run_api_at(url: str, closing: ExitStack, *, token: str = "tok") -> RunApi:
    """Our Cloud Run client at the served fake (its client closed after the test)."""
    return RunApi(
        closing.enter_context(httpx.Client()),
        GoogleEndpoints(url),
        token=token,
        project=DEMO,
        region="us-central1",
        deadline=Deadline(30),
        sleep=lambda _s: None,
    )


def settings_of(image: str) -> ServiceSettings:
    """What a deploy of ``image`` to calc sets, by cargo-pmcp's defaults."""
    return ServiceSettings(server_name="calc", image=image)


def service_body(image: str, revision: str = "") -> dict[str, Any]:
    """A v2 Service body as our steps write it (``revision`` names its new revision)."""
    template: dict[str, Any] = {
        "containers": [
            {
                "image": image,
                "ports": [{"containerPort": 8080}],
                "resources": {"limits": {"cpu": "1", "memory": "512Mi"}},
                "env": [{"name": "RUST_LOG", "value": "info"}],
            }
        ],
        "scaling": {"minInstanceCount": 0, "maxInstanceCount": 10},
    }
    if revision:
        template["revision"] = revision
    return {
        "labels": {"managed-by": "pmcp", "pmcp-server": "calc"},
        "ingress": "INGRESS_TRAFFIC_ALL",
        "template": template,
    }


def with_secrets(
    context: RunContext,
    values: Mapping[str, str] | None = None,
    *,
    required: Collection[str] = (),
    prune: bool = False,
) -> RunContext:
    """``context`` whose project has the server's secrets ``values`` (as the pipeline
    resolves them from the secrets input), ``required`` by deploy.toml, ``prune`` asked."""
    given = dict(values or {})
    secrets = ServerSecrets(
        values=MappingProxyType(given),
        sources=MappingProxyType({name: "input 'secrets'" for name in given}),
        required=tuple(sorted(required)),
        missing=tuple(sorted(set(required) - set(given))),
        prune=prune,
    )
    return replace(context, project=replace(context.project, secrets=secrets))


def steps_for(
    root: Path,
    image: str,
    *,
    fake: FakeCloudRun | None = None,
    base: str = ENDPOINT,
    token: str = "tok",
    secrets: Mapping[str, str] | None = None,
    required: Collection[str] = (),
    prune: bool = False,
    **inputs: Any,
) -> Steps:
    """The deploy steps for service ``calc`` in project demo-project deploying ``image``, over the
    fake in process (``fake``) or over the network at ``base``, signed in as ``token``, with
    the server's ``secrets`` (``required`` by deploy.toml, ``prune`` asked)."""
    context = make_context(
        target="google-cloud-run",
        root=root,
        inputs={
            "gcp-project": DEMO,
            "gcp-workload-identity-provider": PROVIDER,
            "image": image,
            **inputs,
        },
        environ={"PMCP_GOOGLE_API_URL": base},
        server_name="calc",
        transport=httpx.MockTransport(fake) if fake is not None else None,
    )
    context = with_secrets(context, secrets, required=required, prune=prune)
    config, problems = resolve(context)
    assert problems == [], problems
    if fake is not None:
        fake.tokens.setdefault(token, DEPLOYER)
    session = GoogleToken(token, DEPLOYER, "workload-identity")
    return Steps(context, config, Connection.over(context.http(), session, context, config))


def first_deploy(root: Path, fake: FakeCloudRun, letter: str = "a") -> TargetResult:
    """A first deploy of ``image_of(letter)``."""
    steps = steps_for(root, image_of(letter), fake=fake)
    return steps.first_deploy(steps.survey(None), None)


def stage(root: Path, fake: FakeCloudRun, letter: str) -> TargetResult:
    """``image_of(letter)`` staged as a candidate."""
    steps = steps_for(root, image_of(letter), fake=fake)
    return steps.stage(steps.survey(None), None)


def promote(root: Path, fake: FakeCloudRun, staged: TargetResult) -> TargetResult:
    return steps_for(root, image_of("f"), fake=fake).promote(staged)


def serving(fake: FakeCloudRun) -> str:
    """The revision that serves the service now."""
    return serving_revision(fake.services[SERVICE].to_api())


#: The World's Google API origin (in process) and its registry.
API = "http://127.0.0.1:7001"
REGISTRY = "127.0.0.1:5000"
SHA = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class World:
    google: FakeGoogleCloud
    registry: FakeArtifactRegistryDocker
    issuer: FakeOidcIssuer
    tmp_path: Path
    key_json: str
    log: io.StringIO

    def transport(self) -> httpx.MockTransport:
        def route(request: httpx.Request) -> httpx.Response:
            fake = self.registry if request.url.port == 5000 else self.google
            return fake(request)

        return httpx.MockTransport(route)

    def target(
        self,
        inputs: dict[str, Any],
        *,
        secrets: Mapping[str, str] | None = None,
        required: Collection[str] = (),
        prune: bool = False,
        **environ: str,
    ) -> GoogleCloudRunTarget:
        context = make_context(
            target="google-cloud-run",
            root=self.tmp_path,
            inputs={"gcp-project": "demo-project", **inputs},
            environ={
                "PMCP_GOOGLE_API_URL": API,
                "PMCP_GOOGLE_REGISTRY_HOST": REGISTRY,
                "GITHUB_SHA": SHA,
                **environ,
            },
            environment={"GREETING": "hello", "PORT": "1234"},
            server_name="calc",
            console=Platform(environ={}, log_stream=self.log),
            transport=self.transport(),
            id_token=self.issuer.issue,
        )
        context = with_secrets(context, secrets, required=required, prune=prune)
        return GoogleCloudRunTarget(context)

    def secrets(self) -> list[str]:
        private_key = json.loads(self.key_json)["private_key"]
        issued = [t.token for t in self.issuer.issued]
        return [self.key_json, private_key, *self.google.tokens, *issued]

    def assert_no_secret_logged(self) -> None:
        text = self.log.getvalue()
        for secret in self.secrets():
            assert secret not in text
        for line in json.loads(self.key_json)["private_key"].splitlines()[1:-1]:
            assert line not in text
