"""The contract check for ``trust --apply`` and ``check``: Google's own clients and messages
against the IAM and Resource Manager routes of the fake.

- google-cloud-resource-manager's ``ProjectsClient`` (v3, REST transport) reads, writes and
  tests the project's IAM policy on the served fake, and our client's ``testIamPermissions``
  answers what Google's does.
- google-cloud-iam's ``iam_admin_v1`` has only gRPC transports, so no request of its can
  reach the fake: the bodies our trust sends to iam.googleapis.com are parsed as its
  messages instead (unknown fields refused), as are the fake's answers.
- No Google Python client covers Workload Identity pools and providers (none in
  google-cloud-iam; google-api-python-client's discovery client is not a dependency): their
  bodies are held to the fields of the IAM v1 REST reference (``WorkloadIdentityPool``,
  ``WorkloadIdentityPoolProvider``), written out below.
"""

from __future__ import annotations

import re
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

resourcemanager = pytest.importorskip(
    "google.cloud.resourcemanager_v3", reason="google-cloud-resource-manager (requirements/dev.txt)"
)
iam_admin = pytest.importorskip(
    "google.cloud.iam_admin_v1", reason="google-cloud-iam (requirements/dev.txt)"
)

from google.api_core import exceptions as core_exceptions  # noqa: E402
from google.api_core.client_options import ClientOptions  # noqa: E402
from google.auth.exceptions import RefreshError  # noqa: E402
from google.iam.v1 import iam_policy_pb2, policy_pb2  # noqa: E402
from google.oauth2.credentials import Credentials  # noqa: E402
from google.protobuf import json_format  # noqa: E402
from google.protobuf.message import Message  # noqa: E402

from pmcp_action.settings.vocabulary import CiSystem  # noqa: E402
from pmcp_action.targets.google_cloud_run.endpoints import GoogleEndpoints  # noqa: E402
from pmcp_action.targets.google_cloud_run.resource_manager import (  # noqa: E402
    ResourceManagerApi,
)
from pmcp_action.targets.google_cloud_run.trust import apply, plan  # noqa: E402
from pmcp_action.trust.model import Outcome, TrustRequest  # noqa: E402
from pmcp_action.trust.subjects import token_source  # noqa: E402
from tests.fakes.google_cloud_run import FakeCloudRun  # noqa: E402

from .helpers import DEMO, DEPLOYER, OIDC, World  # noqa: E402

#: ``WorkloadIdentityPool``'s fields in the IAM v1 REST reference, and the output-only ones.
POOL_FIELDS = frozenset(
    {"name", "displayName", "description", "state", "disabled", "expireTime", "mode",
     "sessionDuration", "inlineCertificateIssuanceConfig", "inlineTrustConfig"}
)  # fmt: skip
#: ``WorkloadIdentityPoolProvider``'s fields in the IAM v1 REST reference.
PROVIDER_FIELDS = frozenset(
    {"name", "displayName", "description", "state", "disabled", "attributeMapping",
     "attributeCondition", "expireTime", "aws", "oidc", "saml", "x509"}
)  # fmt: skip
#: ``Oidc``'s fields (``issuerUri`` required; at most 10 audiences).
OIDC_FIELDS = frozenset({"issuerUri", "allowedAudiences", "jwksJson"})
#: Written by Google only; a create that sends one is refused.
OUTPUT_ONLY = frozenset({"name", "state", "expireTime"})
#: A pool's and a provider's id: 4 to 32 of a-z, 0-9 and '-'; "gcp-" is reserved.
WIF_ID = re.compile(r"^(?!gcp-)[a-z0-9-]{4,32}$")
#: A service account's id: 6 to 30 characters, a letter first, no '-' last.
ACCOUNT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")


def _projects(url: str, token: str, closing: ExitStack) -> Any:
    return closing.enter_context(
        resourcemanager.ProjectsClient(
            credentials=Credentials(token),
            transport="rest",
            client_options=ClientOptions(api_endpoint=url),
        )
    )


def _parsed(body: bytes, message: Message) -> Message:
    """``body`` as Google's message (an empty body is the empty message); unknown fields fail."""
    return json_format.Parse(body or b"{}", message, ignore_unknown_fields=False)


