"""auth: ambient — an app's managed identity endpoint, the az CLI's sign-in, a VM's IMDS, in
that order; no app registration needed; every token masked."""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path

import httpx
import pytest

from pmcp_action.ci.base import Platform
from pmcp_action.errors import CredentialExchangeError
from pmcp_action.targets.azure_container_apps import ambient
from pmcp_action.targets.azure_container_apps.credentials import sign_in
from tests.fakes.azure_container_apps import FakeArm, FakeEntra
from tests.fakes.azure_container_apps.managed_identity import (
    FakeManagedIdentity,
    install_fake_az,
)

from .helpers import ARM, IMAGE_1, LOGIN, SUBSCRIPTION, TENANT, client, resolved

#: The managed identity fakes' origin (in process, behind MockTransport).
IDENTITY = "http://127.0.0.1:7003"
#: Only what ambient sign-in needs: no tenant, no client id.
AMBIENT = {"azure-tenant-id": "", "azure-client-id": "", "auth": "ambient"}


def _context(tmp_path: Path, environ: dict[str, str], log: io.StringIO):
    context, config, problems = resolved(
        tmp_path,
        AMBIENT,
        environ={"PMCP_AZURE_LOGIN_URL": LOGIN, "PMCP_AZURE_ARM_URL": ARM, **environ},
        console=Platform(environ={}, log_stream=log),
    )
    assert problems == []
    return context, config


def _transport(entra: FakeEntra, identity: FakeManagedIdentity, arm: FakeArm | None = None):
    def route(request: httpx.Request) -> httpx.Response:
        if request.url.port == 7003:
            return identity(request)
        if request.url.port == 7001:
            return entra(request)
        assert arm is not None, f"unexpected call {request.method} {request.url}"
        return arm(request)

    return httpx.MockTransport(route)


def test_the_az_clis_token_is_used_and_masked_without_an_app_registration(tmp_path: Path):
    entra, log = FakeEntra(), io.StringIO()
    identity = FakeManagedIdentity(entra)
    token, calls = install_fake_az(
        tmp_path / "bin", entra, tenant=TENANT, subscription=SUBSCRIPTION
    )
    context, config = _context(tmp_path, {"PATH": str(tmp_path / "bin")}, log)
    session = sign_in(context, config, client(_transport(entra, identity)))
    assert session.mode == "ambient" and session.access_token == token
    assert f"the az CLI's sign-in (tenant {TENANT})" in log.getvalue()
    assert json.loads(calls.read_text()) == [
        "account",
        "get-access-token",
        "--resource",
        "https://management.azure.com",
        "-o",
        "json",
    ]
    assert entra.requests == [] and identity.requests == []
    encoded = base64.b64encode(token.encode()).decode()
    context.console.info(f"echo {token} {encoded}")
    assert token not in log.getvalue() and encoded not in log.getvalue()


def test_before_az_login_the_error_says_to_run_it(tmp_path: Path):
    entra, log = FakeEntra(), io.StringIO()
    install_fake_az(
        tmp_path / "bin", entra, tenant=TENANT, subscription=SUBSCRIPTION, logged_in=False
    )
    context, config = _context(tmp_path, {"PATH": str(tmp_path / "bin")}, log)
    with pytest.raises(CredentialExchangeError) as caught:
        sign_in(context, config, client(_transport(entra, FakeManagedIdentity(entra))))
    assert "exited 1: ERROR: Please run 'az login'" in caught.value.message
    assert "Run az login" in caught.value.remediation


