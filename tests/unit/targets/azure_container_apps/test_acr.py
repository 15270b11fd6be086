"""The registry read or made (a taken name), and the ACR login without az: the challenge,
/oauth2/exchange, and where the Entra ID token may go."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest

from pmcp_action.ci.base import Platform
from pmcp_action.errors import DeployError, RemoteApiError
from pmcp_action.targets.azure_container_apps.acr import ACR_USER, acr_login
from tests.fakes.azure_container_apps import FakeArm, FakeEntra

from .helpers import CLIENT, SUBSCRIPTION, TENANT, RegistryWorld, client

SERVER = "calcregistry.azurecr.io"


def _arm_with_registry() -> tuple[FakeArm, str]:
    entra = FakeEntra()
    entra.add_app(CLIENT, TENANT, secret="s")
    token = "arm-token-for-the-test"
    entra.issued[token] = CLIENT
    arm = FakeArm(entra, SUBSCRIPTION)
    arm.groups["rg"] = {"id": "/subscriptions/x/resourceGroups/rg", "tags": {}}
    request = httpx.Request(
        "PUT",
        f"http://arm/subscriptions/{SUBSCRIPTION}/resourceGroups/rg/providers/"
        "Microsoft.ContainerRegistry/registries/calcregistry?api-version=2023-07-01",
        headers={"Authorization": f"Bearer {token}"},
        json={"location": "eastus", "sku": {"name": "Basic"}},
    )
    assert arm(request).status_code == 201
    return arm, token


def _login(handler: Any, token: str) -> tuple[Any, Platform, io.StringIO]:
    log = io.StringIO()
    console = Platform(environ={}, log_stream=log)
    with client(httpx.MockTransport(handler)) as http:
        login = acr_login(http, SERVER, tenant=TENANT, arm_token=token, console=console)
    return login, console, log


def test_the_refresh_token_is_exchanged_and_masked() -> None:
    arm, token = _arm_with_registry()
    login, console, log = _login(arm.acr.login, token)
    assert login.username == ACR_USER and login.password in arm.acr.refresh_tokens
    console.info(f"token {login.password}")
    assert login.password not in log.getvalue() and "token " in log.getvalue()
    assert "exchanged from the Entra ID token" in login.source
    assert arm.acr.exchanges == [
        {"grant_type": "access_token", "service": SERVER, "tenant": TENANT}
    ]


def test_a_refused_exchange_names_the_role_and_hides_the_token() -> None:
    arm, _ = _arm_with_registry()
    with pytest.raises(RemoteApiError) as error:
        _login(arm.acr.login, "not-a-token-arm-issued")
    assert error.value.status == 401 and "UNAUTHORIZED" in error.value.message
    assert "AcrPush" in error.value.remediation
    assert "not-a-token-arm-issued" not in error.value.message + error.value.remediation


def test_the_entra_token_is_not_sent_to_a_token_service_on_another_host() -> None:
    sent: list[str] = []

    def registry(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(
            401,
            headers={
                "WWW-Authenticate": 'Bearer realm="https://evil.example/oauth2/token",'
                f'service="{SERVER}"'
            },
        )

    with pytest.raises(RemoteApiError, match="another host"):
        _login(registry, "arm-token")
    assert sent == [f"https://{SERVER}/v2/"]


def test_a_taken_registry_name_says_to_pick_another(registries: RegistryWorld) -> None:
    registries.arm.acr.taken.add("acmeregistry1")
    with pytest.raises(DeployError) as error:
        registries.target(**{"azure-registry": "AcmeRegistry1"}).deploy()
    assert "The registry name AcmeRegistry1 is taken" in error.value.message
    assert "Set azure-registry to another name" in error.value.remediation
