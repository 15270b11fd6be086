"""Whole runs with publish-registry through the program's entry: a verified deploy published,
the same version again (read back, nothing sent), a version already listed with another
remote, no publication after a failed verification, what is refused before the deploy, a
lost answer, and no credential in any output."""

from __future__ import annotations

import json

from tests.fakes.mcp_registry import CURRENT_SCHEMA

from .helpers import API, DOMAIN, OWNER, REGISTRY, Registry

NAME = f"io.github.{OWNER}/weather"


def test_a_verified_deploy_is_published_with_its_endpoint(registry_world: Registry) -> None:
    run = registry_world.run()

    assert run.code == 0, run.printed
    url = run.outputs["url"]
    assert url.startswith(f"{API}/dep_") and run.outputs["verified"] == "true"
    assert run.outputs["registry-name"] == NAME
    assert run.outputs["registry-version"] == "1.2.3"
    assert registry_world.registry.entry(NAME, "1.2.3") == {
        "$schema": CURRENT_SCHEMA,
        "name": NAME,
        "description": "Weather forecasts and alerts for any city",
        "version": "1.2.3",
        "remotes": [{"type": "streamable-http", "url": url}],
    }
    # Signed in with the job's OIDC token for the registry's own URL.
    [issued] = registry_world.issuer.issued
    assert issued.audience == REGISTRY
    (sign_in,) = registry_world.registry.requests_to("/v0/auth/github-oidc")
    assert sign_in.json() == {"oidc_token": issued.token}
    (published,) = registry_world.registry.requests_to("/v0/publish")
    assert published.headers["Authorization"] == f"Bearer {registry_world.registry.tokens[0]}"
    assert f"| **MCP Registry** | {NAME} 1.2.3 (published) |" in run.summary
    report = json.loads(run.report)
    assert report["registry"] == {"name": NAME, "version": "1.2.3", "url": url, "published": True}
    registry_world.assert_no_secret_in(run)


def test_the_same_version_again_is_success_after_the_read_back(registry_world: Registry) -> None:
    """The server's own domain (verify-url) is the endpoint: each deploy of pmcp.run has a URL
    of its own, the domain stays."""
    first = registry_world.run(verify_url=DOMAIN)
    assert first.code == 0, first.printed
    entry = registry_world.registry.entry(NAME, "1.2.3")
    assert entry is not None
    assert entry["remotes"] == [{"type": "streamable-http", "url": DOMAIN}]

    again = registry_world.run(verify_url=DOMAIN)

    assert again.code == 0, again.printed
    assert again.outputs["url"] != first.outputs["url"]  # a new deployment behind the domain
    assert again.outputs["registry-version"] == "1.2.3"
    assert f"{NAME} version 1.2.3 is published already with {DOMAIN}." in again.printed
    assert len(registry_world.registry.requests_to("/v0/publish")) == 1
    assert len(registry_world.registry.requests_to("/v0/auth/github-oidc")) == 1  # no sign-in
    assert registry_world.registry.versions(NAME) == ["1.2.3"]
    assert "(already published)" in again.summary
    registry_world.assert_no_secret_in(again)


def test_a_version_listed_with_another_remote_fails_clearly(registry_world: Registry) -> None:
    registry_world.registry.seed(
        {
            "$schema": CURRENT_SCHEMA,
            "name": NAME,
            "description": "Weather",
            "version": "1.2.3",
            "remotes": [{"type": "streamable-http", "url": "https://old.example/mcp"}],
        }
    )

    run = registry_world.run()

    assert run.code == 1
    assert run.outputs["status"] == "failure" and run.outputs["verified"] == "true"
    assert run.outputs["registry-name"] == ""
    assert (
        f"::error title=MCP Registry publish failed::{NAME} version 1.2.3 is already in the MCP "
        f"Registry with https://old.example/mcp, not the verified endpoint {run.outputs['url']}. "
        "A published version never changes.%0A%0AHow to fix: Release a new version (tag "
        "v<next>, or raise the crate's version) so that the registry lists this endpoint."
    ) in run.printed
    assert registry_world.registry.requests_to("/v0/publish") == []


