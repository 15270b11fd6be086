"""google-cloud-run sign-in: WIF with and without impersonation, key JSON, external_account
(as a credentials JSON or the file GOOGLE_APPLICATION_CREDENTIALS names); every token masked."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from pmcp_action.targets.google_cloud_run.credentials import (
    CLOUD_PLATFORM,
    from_credentials_json,
    from_oidc,
)
from pmcp_action.targets.google_cloud_run.endpoints import GoogleEndpoints
from pmcp_action.targets.google_cloud_run.failures import CredentialsError
from tests.fakes.google_cloud_run import FakeCloudRun

from .helpers import DEPLOYER, PROVIDER, World

BASE = "http://127.0.0.1:9"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _id_token(**claims: Any) -> str:
    payload = {"iss": "https://token.actions.githubusercontent.com", "sub": "repo:o/r:ref:main"}
    payload.update(claims)
    return f"{_b64(b'{}')}.{_b64(json.dumps(payload).encode())}.c2ln"


class FakeGoogle:
    """STS, iamcredentials and oauth2 token endpoints, strict about what they accept."""

    def __init__(self, *, refuse_sts: bool = False, refuse_sa: bool = False) -> None:
        self.refuse_sts = refuse_sts
        self.refuse_sa = refuse_sa
        self.public_key: rsa.RSAPublicKey | None = None
        self.calls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.calls.append(path)
        if path == "/v1/token":
            body = json.loads(request.content)
            assert set(body) == {
                "grantType",
                "audience",
                "scope",
                "requestedTokenType",
                "subjectToken",
                "subjectTokenType",
            }
            assert body["audience"] == f"//iam.googleapis.com/{PROVIDER}"
            assert body["scope"] == CLOUD_PLATFORM
            if self.refuse_sts:
                return httpx.Response(
                    400,
                    json={
                        "error": "unauthorized_client",
                        "error_description": "The given credential is rejected by the "
                        "attribute condition.",
                    },
                )
            return httpx.Response(
                200, json={"access_token": "federated-tok", "token_type": "Bearer"}
            )
        if path.endswith(":generateAccessToken"):
            assert request.headers["authorization"] == "Bearer federated-tok"
            body = json.loads(request.content)
            assert body == {"scope": [CLOUD_PLATFORM], "lifetime": "3600s"}
            if self.refuse_sa:
                return httpx.Response(
                    403,
                    json={
                        "error": {
                            "code": 403,
                            "status": "PERMISSION_DENIED",
                            "message": "Permission 'iam.serviceAccounts.getAccessToken' denied",
                        }
                    },
                )
            return httpx.Response(200, json={"accessToken": "sa-tok", "expireTime": "x"})
        if path == "/token":
            form = dict(httpx.QueryParams(request.content.decode()))
            assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
            head, claims, signature = form["assertion"].split(".")
            assert self.public_key is not None
            self.public_key.verify(
                base64.urlsafe_b64decode(signature + "=="),
                f"{head}.{claims}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
            decoded = json.loads(base64.urlsafe_b64decode(claims + "=="))
            assert decoded["iss"] == DEPLOYER and decoded["scope"] == CLOUD_PLATFORM
            assert decoded["exp"] - decoded["iat"] == 3600
            return httpx.Response(200, json={"access_token": "key-tok", "expires_in": 3599})
        return httpx.Response(404, json={"error": {"code": 404, "status": "NOT_FOUND"}})


def _client(fake: FakeGoogle) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(fake))


def _key_json() -> tuple[str, rsa.RSAPublicKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "demo",
        "private_key_id": "kid1",
        "private_key": pem,
        "client_email": DEPLOYER,
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    return json.dumps(info), key.public_key()


def _contract() -> tuple[FakeCloudRun, httpx.Client]:
    fake = FakeCloudRun()
    fake.providers[PROVIDER] = {"repository": "o/r"}
    fake.service_accounts[DEPLOYER] = PROVIDER
    return fake, httpx.Client(transport=httpx.MockTransport(fake))


def test_wif_with_impersonation_masks_every_token():
    fake = FakeGoogle()
    masked: list[str] = []
    token = from_oidc(
        _client(fake),
        GoogleEndpoints(BASE),
        provider=PROVIDER,
        id_token=_id_token(),
        service_account=DEPLOYER,
        mask=masked.append,
    )
    assert token.access_token == "sa-tok"
    assert token.identity == DEPLOYER
    assert {"federated-tok", "sa-tok", _id_token()} <= set(masked)
    assert "sa-tok" not in repr(token)
    assert fake.calls[1] == f"/v1/projects/-/serviceAccounts/{DEPLOYER}:generateAccessToken"


def test_direct_wif_uses_the_federated_token():
    token = from_oidc(
        _client(FakeGoogle()),
        GoogleEndpoints(BASE),
        provider=PROVIDER,
        id_token=_id_token(),
        mask=lambda _s: None,
    )
    assert token.access_token == "federated-tok"
    assert token.mode == "workload-identity"


def test_rejected_token_shows_claims_and_names_the_provider():
    with pytest.raises(CredentialsError) as caught:
        from_oidc(
            _client(FakeGoogle(refuse_sts=True)),
            GoogleEndpoints(BASE),
            provider=PROVIDER,
            id_token=_id_token(),
            mask=lambda _s: None,
        )
    error = caught.value
    assert PROVIDER in error.message and "attribute condition" in error.message
    assert "repo:o/r:ref:main" in error.details
    assert "attribute condition" in error.remediation


def test_refused_impersonation_names_workload_identity_user():
    with pytest.raises(CredentialsError) as caught:
        from_oidc(
            _client(FakeGoogle(refuse_sa=True)),
            GoogleEndpoints(BASE),
            provider=PROVIDER,
            id_token=_id_token(),
            service_account=DEPLOYER,
            mask=lambda _s: None,
        )
    assert "roles/iam.workloadIdentityUser" in caught.value.remediation
    assert DEPLOYER in caught.value.remediation


def test_key_json_signs_a_jwt_bearer_grant_and_masks_key_and_assertion():
    text, public = _key_json()
    fake = FakeGoogle()
    fake.public_key = public
    masked: list[str] = []
    token = from_credentials_json(
        _client(fake), GoogleEndpoints(BASE), text, mask=masked.append, now=lambda: 1000.0
    )
    assert token.access_token == "key-tok"
    assert token.project_id == "demo" and token.mode == "service-account-key"
    assert text in masked and json.loads(text)["private_key"] in masked and "key-tok" in masked
    assert any(m.count(".") == 2 and m.startswith("ey") for m in masked)  # the assertion


def test_external_account_with_file_source_and_impersonation(tmp_path: Path):
    token_file = tmp_path / "token"
    token_file.write_text(_id_token())
    info = {
        "type": "external_account",
        "audience": f"//iam.googleapis.com/{PROVIDER}",
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": "https://sts.googleapis.com/v1/token",
        "service_account_impersonation_url": "https://iamcredentials.googleapis.com/v1/"
        f"projects/-/serviceAccounts/{DEPLOYER}:generateAccessToken",
        "credential_source": {"file": str(token_file)},
    }
    token = from_credentials_json(
        _client(FakeGoogle()), GoogleEndpoints(BASE), json.dumps(info), mask=lambda _s: None
    )
    assert token.access_token == "sa-tok" and token.identity == DEPLOYER


@pytest.mark.parametrize(
    "text",
    ["not json", "[]", json.dumps({"type": "authorized_user"}), '{"type":"service_account"}'],
)
def test_unusable_credentials_json(text: str):
    with pytest.raises(CredentialsError):
        from_credentials_json(
            _client(FakeGoogle()), GoogleEndpoints(BASE), text, mask=lambda _s: None
        )


def test_contract_fake_wif_with_impersonation_and_condition():
    fake, client = _contract()
    token = from_oidc(
        client,
        GoogleEndpoints(BASE),
        provider=PROVIDER,
        id_token=_id_token(repository="o/r"),
        service_account=DEPLOYER,
        mask=lambda _s: None,
    )
    assert fake.tokens[token.access_token] == DEPLOYER
    with pytest.raises(CredentialsError, match="attribute condition"):
        from_oidc(
            client,
            GoogleEndpoints(BASE),
            provider=PROVIDER,
            id_token=_id_token(repository="other/r"),
            mask=lambda _s: None,
        )


def test_contract_fake_refuses_an_unbound_service_account():
    fake, client = _contract()
    fake.service_accounts.clear()
    with pytest.raises(CredentialsError) as caught:
        from_oidc(
            client,
            GoogleEndpoints(BASE),
            provider=PROVIDER,
            id_token=_id_token(repository="o/r"),
            service_account=DEPLOYER,
            mask=lambda _s: None,
        )
    assert "roles/iam.workloadIdentityUser" in caught.value.remediation


def test_contract_fake_key_json_signature_checked():
    fake, client = _contract()
    text, public = _key_json()
    fake.keys[DEPLOYER] = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    token = from_credentials_json(client, GoogleEndpoints(BASE), text, mask=lambda _s: None)
    assert fake.tokens[token.access_token] == DEPLOYER
    other, _ = _key_json()
    with pytest.raises(CredentialsError, match="Invalid JWT Signature"):
        from_credentials_json(client, GoogleEndpoints(BASE), other, mask=lambda _s: None)


def test_contract_fake_accepts_the_rfc8693_form_and_refuses_unknown_fields():
    fake, client = _contract()
    form = {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "audience": f"//iam.googleapis.com/{PROVIDER}",
        "scope": CLOUD_PLATFORM,
        "requested_token_type": "urn:ietf:params:oauth:token-type:access_token",
        "subject_token": _id_token(repository="o/r"),
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
    }
    answer = client.post(f"{BASE}/v1/token", data=form)
    assert answer.status_code == 200 and answer.json()["access_token"] in fake.tokens
    refused = client.post(f"{BASE}/v1/token", data={**form, "client_secret": "x"})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_request"


def test_ambient_reads_the_file_application_default_credentials_name(world: World) -> None:
    adc = world.tmp_path / "adc.json"
    adc.write_text(world.key_json)
    image = "us-central1-docker.pkg.dev/demo-project/pmcp/calc@sha256:" + "a" * 64
    target = world.target(
        {"auth": "ambient", "image": image}, GOOGLE_APPLICATION_CREDENTIALS=str(adc)
    )
    result = target.deploy()
    assert result.identity == DEPLOYER and result.outputs["image"] == image
    assert f"Application Default Credentials ({adc}): {DEPLOYER}" in world.log.getvalue()
    world.assert_no_secret_logged()


def test_ambient_with_the_external_account_file_google_github_actions_auth_writes(
    world: World,
) -> None:
    token_file = world.tmp_path / "oidc-token"
    token_file.write_text(world.issuer.issue(f"https://iam.googleapis.com/{PROVIDER}"))
    adc = world.tmp_path / "gha-creds.json"
    adc.write_text(
        json.dumps(
            {
                "type": "external_account",
                "audience": f"//iam.googleapis.com/{PROVIDER}",
                "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
                "token_url": "https://sts.googleapis.com/v1/token",
                "service_account_impersonation_url": "https://iamcredentials.googleapis.com/v1/"
                f"projects/-/serviceAccounts/{DEPLOYER}:generateAccessToken",
                "credential_source": {"file": str(token_file)},
            }
        )
    )
    image = "us-central1-docker.pkg.dev/demo-project/pmcp/calc@sha256:" + "e" * 64
    result = world.target(
        {"auth": "ambient", "image": image}, GOOGLE_APPLICATION_CREDENTIALS=str(adc)
    ).deploy()
    assert result.identity == DEPLOYER and result.version == "calc-00001-x"
    assert "(external-account)" in world.log.getvalue()
    assert "Long-lived key" not in world.log.getvalue()
    world.assert_no_secret_logged()


def _gcloud_login(world: World, home: Path) -> dict[str, Any]:
    """What gcloud auth application-default login leaves in ``home``."""
    user = world.google.add_user("dev@example.com")
    known = home / ".config" / "gcloud" / "application_default_credentials.json"
    known.parent.mkdir(parents=True)
    known.write_text(json.dumps(user))
    return user


def test_ambient_finds_gclouds_login_in_the_home_directory_and_refreshes_it(world: World):
    home = world.tmp_path / "home"
    user = _gcloud_login(world, home)
    image = "us-central1-docker.pkg.dev/demo-project/pmcp/calc@sha256:" + "f" * 64
    world.google.faults.status(503, times=1, path="/token")  # retried like every read
    result = world.target({"auth": "ambient", "image": image}, HOME=str(home)).deploy()
    assert result.outputs["image"] == image
    refreshes = [r for r in world.google.requests_to("/token") if b"refresh_token" in r.body]
    assert len(refreshes) == 2
    sent = dict(httpx.QueryParams(refreshes[-1].body.decode()))
    assert sent == {
        "grant_type": "refresh_token",
        "client_id": user["client_id"],
        "client_secret": user["client_secret"],
        "refresh_token": user["refresh_token"],
    }
    text = world.log.getvalue()
    assert "gcloud's user sign-in (authorized-user)" in text
    assert "application_default_credentials.json" in text
    for secret in (user["client_secret"], user["refresh_token"], *world.google.tokens):
        assert secret not in text + repr(result)


def test_google_application_credentials_comes_before_gclouds_login(world: World):
    home = world.tmp_path / "home"
    _gcloud_login(world, home)
    adc = world.tmp_path / "adc.json"
    adc.write_text(world.key_json)
    image = "us-central1-docker.pkg.dev/demo-project/pmcp/calc@sha256:" + "1" * 64
    result = world.target(
        {"auth": "ambient", "image": image}, HOME=str(home), GOOGLE_APPLICATION_CREDENTIALS=str(adc)
    ).deploy()
    assert result.identity == DEPLOYER
    assert not [r for r in world.google.requests_to("/token") if b"refresh_token" in r.body]


def test_a_revoked_login_says_to_sign_in_again(world: World):
    home = world.tmp_path / "home"
    user = _gcloud_login(world, home)
    world.google.revoke(user["refresh_token"])
    target = world.target({"auth": "ambient"}, HOME=str(home))
    with pytest.raises(CredentialsError) as caught:
        target.deploy()
    assert "Token has been expired or revoked" in caught.value.message
    assert "gcloud auth application-default login" in caught.value.remediation
    assert user["refresh_token"] not in caught.value.diagnostics()
