"""A whole run with publish-registry: the pmcp-run fake deploys, the registry fake publishes.

Hosts are told apart by name under one in-process transport: the pmcp.run API (and the
deployed server) at :data:`API`, the registry at :data:`REGISTRY`. GitHub's OIDC token
endpoint is a real loopback server, as the ``id`` library reads it from the process
environment.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from pmcp_action.__main__ import main
from tests.fakes.mcp_registry import FakeMcpRegistry
from tests.fakes.oidc_issuer import FakeOidcIssuer
from tests.fakes.pmcp_run import DEFAULT_CLIENT_SECRET, FakePmcpRun
from tests.support.github import parse_github_output

__all__ = [
    "API",
    "CARGO_TOML",
    "DOMAIN",
    "OWNER",
    "REGISTRY",
    "HostRouter",
    "Registry",
    "SERVER_SECRET",
    "Run",
]

API = "https://api.pmcp.test"
REGISTRY = "https://registry.mcp.test"
#: The server's own domain in front of pmcp.run (given as verify-url): one endpoint for
#: every deployment, as a custom domain gives.
DOMAIN = "https://mcp.weather.test/mcp"
OWNER = "octo-org"
#: The server's own secret (deploy.toml requires API_KEY), given as the run's variable.
SERVER_SECRET = "api-key-for-the-registry-runs"
CARGO_TOML = (
    '[package]\nname = "weather"\nversion = "1.2.3"\ndescription = "Weather forecasts and '
    'alerts for any city"\n'
)


class HostRouter(httpx.BaseTransport):
    """One transport for several fakes, each answering for its own host."""

    def __init__(self, by_host: dict[str, httpx.MockTransport]) -> None:
        self.by_host = by_host

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        transport = self.by_host.get(request.url.host)
        if transport is None:
            raise httpx.ConnectError(f"no fake answers for {request.url.host}", request=request)
        return transport.handle_request(request)


@dataclass
class Run:
    code: int
    printed: str
    outputs: dict[str, str]
    summary: str
    report: str

    @property
    def everything(self) -> str:
        return "\n".join([self.printed, json.dumps(self.outputs), self.summary, self.report])


@dataclass
class Registry:
    """The fakes of one test and a way to run the program against them."""

    project: Path
    gha_files: dict[str, Path]
    env: dict[str, str]
    pmcp: FakePmcpRun = field(default_factory=FakePmcpRun)
    registry: FakeMcpRegistry = field(default_factory=FakeMcpRegistry)
    issuer: FakeOidcIssuer = field(default_factory=lambda: FakeOidcIssuer(repository=f"{OWNER}/r"))

    def _domain(self, request: httpx.Request) -> httpx.Response:
        """The custom domain: whatever deployment of weather is live answers it."""
        live = self.pmcp.live_deployment("weather")
        if live is None:
            return httpx.Response(404, text="no live deployment behind the domain")
        forwarded = httpx.Request(
            request.method,
            f"{API}/{live.id}/mcp",
            headers=[(k, v) for k, v in request.headers.items() if k.lower() != "host"],
            content=request.content,
        )
        return self.pmcp(forwarded)

    def run(self, **inputs: str) -> Run:
        for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
            self.gha_files[name].write_text("")
        env = dict(self.env)
        env |= {f"INPUT_{k.upper().replace('_', '-')}": v for k, v in inputs.items()}
        out, err = io.StringIO(), io.StringIO()
        transport = HostRouter(
            {
                "api.pmcp.test": httpx.MockTransport(self.pmcp),
                "registry.mcp.test": httpx.MockTransport(self.registry),
                "mcp.weather.test": httpx.MockTransport(self._domain),
            }
        )
        code = main(
            [],
            environ=env,
            stdout=out,
            stderr=err,
            transport=transport,
            sleep=lambda _s: None,
        )
        report = self.gha_files["RUNNER_TEMP"] / "pmcp-deploy-report.json"
        printed = "\n".join(
            line
            for line in (out.getvalue() + err.getvalue()).splitlines()
            if not line.startswith("::add-mask::")
        )
        return Run(
            code,
            printed,
            parse_github_output(self.gha_files["GITHUB_OUTPUT"].read_text()),
            self.gha_files["GITHUB_STEP_SUMMARY"].read_text(),
            report.read_text() if report.is_file() else "",
        )

    def secrets(self) -> list[str]:
        """Every credential the runs used: the client secret, each OIDC and registry token."""
        return [
            DEFAULT_CLIENT_SECRET,
            SERVER_SECRET,
            *(issued.token for issued in self.issuer.issued),
            *self.registry.tokens,
        ]

    def assert_no_secret_in(self, run: Run) -> None:
        for secret in self.secrets():
            assert secret not in run.everything
            assert base64.b64encode(secret.encode()).decode() not in run.everything
