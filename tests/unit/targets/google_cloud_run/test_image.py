"""The image a revision runs: the binary assembled and pushed to Artifact Registry with the
access token (an unchanged redeploy pushes nothing new), a prebuilt tag pinned by digest."""

from __future__ import annotations

from typing import Any

from tests.unit.artifact.oci_image.helpers import seed_base

from .helpers import DEPLOYER, REGISTRY, SERVICE, SHA, World


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
    assert result.outputs["project"] == "demo-project" and result.identity == DEPLOYER
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


def test_a_prebuilt_tag_is_pinned_with_the_google_login(world: World) -> None:
    base = seed_base(world.registry, repository="demo-project/pmcp/calc", tag="1.0")
    digest = world.registry.tags["demo-project/pmcp/calc"]["1.0"]
    result = world.target({"gcp-credentials-json": world.key_json, "image": base}).deploy()
    assert result.outputs["image"] == f"{REGISTRY}/demo-project/pmcp/calc@{digest}"
    assert not world.google.repositories  # a prebuilt image needs no repository