def test_resource_managers_client_writes_reads_and_tests_the_project_policy(
    fake: FakeCloudRun, url, closing
):
    owner = fake.issue_token("owner@example.com")
    projects = _projects(url, owner, closing)
    resource = f"projects/{DEMO}"

    policy = projects.get_iam_policy(request=iam_policy_pb2.GetIamPolicyRequest(resource=resource))
    policy.bindings.add(role="roles/run.admin", members=[f"serviceAccount:{DEPLOYER}"])
    written = projects.set_iam_policy(
        request=iam_policy_pb2.SetIamPolicyRequest(resource=resource, policy=policy)
    )
    (sent,) = fake.requests_to(f"/v3/{resource}:setIamPolicy", "POST")
    assert sent.params["$alt"] == "json;enum-encoding=int"
    assert _parsed(sent.body, iam_policy_pb2.SetIamPolicyRequest()) == (
        iam_policy_pb2.SetIamPolicyRequest(policy=policy)
    )
    assert written.etag != policy.etag
    assert [(b.role, list(b.members)) for b in written.bindings] == [
        ("roles/run.admin", [f"serviceAccount:{DEPLOYER}"])
    ]
    with pytest.raises(core_exceptions.Conflict, match="concurrent policy changes"):
        projects.set_iam_policy(
            request=iam_policy_pb2.SetIamPolicyRequest(resource=resource, policy=policy)
        )

    # The deployer asks which of its permissions it holds: Google's client and ours agree.
    deployer = fake.issue_token(DEPLOYER)
    asked = ["run.services.update", "secretmanager.versions.add", "iam.serviceAccounts.actAs"]
    held = _projects(url, deployer, closing).test_iam_permissions(
        request=iam_policy_pb2.TestIamPermissionsRequest(resource=resource, permissions=asked)
    )
    assert list(held.permissions) == ["run.services.update"]
    ours = ResourceManagerApi(
        closing.enter_context(httpx.Client()), GoogleEndpoints(url), token=deployer, project=DEMO
    )
    assert ours.held(asked) == list(held.permissions)
    google_sent, ours_sent = (
        fake.requests_to(f"/v3/{resource}:testIamPermissions")[-1],
        (fake.requests_to(f"/v1/{resource}:testIamPermissions")[-1]),
    )
    assert ours_sent.json() == google_sent.json() == {"permissions": asked}
    assert fake.errors == []


def test_an_unknown_token_is_refused_to_googles_client(fake: FakeCloudRun, url, closing):
    """A 401 is what makes google-auth's session refresh: a bare token cannot, and says so."""
    projects = _projects(url, "ya29.never-minted", closing)

    with pytest.raises(RefreshError, match="necessary fields need to refresh"):
        projects.test_iam_permissions(
            request=iam_policy_pb2.TestIamPermissionsRequest(
                resource=f"projects/{DEMO}", permissions=["run.services.get"]
            )
        )
    (refused,) = fake.requests_to(f"/v3/projects/{DEMO}:testIamPermissions")
    assert refused.headers["authorization"] == "Bearer ya29.never-minted"


def _applied(world: World) -> None:
    """trust --apply from a terminal with an owner's token, into a project with nothing."""
    world.google.providers.clear()
    world.google.service_accounts.clear()
    world.google.keys.clear()
    world.google.project_numbers[DEMO] = "123456789"
    terminal = world.google.issue_token("owner@example.com")
    source, problems = token_source(
        ci=CiSystem.GITHUB,
        repository=world.issuer.repository,
        ref="main",
        environment="prod",
        environ={},
        sources={},
    )
    assert source is not None, problems
    request = TrustRequest(source)
    inputs = {**OIDC, "gcp-service-account": DEPLOYER}
    target = world.target(inputs, GOOGLE_OAUTH_ACCESS_TOKEN=terminal)
    assert {a.outcome for a in apply(target, request, plan(target, request))} == {Outcome.CREATED}


