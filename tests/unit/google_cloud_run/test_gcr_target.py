"""The google-cloud-run target's methods against the fakes: key JSON, ambient ADC, OIDC with
impersonation, the image assembled and pushed to Artifact Registry with the access token,
unchanged redeploys, a discarded candidate; no secret in the log."""

from __future__ import annotations

import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from pmcp_action.ci.base import Platform
from pmcp_action.errors import PmcpActionError
from pmcp_action.targets.google_cloud_run.target import GoogleCloudRunTarget
from tests.fakes.google_cloud_run import FakeArtifactRegistryDocker, FakeGoogleCloud
from tests.fakes.oidc_issuer import FakeOidcIssuer
from tests.support.context import make_context
from tests.unit.artifact.oci_image.helpers import HOST_BINARY, seed_base

from .helpers import service_account_key

API = "http://127.0.0.1:7001"
REGISTRY = "127.0.0.1:5000"
PROVIDER = "projects/123456789/locations/global/workloadIdentityPools/ci-pool/providers/github"
SA = "deployer@demo-project.iam.gserviceaccount.com"
SERVICE = "projects/demo-project/locations/us-central1/services/calc"
SHA = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class World:
    google: FakeGoogleCloud
    registry: FakeArtifactRegistryDocker
    issuer: FakeOidcIssuer
    tmp_path: Path
    key_json: str
    log: io.StringIO

    def transport(self) -> httpx.MockTransport:
        def route(request: httpx.Request) -> httpx.Response:
            fake = self.registry if request.url.port == 5000 else self.google
            return fake(request)

        return httpx.MockTransport(route)

    def target(self, inputs: dict[str, Any], **environ: str) -> GoogleCloudRunTarget:
        context = make_context(
            target="google-cloud-run",
            root=self.tmp_path,
            inputs={"gcp-project": "demo-project", **inputs},
            environ={
                "PMCP_GOOGLE_API_URL": API,
                "PMCP_GOOGLE_REGISTRY_HOST": REGISTRY,
                "GITHUB_SHA": SHA,
                **environ,
            },
            environment={"GREETING": "hello", "PORT": "1234"},
            server_name="calc",
            console=Platform(environ={}, log_stream=self.log),
            transport=self.transport(),
            id_token=self.issuer.issue,
        )
        return GoogleCloudRunTarget(context)

    def secrets(self) -> list[str]:
        private_key = json.loads(self.key_json)["private_key"]
        issued = [t.token for t in self.issuer.issued]
        return [self.key_json, private_key, *self.google.tokens, *issued]

    def assert_no_secret_logged(self) -> None:
        text = self.log.getvalue()
        for secret in self.secrets():
            assert secret not in text
        for line in json.loads(self.key_json)["private_key"].splitlines()[1:-1]:
            assert line not in text


@pytest.fixture
def world(tmp_path: Path) -> World:
    google = FakeGoogleCloud()
    registry = FakeArtifactRegistryDocker(google, host=REGISTRY)
    issuer = FakeOidcIssuer()
    google.providers[PROVIDER] = {"repository": issuer.repository}
    google.service_accounts[SA] = PROVIDER
    key_json, public = service_account_key(SA)
    google.keys[SA] = public
    binary = tmp_path / "target" / "release" / "calc"
    binary.parent.mkdir(parents=True)
    shutil.copy(HOST_BINARY, binary)
    return World(google, registry, issuer, tmp_path, key_json, io.StringIO())


def _container(world: World) -> dict[str, Any]:
    body = world.google.services[SERVICE].body
    return dict(body["template"]["containers"][0])


