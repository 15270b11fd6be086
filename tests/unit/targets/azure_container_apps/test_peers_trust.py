"""The contract check for ``trust --apply`` and ``check`` on Azure: Microsoft's own clients
against the fake's resource groups, role assignments and permissions list, over HTTPS on
127.0.0.1.

azure-mgmt-resource (``resource_groups``) and azure-mgmt-authorization
(``role_assignments``, ``permissions``) drive the fake ARM, so what the fake accepts and
answers is what they send and read; our client writes what the SDKs read back, the other way
round, and every body our trust sends deserializes into the SDK's model with nothing left over.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import trustme

authorization = pytest.importorskip(
    "azure.mgmt.authorization", reason="azure-mgmt-authorization (requirements/dev.txt)"
)
resources = pytest.importorskip(
    "azure.mgmt.resource.resources", reason="azure-mgmt-resource (requirements/dev.txt)"
)

from azure.core.credentials import AccessToken  # noqa: E402
from azure.core.exceptions import (  # noqa: E402
    ClientAuthenticationError,
    ResourceExistsError,
    ResourceNotFoundError,
)

# The models of the api-version the client speaks (and our trust sends), not the package's
# first one that a bare ``models`` resolves to for mypy.
from azure.mgmt.authorization.v2022_04_01 import models as am  # noqa: E402
from azure.mgmt.resource.resources import models as rm  # noqa: E402

from pmcp_action.settings.vocabulary import CiSystem  # noqa: E402
from pmcp_action.targets.azure_container_apps.pull_access import AUTHORIZATION_API  # noqa: E402
from pmcp_action.targets.azure_container_apps.trust import (  # noqa: E402
    ACTIONS,
    ROLES,
    allowed,
    apply,
    plan,
)
from pmcp_action.trust.model import Outcome, TrustRequest  # noqa: E402
from pmcp_action.trust.subjects import token_source  # noqa: E402
from tests.fakes.azure_container_apps.entra import GRAPH_AUDIENCE  # noqa: E402
from tests.fakes.azure_container_apps.graph import FakeGraph, service_principal_id  # noqa: E402
from tests.fakes.server import LoopbackServer  # noqa: E402

from .helpers import (  # noqa: E402
    CLIENT,
    GROUP,
    SUBSCRIPTION,
    Ours,
    Peer,
    World,
    sdk_refusals,
    secret_credential,
    terminal_target,
)

CONTRIBUTOR = ROLES["Contributor"][0]
#: A federatedIdentityCredential's create body in the Graph v1.0 reference (``description``
#: optional); ``name`` at most 120 URL-friendly characters, ``audiences`` one value.
CREDENTIAL_FIELDS = frozenset({"name", "issuer", "subject", "audiences", "description"})
URL_FRIENDLY = re.compile(r"^[A-Za-z0-9_-]{3,120}$")
SCOPE = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}"


def _definition(guid: str) -> str:
    return f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


def _kwargs(base: str, ca_bundle: str, scope: str) -> dict[str, Any]:
    return {"base_url": base, "credential_scopes": [scope], "connection_verify": ca_bundle}


def _groups(peer: Peer) -> Any:
    return resources.ResourceManagementClient(
        secret_credential(peer), SUBSCRIPTION, **_kwargs(peer.base, peer.ca_bundle, peer.scope)
    )


def _authorization(peer: Peer) -> Any:
    return authorization.AuthorizationManagementClient(
        secret_credential(peer), SUBSCRIPTION, **_kwargs(peer.base, peer.ca_bundle, peer.scope)
    )


def _lossless(model: Any, body: dict[str, Any]) -> None:
    """``body`` deserializes into the SDK's ``model`` and serializes back unchanged: the SDK
    knows (and may send) every field of it."""
    if hasattr(model, "_attr_to_rest_field"):  # azure-mgmt-resource's generated models
        assert sdk_refusals(model(body), body) == []
        assert model(body).as_dict() == body
    else:  # azure-mgmt-authorization's msrest models
        assert model.deserialize(body).serialize() == body


def test_resource_groups_read_and_written_by_the_sdk_and_our_client(peer: Peer, ours: Ours):
    client = _groups(peer)
    assert client.resource_groups.check_existence(GROUP) is False
    assert ours.arm.resource_group(GROUP) is None

    made = client.resource_groups.create_or_update(
        GROUP, rm.ResourceGroup(location="eastus", tags={"managed-by": "pmcp"})
    )
    assert made.id == SCOPE and made.properties.provisioning_state == "Succeeded"
    ours_read = ours.arm.resource_group(GROUP)
    assert ours_read is not None and ours_read["tags"] == {"managed-by": "pmcp"}
    assert client.resource_groups.check_existence(GROUP) is True

    ours.arm.create_resource_group("other-rg", "westeurope", {"managed-by": "pmcp"})
    (put,) = peer.sent("PUT", "/resourcegroups/other-rg")
    _lossless(rm.ResourceGroup, put.json())
    read = client.resource_groups.get("other-rg")
    assert (read.location, read.tags) == ("westeurope", {"managed-by": "pmcp"})
    with pytest.raises(ResourceNotFoundError, match="ResourceGroupNotFound"):
        client.resource_groups.get("missing-rg")
    # check_existence's HEAD is a read: not a mutation, and allowed where writes are not.
    peer.fake.arm.forbidden.append(f"/subscriptions/{SUBSCRIPTION}/resourcegroups".lower())
    assert client.resource_groups.check_existence("other-rg") is True
    assert not any(m.startswith("HEAD") for m in peer.fake.arm.mutations)


def test_role_assignments_made_by_the_sdk_are_ours_and_the_other_way_round(peer: Peer):
    client = _authorization(peer)
    _groups(peer).resource_groups.create_or_update(GROUP, rm.ResourceGroup(location="eastus"))
    principal = str(uuid.uuid4())
    name = str(uuid.uuid4())
    created = client.role_assignments.create(
        SCOPE,
        name,
        am.RoleAssignmentCreateParameters(
            role_definition_id=_definition(CONTRIBUTOR),
            principal_id=principal,
            principal_type="ServicePrincipal",
        ),
    )
    assert created.name == name and created.scope == SCOPE
    (put,) = peer.sent("PUT", f"/roleAssignments/{name}")
    assert put.params["api-version"] == AUTHORIZATION_API
    _lossless(am.RoleAssignmentCreateParameters, put.json())

    got = client.role_assignments.get(SCOPE, name)
    assert (got.principal_id, got.role_definition_id) == (principal, _definition(CONTRIBUTOR))
    with pytest.raises(ResourceNotFoundError, match="RoleAssignmentNotFound"):
        client.role_assignments.get(SCOPE, str(uuid.uuid4()))
    listed = client.role_assignments.list_for_scope(SCOPE, filter=f"principalId eq '{principal}'")
    assert [a.name for a in listed] == [name]
    with pytest.raises(ResourceExistsError, match="RoleAssignmentExists"):
        client.role_assignments.create(
            SCOPE,
            str(uuid.uuid4()),
            am.RoleAssignmentCreateParameters(
                role_definition_id=_definition(CONTRIBUTOR), principal_id=principal
            ),
        )


def test_the_permissions_list_reads_the_same_through_the_sdk_and_check(peer: Peer, ours: Ours):
    peer.fake.arm.permissions = [
        {"actions": ["*"], "notActions": ["Microsoft.Authorization/*/Write"]},
        {"actions": ["Microsoft.App/*/read"], "notActions": []},
    ]
    listed = list(_authorization(peer).permissions.list_for_resource_group(GROUP))
    (sent,) = peer.sent("GET", "/providers/Microsoft.Authorization/permissions")
    assert sent.params["api-version"] == AUTHORIZATION_API  # the version check asks at

    raw = ours.arm.get(
        f"{ours.arm.group_path(GROUP)}/providers/Microsoft.Authorization/permissions",
        AUTHORIZATION_API,
        "listing the permissions",
    )
    assert raw is not None
    assert [p.serialize() for p in listed] == raw["value"]
    as_sdk = [{"actions": p.actions, "notActions": p.not_actions} for p in listed]
    for action in ACTIONS:
        assert allowed(as_sdk, action) is allowed(raw["value"], action)
    assert not allowed(raw["value"], "Microsoft.Authorization/roleAssignments/write")


def _documented_credential(body: dict[str, Any]) -> None:
    assert set(body) <= CREDENTIAL_FIELDS and set(body) >= CREDENTIAL_FIELDS - {"description"}
    assert URL_FRIENDLY.match(body["name"]), body["name"]
    assert len(body["audiences"]) == 1 and len(body["audiences"][0]) <= 600
    assert body["issuer"].startswith("https://")


class _Token:
    """A bearer token the fake Entra ID issued, as azure-core's TokenCredential."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, 2**31)


