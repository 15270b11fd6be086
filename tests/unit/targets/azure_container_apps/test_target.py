from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from pmcp_action.ci.base import Platform
from pmcp_action.errors import DeployError
from pmcp_action.targets.azure_container_apps.target import AzureContainerAppsTarget
from tests.fakes.azure_container_apps import FakeArm, FakeEntra
from tests.fakes.oidc_issuer import FakeOidcIssuer

from .helpers import CLIENT, SUBSCRIPTION, TENANT, resolved

LOGIN = "http://127.0.0.1:7001"
ARM = "http://127.0.0.1:7002"
SECRET = "Zq8~very.secret.value"
IMAGE_1 = "ghcr.io/acme/calc@sha256:" + "1" * 64
IMAGE_2 = "ghcr.io/acme/calc@sha256:" + "2" * 64


@dataclass
class World:
    entra: FakeEntra
    arm: FakeArm
    issuer: FakeOidcIssuer
    log: io.StringIO
    tmp_path: Path

    def transport(self) -> httpx.MockTransport:
        def route(request: httpx.Request) -> httpx.Response:
            fake = self.entra if request.url.port == 7001 else self.arm
            return fake(request)

        return httpx.MockTransport(route)

    def target(self, **inputs: Any) -> AzureContainerAppsTarget:
        return self.sleeping_target(lambda _s: None, inputs)

    def sleeping_target(
        self, sleep: Callable[[float], None], inputs: dict[str, Any]
    ) -> AzureContainerAppsTarget:
        given = {"image": IMAGE_1, **inputs}
        context, config, problems = resolved(
            self.tmp_path,
            given,
            environ={"PMCP_AZURE_LOGIN_URL": LOGIN, "PMCP_AZURE_ARM_URL": ARM},
            console=Platform(environ={}, log_stream=self.log),
            transport=self.transport(),
            id_token=self.issuer.issue,
            sleep=sleep,
        )
        return AzureContainerAppsTarget(context, resolved=(config, problems))

    def traffic(self) -> list[dict[str, Any]]:
        app = next(r for r in self.arm.resources.values() if r["type"].endswith("containerApps"))
        return list(app["properties"]["configuration"]["ingress"]["traffic"])


@pytest.fixture
def world(tmp_path: Path) -> World:
    entra = FakeEntra(arm_audience=ARM)
    issuer = FakeOidcIssuer()
    entra.add_app(CLIENT, TENANT, secret=SECRET)
    entra.trust_github(CLIENT, issuer.repository)
    arm = FakeArm(entra, SUBSCRIPTION)
    arm.base = ARM
    return World(entra, arm, issuer, io.StringIO(), tmp_path)


def test_first_deploy_on_a_cold_subscription(world: World) -> None:
    world.arm.cold()
    result = world.target().deploy()
    assert world.arm.providers["Microsoft.App"] == "Registered"
    assert world.arm.groups["calc-rg"]["tags"] == {"managed-by": "pmcp"}
    assert result.version.startswith("calc--p") and result.candidate_url == ""
    assert result.url.startswith("https://calc.calc-env-")
    assert result.outputs["image"] == IMAGE_1 and result.region == "eastus"
    assert world.traffic() == [{"latestRevision": True, "weight": 100}]
    assert "Registering the resource provider Microsoft.App" in world.log.getvalue()
    app = next(iter(r for r in world.arm.resources.values() if "containerApps" in r["type"]))
    ingress = app["properties"]["configuration"]["ingress"]
    assert ingress["external"] and ingress["targetPort"] == 8080
    assert ingress["corsPolicy"]["allowedOrigins"] == ["*"]
    assert app["properties"]["configuration"]["activeRevisionsMode"] == "Multiple"


def test_redeploy_stages_at_weight_zero_then_promotes(world: World) -> None:
    first = world.target().deploy()
    target = world.target(image=IMAGE_2)
    staged = target.stage()
    assert staged.previous_version == first.version
    assert staged.candidate_url.startswith(f"https://{staged.version}.")
    assert world.traffic() == [{"revisionName": first.version, "weight": 100}]
    done = target.promote(staged)
    assert world.traffic() == [{"revisionName": staged.version, "weight": 100}]
    assert done.version == staged.version and done.can_roll_back