def test_key_json_assembles_pushes_to_artifact_registry_and_an_unchanged_redeploy(
    world: World,
) -> None:
    base = seed_base(world.registry)
    inputs = {"gcp-credentials-json": world.key_json, "base-image": base}
    result = world.target(inputs).deploy()
    repository = f"{REGISTRY}/demo-project/pmcp/calc"
    image = result.outputs["image"]
    assert image.startswith(f"{repository}@sha256:")
    assert result.outputs["project"] == "demo-project" and result.identity == SA
    assert result.version == "calc-00001-x" and not result.candidate_url
    assert result.access_settling == "allUsers was just granted roles/run.invoker"
    assert result.url.endswith("-abc123-uc.a.run.app/mcp")
    repo = world.google.repositories[
        "projects/demo-project/locations/us-central1/repositories/pmcp"
    ]
    assert repo["format"] == "DOCKER" and repo["labels"] == {"managed-by": "pmcp"}
    assert world.registry.tags["demo-project/pmcp/calc"][SHA] == image.rpartition("@")[2]
    container = _container(world)
    assert container["image"] == image
    assert container["env"] == [{"name": "GREETING", "value": "hello"}]  # never PORT
    assert container["resources"] == {"limits": {"cpu": "1", "memory": "512Mi"}}
    assert container["ports"] == [{"containerPort": 8080}]
    log = world.log.getvalue()
    assert "Workload Identity Federation" in log and "Long-lived key" in log
    # Artifact Registry's login: oauth2accesstoken and the access token, to its token service.
    token_requests = world.registry.requests_to("/token")
    assert token_requests and all(
        r.headers["authorization"].startswith("Basic ") for r in token_requests
    )

    again = world.target(inputs).deploy()
    assert again.unchanged is True and again.version == "calc-00001-x"
    assert again.access_settling == ""  # the grant was already there
    assert len(world.google.services[SERVICE].revisions) == 1
    world.assert_no_secret_logged()


def test_ambient_reads_the_file_application_default_credentials_name(world: World) -> None:
    adc = world.tmp_path / "adc.json"
    adc.write_text(world.key_json)
    image = "us-central1-docker.pkg.dev/demo-project/pmcp/calc@sha256:" + "a" * 64
    target = world.target(
        {"auth": "ambient", "image": image}, GOOGLE_APPLICATION_CREDENTIALS=str(adc)
    )
    result = target.deploy()
    assert result.identity == SA and result.outputs["image"] == image
    assert f"Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS): {SA}" in (
        world.log.getvalue()
    )
    world.assert_no_secret_logged()


def test_oidc_with_impersonation_stage_and_discard(world: World) -> None:
    image_1 = "us-central1-docker.pkg.dev/demo-project/pmcp/calc@sha256:" + "1" * 64
    image_2 = "us-central1-docker.pkg.dev/demo-project/pmcp/calc@sha256:" + "2" * 64
    oidc = {"gcp-workload-identity-provider": PROVIDER, "gcp-service-account": SA}
    world.target({**oidc, "image": image_1}).deploy()
    assert world.issuer.audiences == [f"https://iam.googleapis.com/{PROVIDER}"]
    target = world.target({**oidc, "image": image_2})
    staged = target.stage()
    assert staged.previous_version == "calc-00001-x" and staged.can_roll_back
    assert staged.version.startswith("calc-2222222-")
    assert staged.candidate_url == "https://candidate---calc-abc123-uc.a.run.app/mcp"
    assert staged.url == "https://calc-abc123-uc.a.run.app/mcp"
    traffic = world.google.services[SERVICE].traffic
    assert {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": staged.version,
            "tag": "candidate"} in traffic  # fmt: skip
    target.discard(staged)
    assert world.google.services[SERVICE].traffic == [
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": "calc-00001-x",
         "percent": 100}
    ]  # fmt: skip
    assert target.outputs().version == "calc-00001-x"
    world.assert_no_secret_logged()


def test_no_request_while_the_inputs_have_problems(world: World) -> None:
    target = world.target({"gcp-workload-identity-provider": "pool/github"})
    assert target.validate()
    with pytest.raises(PmcpActionError):
        target.deploy()
    assert world.google.requests == [] and world.issuer.issued == []


