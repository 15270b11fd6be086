"""trust and check for Azure: the federated credential and role assignments, as JSON and az
commands; the credential trust prints is what Entra ID matches; check reads the resource
group and holds the permissions list to every action a deploy uses."""

from __future__ import annotations

import pytest

from pmcp_action.access import AccessMissing
from pmcp_action.errors import PmcpActionError
from pmcp_action.settings.vocabulary import CiSystem
from pmcp_action.targets.azure_container_apps.trust import (
    ACTIONS,
    ROLES,
    allowed,
    apply,
    plan,
)
from pmcp_action.trust.model import Outcome, TrustRequest
from pmcp_action.trust.subjects import token_source
from tests.fakes.azure_container_apps.entra import FederatedCredential
from tests.fakes.azure_container_apps.graph import service_principal_id

from .helpers import CLIENT, GROUP, SUBSCRIPTION, World, terminal_target


def _request(
    ci: CiSystem, repository: str, ref: str = "", environment: str = "prod"
) -> TrustRequest:
    source, problems = token_source(
        ci=ci, repository=repository, ref=ref, environment=environment, environ={}, sources={}
    )
    assert source is not None, problems
    return TrustRequest(source)


def test_the_printed_credential_is_what_entra_matches(world: World) -> None:
    made = plan(
        world.target(**{"resource-group": GROUP}),
        _request(CiSystem.GITHUB, world.issuer.repository, "main"),
    )
    [credential] = [d for d in made.documents if d.title == "Federated identity credential"]
    body = credential.body
    assert (body["issuer"], body["subject"], body["audiences"]) == (
        "https://token.actions.githubusercontent.com",
        f"repo:{world.issuer.repository}:ref:refs/heads/main",
        ["api://AzureADTokenExchange"],
    )
    scope = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}"
    assert [d.name for d in made.documents[1:]] == [scope, scope]
    assert made.commands[0].startswith(f"az ad app federated-credential create --id {CLIENT}")
    assert (
        f"az role assignment create --assignee {CLIENT} --role Contributor --scope {scope}"
        in made.commands
    )

    app = world.entra.apps[CLIENT]
    app.federated.clear()
    app.federated.append(
        FederatedCredential(body["issuer"], body["subject"], tuple(body["audiences"]))
    )
    assert world.target(**{"resource-group": GROUP}).check_access().identity


def test_a_gitlab_environment_gets_no_credential_but_a_note(world: World) -> None:
    made = plan(world.target(), _request(CiSystem.GITLAB, "grp/app"))

    assert all(d.title != "Federated identity credential" for d in made.documents)
    assert any("give --ref BRANCH" in note for note in made.notes)


def test_check_passes_with_every_action_and_writes_nothing(world: World) -> None:
    result = world.target().check_access()

    assert result.notes[0].startswith(
        f"Probed with the permissions list of /subscriptions/{SUBSCRIPTION}"
    )
    assert world.arm.mutations == []


def test_check_names_the_action_the_identity_may_not_do(world: World) -> None:
    world.arm.permissions = [
        {
            "actions": ["*"],
            "notActions": ["Microsoft.App/containerApps/write", "Microsoft.Authorization/*/Write"],
        }
    ]

    with pytest.raises(AccessMissing) as missing:
        world.target().check_access()

    text = missing.value.diagnostics()
    assert "Microsoft.App/containerApps/write on /subscriptions/" in text
    assert "Microsoft.Authorization/roleAssignments/write" in text
    assert "Microsoft.App/containerApps/read" not in text.split("How")[0]
    assert f"az role assignment create --assignee {CLIENT}" in text


@pytest.mark.parametrize(
    ("entries", "action", "expected"),
    [
        ([{"actions": ["*/read"]}], "Microsoft.App/containerApps/read", True),
        ([{"actions": ["*/read"]}], "Microsoft.App/containerApps/write", False),
        (
            [{"actions": ["Microsoft.App/*"], "notActions": ["Microsoft.App/*/delete"]}],
            "Microsoft.App/containerApps/write",
            True,
        ),
        (
            [{"actions": ["*"], "notActions": ["microsoft.app/containerapps/write"]}],
            "Microsoft.App/containerApps/write",
            False,
        ),
    ],
)
def test_the_permissions_list_is_read_as_arm_reads_it(entries, action, expected) -> None:
    assert allowed(entries, action) is expected
    assert action in ACTIONS


def test_apply_creates_the_credential_group_and_roles_once_then_check_passes(world: World) -> None:
    world.entra.apps[CLIENT].federated.clear()
    request = _request(CiSystem.GITHUB, world.issuer.repository, "main")
    with pytest.raises(PmcpActionError):
        world.target(**{"resource-group": GROUP}).check_access()  # nothing trusts the token

    target = terminal_target(world)
    first = apply(target, request, plan(target, request))

    assert [a.outcome for a in first] == [Outcome.CREATED] * 4, first
    [credential] = world.entra.apps[CLIENT].federated
    assert credential.subject == f"repo:{world.issuer.repository}:ref:refs/heads/main"
    principal = service_principal_id(CLIENT)
    roles = sorted(
        a["properties"]["roleDefinitionId"].rsplit("/", 1)[-1]
        for a in world.arm.scope_assignments.values()
        if a["properties"]["principalId"] == principal
    )
    assert roles == sorted(definition for definition, _ in ROLES.values())

    again = apply(target, request, plan(target, request))
    assert [a.outcome for a in again] == [Outcome.UNCHANGED] * 4, again
    assert world.target(**{"resource-group": GROUP}).check_access().identity


def test_apply_reports_a_credential_that_differs_and_leaves_it(world: World) -> None:
    world.entra.apps[CLIENT].federated.clear()
    target = terminal_target(world)
    main = _request(CiSystem.GITHUB, "octo/app", "main")
    apply(target, main, plan(target, main))
    world.entra.apps[CLIENT].federated[0] = FederatedCredential(
        "https://token.actions.githubusercontent.com",
        "repo:octo/app:ref:refs/heads/main",
        ("other",),
    )

    [credential, *_] = apply(target, main, plan(target, main))

    assert credential.outcome is Outcome.DIFFERS and "audiences" in credential.detail
    assert world.entra.apps[CLIENT].federated[0].audiences == ("other",)