def test_a_failed_verification_leaves_the_previous_revision_serving(world: World) -> None:
    first = world.target().deploy()
    target = world.target(image=IMAGE_2)
    staged = target.stage()
    target.discard(staged)
    assert world.traffic() == [{"revisionName": first.version, "weight": 100}]
    assert world.target().outputs().version == first.version


def test_unchanged_image_and_settings_make_no_revision(world: World) -> None:
    world.target().deploy()
    puts = len(world.arm.mutations)
    result = world.target().deploy()
    assert result.unchanged is True
    assert world.arm.mutations[puts:] == []


def test_a_revision_that_fails_to_provision_reports_azures_reason(world: World) -> None:
    first = world.target().deploy()
    world.arm.failing_images[IMAGE_2] = "Container 'calc' crashed: exit code 1"
    with pytest.raises(DeployError, match="exit code 1"):
        world.target(image=IMAGE_2).deploy()
    assert world.traffic() == [{"revisionName": first.version, "weight": 100}]


def test_rollback_to_the_previous_and_to_a_named_revision(world: World) -> None:
    first = world.target().deploy()
    second = world.target(image=IMAGE_2).deploy()
    back = world.target().rollback("")
    assert back.version == first.version and back.previous_version == second.version
    assert world.traffic() == [{"revisionName": first.version, "weight": 100}]
    again = world.target().rollback(second.version.split("--", 1)[1])
    assert again.version == second.version
    with pytest.raises(DeployError, match="no revision"):
        world.target().rollback("nope")


def test_outputs(world: World) -> None:
    first = world.target().deploy()
    out = world.target().outputs()
    assert (out.version, out.deployment_id, out.url) == (first.version, first.version, first.url)
    assert out.outputs["resource-group"] == "calc-rg"


def test_destroy_keeps_the_group_unless_asked(world: World) -> None:
    world.target().deploy()
    world.target().destroy()
    assert "calc-rg" in world.arm.groups
    assert not any("containerApps" in r["type"] for r in world.arm.resources.values())
    with pytest.raises(DeployError, match="Nothing to destroy"):
        world.target().destroy()
    world.target().deploy()
    world.target(**{"azure-delete-resource-group": "true"}).destroy()
    assert "calc-rg" not in world.arm.groups


def test_plan_reads_only_and_includes_provider_registration(world: World) -> None:
    world.arm.cold()
    result = world.target().plan()
    assert world.arm.mutations == []
    actions = [(c.action, c.resource) for c in result.changes]
    assert ("update", "provider Microsoft.App") in actions
    assert ("create", "container app calc") in actions
    world.arm.reset_state()
    world.target().deploy()
    assert world.target().plan().unchanged is True
    staged = world.target(image=IMAGE_2).plan()
    assert any(c.action == "update" for c in staged.changes)


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


def test_an_app_not_made_by_pmcp_is_left_alone(world: World) -> None:
    world.target().deploy()
    app = next(r for r in world.arm.resources.values() if "containerApps" in r["type"])
    app["tags"] = {}
    with pytest.raises(DeployError, match="managed-by=pmcp"):
        world.target(image=IMAGE_2).deploy()
    with pytest.raises(DeployError, match="left alone"):
        world.target().destroy()


def test_throttling_and_a_running_operation_are_waited_out(world: World) -> None:

    world.target().deploy()
    app = next(k for k, r in world.arm.resources.items() if "containerApps" in r["type"])
    world.arm.busy.add(app)  # an operation someone else started

    def finish_the_other_operation(_s: float) -> None:
        world.arm.busy.discard(app)

    staged = world.sleeping_target(finish_the_other_operation, {"image": IMAGE_2}).stage()
    assert staged.candidate_url
    assert "another operation is running" in world.log.getvalue()


def test_a_throttled_write_is_sent_again_after_retry_after(world: World) -> None:
    from tests.fakes.server import Fault

    world.arm.faults.add(Fault("status", status=429, retry_after=1), method="PUT")
    assert world.target().deploy().version
    assert any(r.fault for r in world.arm.requests)