@pytest.fixture
def served_world(world: World, ca: trustme.CA) -> Iterator[tuple[World, str, str]]:
    """The world's ARM over TLS too (its base, the CA bundle), for the SDK's reads."""
    with LoopbackServer(world.arm, host="127.0.0.1", tls=True, ca=ca) as server:
        assert server.url.ca_bundle is not None
        yield world, f"https://127.0.0.1:{server.port}", str(server.url.ca_bundle)


def test_trusts_role_assignments_are_what_the_sdk_reads_and_writes(served_world) -> None:
    world, base, ca_bundle = served_world
    world.entra.apps[CLIENT].federated.clear()
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
    graph = FakeGraph(world.entra)
    target = terminal_target(world, graph)
    assert [a.outcome for a in apply(target, request, plan(target, request))] == (
        [Outcome.CREATED] * 4
    )
    (posted,) = [r for r in graph.requests if r.method == "POST"]
    _documented_credential(posted.json())

    puts = [r for r in world.arm.requests if r.method == "PUT" and "/roleAssignments/" in r.path]
    assert len(puts) == len(ROLES)
    for put in puts:
        _lossless(am.RoleAssignmentCreateParameters, put.json())
    (group,) = [
        r
        for r in world.arm.requests
        if r.method == "PUT" and r.path.endswith(f"/resourcegroups/{GROUP}")
    ]
    _lossless(rm.ResourceGroup, group.json())

    token = "eyJ0eXAiOiJKV1QifQ.sdk-reader"
    world.entra.issued[token] = CLIENT
    client = authorization.AuthorizationManagementClient(
        _Token(token),
        SUBSCRIPTION,
        **_kwargs(base, ca_bundle, "https://management.azure.com/.default"),
        logging_body=False,
    )
    principal = service_principal_id(CLIENT)
    read = client.role_assignments.list_for_scope(SCOPE, filter=f"principalId eq '{principal}'")
    assert sorted(a.role_definition_id for a in read) == sorted(
        _definition(d) for d, _ in ROLES.values()
    )
    # A role the SDK gives the same principal is one trust then finds there.
    world.arm.scope_assignments.clear()
    for guid, _ in ROLES.values():
        client.role_assignments.create(
            SCOPE,
            str(uuid.uuid4()),
            am.RoleAssignmentCreateParameters(
                role_definition_id=_definition(guid),
                principal_id=principal,
                principal_type="ServicePrincipal",
            ),
        )
    again = apply(target, request, plan(target, request))
    assert [a.outcome for a in again] == [Outcome.UNCHANGED] * 4, again
    assert world.arm.errors == []


