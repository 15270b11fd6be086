"""registry.publish: read, sign in, publish once, read back; a race lost to another run, what
the registry refuses, and a verification that proved nothing."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest

from pmcp_action.ci.base import Platform
from pmcp_action.context import RunContext
from pmcp_action.errors import PmcpActionError
from pmcp_action.pipeline import _publish
from pmcp_action.registry.plan import RegistryPlan
from pmcp_action.registry.publish import RegistryError, publish
from pmcp_action.result import RegistryPublication, Verification, VerificationStatus
from tests.fakes.mcp_registry import CURRENT_SCHEMA, FakeMcpRegistry
from tests.fakes.oidc_issuer import FakeOidcIssuer
from tests.support.context import make_context

from .helpers import REGISTRY

NAME = "io.github.octo-org/weather"
URL = "https://weather.example/mcp"
PLAN = RegistryPlan(REGISTRY, NAME, "Weather", tag_version="", crate_version="0.9.0")


def verified(url: str = URL, server_version: str = "1.2.3") -> Verification:
    return Verification(VerificationStatus.VERIFIED, url=url, server_version=server_version)


def context(
    tmp_path: Path, transport: httpx.BaseTransport, issuer: FakeOidcIssuer | None = None
) -> tuple[RunContext, io.StringIO]:
    log = io.StringIO()
    made = make_context(
        target="pmcp-run",
        root=tmp_path,
        transport=transport,
        console=Platform(environ={}, log_stream=log),
        id_token=(issuer or FakeOidcIssuer(repository="octo-org/r")).issue,
    )
    return made, log


def test_the_version_is_the_verified_servers_own_unless_a_tag_names_one(tmp_path: Path) -> None:
    fake = FakeMcpRegistry()
    run, _ = context(tmp_path, httpx.MockTransport(fake))

    assert publish(run, PLAN, verified()) == RegistryPublication(NAME, "1.2.3", URL, True)
    tagged = RegistryPlan(REGISTRY, NAME, "Weather", tag_version="2.0.0", crate_version="0.9.0")
    assert publish(run, tagged, verified()).version == "2.0.0"
    assert publish(run, PLAN, verified(server_version="")).version == "0.9.0"
    assert fake.versions(NAME) == ["1.2.3", "2.0.0", "0.9.0"]


def test_a_race_lost_to_a_run_with_the_same_endpoint_is_success(tmp_path: Path) -> None:
    fake = FakeMcpRegistry()
    other = {
        "$schema": CURRENT_SCHEMA,
        "name": NAME,
        "description": "Weather",
        "version": "1.2.3",
        "remotes": [{"type": "streamable-http", "url": URL}],
    }

    def racing(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v0/publish" and not fake.versions(NAME):
            fake.seed(other)  # another job of the release published first
        return fake(request)

    run, log = context(tmp_path, httpx.MockTransport(racing))

    assert publish(run, PLAN, verified()).version == "1.2.3"
    assert fake.versions(NAME) == ["1.2.3"]
    assert "Published io.github.octo-org/weather version 1.2.3" in log.getvalue()


def test_a_race_lost_to_another_endpoint_fails(tmp_path: Path) -> None:
    fake = FakeMcpRegistry()

    def racing(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v0/publish" and not fake.versions(NAME):
            fake.seed({"name": NAME, "version": "1.2.3", "remotes": [{"type": "sse", "url": "x"}]})
        return fake(request)

    run, _ = context(tmp_path, httpx.MockTransport(racing))
    with pytest.raises(RegistryError) as raised:
        publish(run, PLAN, verified())
    assert raised.value.message == (
        f"{NAME} version 1.2.3 is already in the MCP Registry with no streamable-http remote, "
        f"not the verified endpoint {URL}. A published version never changes."
    )


def test_what_the_official_registry_refuses_comes_back_named(tmp_path: Path) -> None:
    run, _ = context(tmp_path, httpx.MockTransport(FakeMcpRegistry()))
    with pytest.raises(PmcpActionError) as raised:
        publish(run, PLAN, verified(url="http://127.0.0.1:8080/mcp"))
    assert raised.value.message == (
        f"Publishing {NAME} version 1.2.3 to the MCP Registry failed: HTTP 400: Failed to "
        "publish server: invalid remote URL: http://127.0.0.1:8080/mcp."
    )


def test_a_refused_sign_in_says_what_the_token_must_be(tmp_path: Path) -> None:
    fake = FakeMcpRegistry(audience="https://registry.modelcontextprotocol.io")
    run, _ = context(tmp_path, httpx.MockTransport(fake))
    with pytest.raises(PmcpActionError) as raised:
        publish(run, PLAN, verified())
    assert raised.value.message == (
        "Signing in to the MCP Registry with the job's OIDC token failed: HTTP 401: Token "
        "exchange failed: failed to validate OIDC token: invalid audience: expected "
        f"https://registry.modelcontextprotocol.io, got {REGISTRY}."
    )
    assert "registry-url must be the registry the token is for" in raised.value.remediation
    assert fake.requests_to("/v0/publish") == []


def test_without_any_version_nothing_is_sent(tmp_path: Path) -> None:
    fake = FakeMcpRegistry()
    run, _ = context(tmp_path, httpx.MockTransport(fake))
    empty = RegistryPlan(REGISTRY, NAME, "Weather", tag_version="", crate_version="")
    with pytest.raises(RegistryError, match="the crate's version in Cargo.toml"):
        publish(run, empty, verified(server_version=""))
    assert fake.requests == []


@pytest.mark.parametrize(
    "verification",
    [
        None,
        Verification(VerificationStatus.SKIPPED, detail="protected by OAuth; no token given"),
    ],
)
def test_an_unproven_server_is_never_published(
    tmp_path: Path, verification: Verification | None
) -> None:
    fake = FakeMcpRegistry()
    run, _ = context(tmp_path, httpx.MockTransport(fake))
    with pytest.raises(RegistryError) as raised:
        _publish(run, PLAN, verification)
    assert raised.value.message.startswith(
        "The deploy succeeded, but it was not published to the MCP Registry: verification did "
        "not prove the server ("
    )
    assert fake.requests == []