def test_our_service_account_and_policy_bodies_are_googles_iam_admin_messages(world: World):
    _applied(world)
    google = world.google
    accounts = f"/v1/projects/{DEMO}/serviceAccounts"

    (create,) = [r for r in google.requests_to(accounts, "POST") if r.path == accounts]
    created = _parsed(create.body, iam_admin.CreateServiceAccountRequest.pb()())
    assert ACCOUNT_ID.match(created.account_id), created.account_id
    assert len(created.service_account.display_name) <= 100
    assert f"{created.account_id}@{DEMO}.iam.gserviceaccount.com" == DEPLOYER
    # What the fake keeps (its create's and its GET's answer) reads as Google's ServiceAccount.
    account = json_format.ParseDict(google.accounts[DEPLOYER], iam_admin.ServiceAccount.pb()())
    assert account.email == DEPLOYER

    (read,) = google.requests_to(f"{accounts}/{DEPLOYER}:getIamPolicy", "POST")
    _parsed(read.body, iam_policy_pb2.GetIamPolicyRequest())
    (write,) = google.requests_to(f"{accounts}/{DEPLOYER}:setIamPolicy", "POST")
    binding = _parsed(write.body, iam_policy_pb2.SetIamPolicyRequest()).policy.bindings[0]
    assert binding.role == "roles/iam.workloadIdentityUser"
    assert binding.members[0].startswith("principalSet://iam.googleapis.com/projects/123456789/")

    (project_write,) = google.requests_to(f"/v1/projects/{DEMO}:setIamPolicy", "POST")
    project_policy = _parsed(project_write.body, iam_policy_pb2.SetIamPolicyRequest()).policy
    assert {b.role for b in project_policy.bindings} >= {"roles/run.admin"}
    # The policies the fake keeps (what getIamPolicy answers) read as Google's Policy.
    for kept in (google.account_policies[DEPLOYER], google.project_policies[DEMO]):
        json_format.ParseDict({"version": 1, **kept}, policy_pb2.Policy())
    assert google.errors == []


def test_our_pool_and_provider_bodies_hold_to_the_iam_v1_reference(world: World):
    _applied(world)
    pools = f"/v1/projects/{DEMO}/locations/global/workloadIdentityPools"

    (pool,) = [r for r in world.google.requests_to(pools, "POST") if r.path == pools]
    assert WIF_ID.match(pool.params["workloadIdentityPoolId"])
    assert set(pool.json()) <= POOL_FIELDS - OUTPUT_ONLY
    assert len(pool.json().get("displayName", "")) <= 32

    (provider,) = world.google.requests_to(f"{pools}/", "POST")
    assert provider.path.endswith("/providers")
    assert WIF_ID.match(provider.params["workloadIdentityPoolProviderId"])
    body = provider.json()
    assert set(body) <= PROVIDER_FIELDS - OUTPUT_ONLY
    assert set(body["oidc"]) <= OIDC_FIELDS and body["oidc"]["issuerUri"].startswith("https://")
    assert 1 <= len(body["oidc"]["allowedAudiences"]) <= 10
    assert body["attributeMapping"]["google.subject"] == "assertion.sub"
    assert len(body["attributeCondition"]) <= 4096


def test_the_fake_takes_the_references_pool_and_provider_bodies(fake: FakeCloudRun, url, closing):
    """What the reference lets a create send is kept, output-only fields are ignored (AIP-203)
    and an unknown name is refused, as Google's JSON transcoding does."""
    http = closing.enter_context(
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {fake.issue_token('o')}"})
    )
    pools = f"/v1/projects/{DEMO}/locations/global/workloadIdentityPools"
    pool = {"displayName": "ci", "description": "CI", "disabled": False, "state": "DELETED"}
    created = http.post(pools, params={"workloadIdentityPoolId": "ci-pool"}, json=pool)
    assert created.status_code == 200, created.text
    kept = created.json()["response"]
    assert set(kept) <= POOL_FIELDS and kept["state"] == "ACTIVE" and kept["description"] == "CI"

    refused = http.post(pools, params={"workloadIdentityPoolId": "other"}, json={"labels": {}})
    assert refused.status_code == 400
    assert 'Unknown name "labels"' in refused.json()["error"]["message"]
    provider = {
        "displayName": "GitHub",
        "description": "GitHub Actions of o/r",
        "oidc": {"issuerUri": "https://token.actions.githubusercontent.com"},
        "attributeMapping": {"google.subject": "assertion.sub"},
        "attributeCondition": "assertion.repository == 'o/r'",
        "expireTime": "2020-01-01T00:00:00Z",
    }
    answered = http.post(
        f"{pools}/ci-pool/providers", params={"workloadIdentityPoolProviderId": "gh"}, json=provider
    )
    assert answered.status_code == 200, answered.text
    made = answered.json()["response"]
    assert set(made) <= PROVIDER_FIELDS and "expireTime" not in made
    assert made["description"] == provider["description"]
    assert fake.providers[made["name"]] == {"repository": "o/r"}