@pytest.fixture
def graph(peer: Peer) -> Iterator[tuple[FakeGraph, str]]:
    """Graph over the peer's Entra ID, on its own origin (as graph.microsoft.com is)."""
    fake = FakeGraph(peer.fake.entra)
    with LoopbackServer(fake, host="127.0.0.1") as server:
        yield fake, f"http://127.0.0.1:{server.port}"
    assert fake.errors == [], fake.errors[0]


def test_federated_credentials_as_the_graph_reference_writes_and_reads_them(peer: Peer, graph):
    """msgraph-sdk is no peer here (133 MB, 16,700 files installed): azure-identity's Graph
    token and the requests of the Graph v1.0 reference, to the letter, instead."""
    _, base = graph
    token = secret_credential(peer).get_token(f"{GRAPH_AUDIENCE}/.default").token
    app = f"{base}/v1.0/applications(appId='{CLIENT}')/federatedIdentityCredentials"
    body = {
        "name": "pmcp-octo-app-branch-main",
        "issuer": "https://token.actions.githubusercontent.com",
        "subject": "repo:octo/app:ref:refs/heads/main",
        "description": "GitHub Actions of octo/app on main",
        "audiences": ["api://AzureADTokenExchange"],
    }
    _documented_credential(body)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(headers=headers) as http:
        created = http.post(app, json=body)
        assert created.status_code == 201, created.text
        made = created.json()
        assert {k: made[k] for k in body} == body
        for key in (made["id"], body["name"]):  # by id or by name, as the reference allows
            got = http.get(f"{app}/{key}")
            assert got.status_code == 200 and got.json() == made
        assert made in http.get(app).json()["value"]
        assert http.get(f"{app}/no-such-credential").status_code == 404
        again = http.post(app, json={**body, "name": "another-name"})
        assert again.status_code == 409  # the same issuer and subject
        assert http.post(app, json={**body, "audiences": []}).status_code == 400
        principal = http.get(f"{base}/v1.0/servicePrincipals(appId='{CLIENT}')").json()
        assert principal == {"id": service_principal_id(CLIENT), "appId": CLIENT}

        # Each token is for its own API: ARM's is refused by Graph, Graph's by ARM.
        arm_token = secret_credential(peer).get_token(peer.scope).token
        refused = http.get(app, headers={"Authorization": f"Bearer {arm_token}"})
        assert refused.status_code == 401 and "Invalid audience" in refused.text
    graph_for_arm = resources.ResourceManagementClient(
        _Token(token), SUBSCRIPTION, **_kwargs(peer.base, peer.ca_bundle, peer.scope)
    )
    with pytest.raises(ClientAuthenticationError, match="InvalidAuthenticationTokenAudience"):
        graph_for_arm.resource_groups.get(GROUP)
    # What Entra ID now matches a client assertion against is the credential Graph made.
    assert peer.fake.entra.apps[CLIENT].federated[-1].subject == body["subject"]