def test_no_publication_after_a_failed_verification(registry_world: Registry) -> None:
    registry_world.pmcp.break_server("http_500")

    run = registry_world.run()

    assert run.code == 3
    assert run.outputs["verified"] == "false" and run.outputs["registry-name"] == ""
    assert registry_world.registry.requests == []
    assert registry_world.issuer.issued == []


def test_what_could_never_be_published_is_refused_before_the_deploy(
    registry_world: Registry,
) -> None:
    (registry_world.project / "Cargo.toml").write_text('[package]\nname = "weather"\n')

    run = registry_world.run(verify="false", registry_name="weather")

    assert run.code == 1
    assert run.outputs["status"] == "failure"
    message = run.printed
    assert "input 'publish-registry': publishes only a verified server, and verify is false" in (
        message
    )
    assert (
        "input 'registry-name': must be <namespace>/<name> with exactly one /, e.g. "
        "io.github.octo-org/weather"
    ) in message
    assert (
        f"{registry_world.project.resolve()}/Cargo.toml [package].description: is empty: the "
        "MCP Registry lists the server with it"
    ) in message
    assert registry_world.pmcp.requests == [] and registry_world.registry.requests == []


def test_outside_github_actions_publishing_is_refused_before_the_deploy(
    registry_world: Registry,
) -> None:
    registry_world.env["GITHUB_ACTIONS"] = ""
    registry_world.env["GITLAB_CI"] = "true"
    registry_world.env["PMCP_DOTENV_PATH"] = str(registry_world.project / "out.env")

    run = registry_world.run()

    assert run.code == 1
    assert (
        "input 'publish-registry': signs in to the MCP Registry with GitHub Actions' OIDC token, "
        "and this run is not on GitHub Actions — publish from a GitHub Actions job with "
        "`permissions: id-token: write`"
    ) in run.printed
    assert registry_world.pmcp.requests == [] and registry_world.registry.requests == []
    assert "PMCP_OUT_STATUS=failure" in (registry_world.project / "out.env").read_text()


def test_a_release_tag_gives_the_version(registry_world: Registry) -> None:
    registry_world.env |= {"GITHUB_REF_TYPE": "tag", "GITHUB_REF_NAME": "v2.0.0-rc.1"}

    run = registry_world.run()

    assert run.code == 0, run.printed
    assert run.outputs["registry-version"] == "2.0.0-rc.1"
    assert registry_world.registry.versions(NAME) == ["2.0.0-rc.1"]


def test_a_lost_answer_to_the_publish_is_read_not_sent_again(registry_world: Registry) -> None:
    registry_world.registry.faults.drop(after_handling=True, path="/v0/publish")

    run = registry_world.run()

    assert run.code == 0, run.printed
    assert len(registry_world.registry.requests_to("/v0/publish")) == 1
    assert registry_world.registry.versions(NAME) == ["1.2.3"]
    assert "The answer to publishing" in run.printed and "was lost, but it happened" in run.printed


def test_a_publish_that_did_not_happen_is_sent_again(registry_world: Registry) -> None:
    registry_world.registry.faults.drop(path="/v0/publish")

    run = registry_world.run()

    assert run.code == 0, run.printed
    assert len(registry_world.registry.requests_to("/v0/publish")) == 2
    assert registry_world.registry.versions(NAME) == ["1.2.3"]


def test_a_name_outside_the_owners_namespace_is_refused_by_the_registry(
    registry_world: Registry,
) -> None:
    run = registry_world.run(registry_name="io.github.someone-else/weather")

    assert run.code == 1
    assert (
        "Publishing io.github.someone-else/weather version 1.2.3 to the MCP Registry failed: "
        "HTTP 403: You do not have permission to publish this server. You have permission to "
        f"publish: io.github.{OWNER}/*. Attempting to publish: io.github.someone-else/weather."
    ) in run.printed.replace("%0A", "\n")
    assert "GitHub's OIDC sign-in may publish io.github.<repository owner>/* only" in run.printed
    registry_world.assert_no_secret_in(run)
