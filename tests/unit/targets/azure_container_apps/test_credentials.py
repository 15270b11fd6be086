"""Signing in at Entra ID: OIDC (jwt-bearer) or a client secret, refusals that say what to
fix, every token and secret masked."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import httpx
import pytest

from pmcp_action.ci.base import Platform
from pmcp_action.errors import ConfigError, CredentialExchangeError
from pmcp_action.targets.azure_container_apps.credentials import sign_in
from tests.fakes.azure_container_apps import FakeEntra
from tests.fakes.oidc_issuer import FakeOidcIssuer

from .helpers import CLIENT, SECRET, TENANT, World, client, resolved


def _setup(tmp_path: Path, inputs: dict[str, str] | None = None, **issuer_args: str):
    entra = FakeEntra()
    entra.add_app(CLIENT, TENANT, secret=SECRET)
    issuer = FakeOidcIssuer(**issuer_args)  # type: ignore[arg-type]
    asked: list[str] = []

    def id_token(audience: str) -> str:
        asked.append(audience)
        return issuer.issue(audience)

    log = io.StringIO()
    context, config, problems = resolved(
        tmp_path,
        inputs,
        console=Platform(environ={}, log_stream=log),
        id_token=id_token,
    )
    assert problems == []
    return entra, issuer, asked, log, context, config


def _client(entra: FakeEntra) -> httpx.Client:
    return client(httpx.MockTransport(entra))


def test_oidc_exchanges_the_ci_token_as_a_jwt_bearer_assertion(tmp_path: Path) -> None:
    entra, issuer, asked, log, context, config = _setup(tmp_path)
    entra.trust_github(CLIENT, issuer.repository)
    session = sign_in(context, config, _client(entra))
    assert asked == ["api://AzureADTokenExchange"]
    assert session.mode == "oidc" and session.access_token in entra.issued
    context.console.info(f"token {session.access_token}")
    assert session.access_token not in log.getvalue()
    assert "client secret" not in log.getvalue()


def test_a_missing_federated_credential_says_exactly_what_to_add(tmp_path: Path) -> None:
    entra, issuer, _, log, context, config = _setup(tmp_path, environment="production")
    entra.trust_github(CLIENT, issuer.repository)  # the ref form; the token has environment
    with pytest.raises(CredentialExchangeError) as caught:
        sign_in(context, config, _client(entra))
    text = caught.value.diagnostics()
    assert "AADSTS70021" in text
    assert "subject repo:octo-org/octo-repo:environment:production" in text
    assert "issuer https://token.actions.githubusercontent.com" in text
    assert "audience api://AzureADTokenExchange" in text
    assert "az ad app federated-credential create --id " + CLIENT in text
    assert "repo:<owner>/<repo>:ref:refs/heads/<branch>" in text
    assert "eyJ" not in text  # claims, never the token


def test_gitlab_tokens_get_the_gitlab_subject_forms(tmp_path: Path) -> None:
    entra, issuer, _, _, context, config = _setup(tmp_path)
    token = issuer.mint_gitlab_token(audience="api://AzureADTokenExchange")
    context = dataclasses.replace(context, id_token=lambda _a: token)
    with pytest.raises(CredentialExchangeError) as caught:
        sign_in(context, config, _client(entra))
    assert "project_path:<group>/<project>:ref_type:branch:ref:<branch>" in (
        caught.value.remediation
    )


def test_client_secret_mode_warns_and_masks_the_secret(tmp_path: Path) -> None:
    entra, _, asked, log, context, config = _setup(tmp_path, {"azure-client-secret": SECRET})
    session = sign_in(context, config, _client(entra))
    assert asked == [] and session.mode == "client-secret"
    assert "federated credential (OIDC)" in log.getvalue()
    context.console.info(f"{SECRET} {session.access_token}")
    assert SECRET not in log.getvalue() and session.access_token not in log.getvalue()


def test_a_wrong_secret_is_refused_with_what_to_check(tmp_path: Path) -> None:
    entra, _, _, _, context, config = _setup(tmp_path, {"azure-client-secret": "wrong~one"})
    with pytest.raises(CredentialExchangeError) as caught:
        sign_in(context, config, _client(entra))
    assert "AADSTS7000215" in caught.value.message
    assert "has not expired" in caught.value.remediation
    assert "wrong~one" not in caught.value.diagnostics()


def test_auth_secrets_without_a_secret_is_refused(tmp_path: Path) -> None:
    entra, _, _, _, context, config = _setup(tmp_path, {"auth": "secrets"})
    with pytest.raises(ConfigError):
        sign_in(context, config, _client(entra))
    assert entra.requests == []


def test_client_secret_mode_and_secrets_absent_everywhere(world: World) -> None:
    target = world.target(**{"azure-client-secret": SECRET})
    results = [target.deploy(), world.target(**{"azure-client-secret": SECRET}).outputs()]
    text = world.log.getvalue() + repr(results)
    assert "client secret" in world.log.getvalue()
    assert SECRET not in text
    for token in world.entra.issued:
        assert token not in text
    for request in world.arm.requests:
        assert SECRET not in request.url