def test_a_prebuilt_tag_is_pinned_with_the_google_login(world: World) -> None:
    base = seed_base(world.registry, repository="demo-project/pmcp/calc", tag="1.0")
    digest = world.registry.tags["demo-project/pmcp/calc"]["1.0"]
    result = world.target({"gcp-credentials-json": world.key_json, "image": base}).deploy()
    assert result.outputs["image"] == f"{REGISTRY}/demo-project/pmcp/calc@{digest}"
    assert not world.google.repositories  # a prebuilt image needs no repository


def test_a_first_revision_never_ready_then_a_good_one_serves_directly(world: World) -> None:
    bad = "us-central1-docker.pkg.dev/demo-project/pmcp/calc@sha256:" + "b" * 64
    good = "us-central1-docker.pkg.dev/demo-project/pmcp/calc@sha256:" + "c" * 64
    world.google.never_ready.add(bad)
    inputs = {"gcp-credentials-json": world.key_json}
    with pytest.raises(PmcpActionError) as failed:
        world.target({**inputs, "image": bad}).deploy()
    assert "failed to start and listen on the port" in failed.value.message
    assert world.google.services[SERVICE].traffic == []  # nothing serves
    result = world.target({**inputs, "image": good}).deploy()
    assert result.version.startswith("calc-ccccccc-") and not result.candidate_url
    assert world.google.services[SERVICE].traffic == [
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": result.version,
         "percent": 100}
    ]  # fmt: skip


def test_a_deploy_that_another_one_moved_past_leaves_the_later_one_serving(world: World) -> None:
    image = "us-central1-docker.pkg.dev/demo-project/pmcp/calc@sha256:"
    inputs = {"gcp-credentials-json": world.key_json}
    world.target({**inputs, "image": image + "1" * 64}).deploy()
    ours = world.target({**inputs, "image": image + "2" * 64})
    staged = ours.stage()
    theirs = world.target({**inputs, "image": image + "3" * 64}).deploy()
    assert theirs.version.startswith("calc-3333333-")
    result = ours.promote(staged)
    assert result.version == theirs.version and result.can_roll_back is False
    assert result.outputs["image"] == image + "3" * 64
    assert "Another deploy moved the traffic of calc to " + theirs.version in result.notes[0]
    assert "Another deploy came first" in world.log.getvalue()
    assert world.google.services[SERVICE].traffic == [
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": theirs.version,
         "percent": 100}
    ]  # fmt: skip


def test_only_the_access_changing_is_a_change_too(world: World) -> None:
    image = "us-central1-docker.pkg.dev/demo-project/pmcp/calc@sha256:" + "1" * 64
    inputs = {"gcp-credentials-json": world.key_json, "image": image}
    world.target(inputs).deploy()
    private = world.target({**inputs, "allow-unauthenticated": False}).deploy()
    assert private.unchanged is False and private.access_settling == ""
    assert [(c.action, c.detail) for c in private.changes] == [
        ("update", "withdrew allUsers roles/run.invoker")
    ]
    assert "allUsers" not in json.dumps(world.google.services[SERVICE].policy)
    again = world.target({**inputs, "allow-unauthenticated": False}).deploy()
    assert again.unchanged is True and again.changes == ()
    assert len(world.google.services[SERVICE].revisions) == 1


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
                f"projects/-/serviceAccounts/{SA}:generateAccessToken",
                "credential_source": {"file": str(token_file)},
            }
        )
    )
    image = "us-central1-docker.pkg.dev/demo-project/pmcp/calc@sha256:" + "e" * 64
    result = world.target(
        {"auth": "ambient", "image": image}, GOOGLE_APPLICATION_CREDENTIALS=str(adc)
    ).deploy()
    assert result.identity == SA and result.version == "calc-00001-x"
    assert "(external-account)" in world.log.getvalue()
    assert "Long-lived key" not in world.log.getvalue()
    world.assert_no_secret_logged()