def test_an_az_that_hangs_is_stopped_at_its_timeout(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(ambient, "AZ_TIMEOUT_SECONDS", 0.5)
    entra, log = FakeEntra(), io.StringIO()
    install_fake_az(tmp_path / "bin", entra, tenant=TENANT, subscription=SUBSCRIPTION, delay=20)
    context, config = _context(tmp_path, {"PATH": str(tmp_path / "bin")}, log)
    with pytest.raises(CredentialExchangeError, match="did not answer within 0.5 s"):
        sign_in(context, config, client(_transport(entra, FakeManagedIdentity(entra))))


def test_an_apps_identity_endpoint_comes_first_and_its_header_is_masked(tmp_path: Path):
    entra, log = FakeEntra(), io.StringIO()
    identity = FakeManagedIdentity(entra)
    install_fake_az(tmp_path / "bin", entra, tenant=TENANT, subscription=SUBSCRIPTION)
    environ = {
        "PATH": str(tmp_path / "bin"),
        "IDENTITY_ENDPOINT": f"{IDENTITY}/msi/token",
        "IDENTITY_HEADER": identity.header_secret,
    }
    context, config = _context(tmp_path, environ, log)
    identity.faults.status(503, times=1)  # retried like every call
    session = sign_in(context, config, client(_transport(entra, identity)))
    assert session.access_token in entra.issued and session.expires_in == 86399
    assert "managed identity (IDENTITY_ENDPOINT) client 9999" in session.identity
    asked = identity.requests[-1]
    assert asked.headers["X-IDENTITY-HEADER"] == identity.header_secret
    assert "resource=https%3A%2F%2Fmanagement.azure.com&" in asked.url + "&"
    assert not (tmp_path / "bin" / "az-calls.jsonl").exists()
    context.console.info(f"{session.access_token} {identity.header_secret}")
    assert session.access_token not in log.getvalue()
    assert identity.header_secret not in log.getvalue()


def test_a_vms_imds_answers_without_az_and_names_an_unknown_user_assigned_identity(
    tmp_path: Path,
):
    entra, log = FakeEntra(), io.StringIO()
    identity = FakeManagedIdentity(entra)
    environ = {
        "PATH": str(tmp_path / "empty"),
        ambient.IMDS_URL_ENV: f"{IDENTITY}/metadata/identity/oauth2/token",
    }
    context, config = _context(tmp_path, environ, log)
    session = sign_in(context, config, client(_transport(entra, identity)))
    assert session.access_token in entra.issued
    assert identity.requests[-1].headers["Metadata"] == "true"
    assert "api-version=2018-02-01" in identity.requests[-1].url

    unknown = {**environ, "AZURE_CLIENT_ID": "00000000-0000-0000-0000-000000000001"}
    context, config = _context(tmp_path, unknown, io.StringIO())
    with pytest.raises(CredentialExchangeError) as caught:
        sign_in(context, config, client(_transport(entra, identity)))
    assert "HTTP 400 (invalid_request: Identity not found)" in caught.value.message
    assert "AZURE_CLIENT_ID" in caught.value.remediation


def test_an_imds_override_must_be_loopback(tmp_path: Path):
    entra = FakeEntra()
    environ = {"PATH": "", ambient.IMDS_URL_ENV: "http://imds.example/metadata"}
    context, config = _context(tmp_path, environ, io.StringIO())
    with pytest.raises(Exception, match="plain http"):
        sign_in(context, config, client(_transport(entra, FakeManagedIdentity(entra))))


def test_a_deploy_with_the_az_clis_sign_in_reaches_arm(tmp_path: Path):
    from pmcp_action.targets.azure_container_apps.target import AzureContainerAppsTarget

    entra, log = FakeEntra(), io.StringIO()
    arm = FakeArm(entra, SUBSCRIPTION)
    arm.base = ARM
    token, _ = install_fake_az(tmp_path / "bin", entra, tenant=TENANT, subscription=SUBSCRIPTION)
    context, config, problems = resolved(
        tmp_path,
        {**AMBIENT, "image": IMAGE_1},
        environ={
            "PMCP_AZURE_LOGIN_URL": LOGIN,
            "PMCP_AZURE_ARM_URL": ARM,
            "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        },
        console=Platform(environ={}, log_stream=log),
        transport=_transport(entra, FakeManagedIdentity(entra), arm),
    )
    assert problems == []
    result = AzureContainerAppsTarget(context, resolved=(config, problems)).deploy()
    assert result.url and arm.requests
    assert all(r.headers["Authorization"] == f"Bearer {token}" for r in arm.requests)
    assert token not in log.getvalue() + repr(result)
