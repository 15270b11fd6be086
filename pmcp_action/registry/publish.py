"""Publishing a verified deploy to the MCP Registry: read, sign in, publish once, read back.

A version is immutable in the registry, so the order is:

1. read the version: published already with the same remote → done, nothing sent (a re-run
   of a deploy, or another job of the same release); with another remote → an error (a
   version is never re-pointed: release a new one);
2. sign in: the job's OIDC token (audience: the registry's URL) exchanged for a registry
   token; both are masked the moment they exist;
3. publish, once: after a lost answer the version is read again, and the call is sent again
   only when the read proves it did not happen (:func:`pmcp_action.once.create_once`); an
   answer "duplicate version" (another run won the race) is settled by the same read;
4. read back: the registry must list the version with the endpoint.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..context import RunContext
from ..errors import PmcpActionError
from ..once import create_once
from ..result import RegistryPublication, Verification
from .api import RegistryApi
from .failures import RegistryApiError
from .plan import RegistryPlan
from .server_json import document_problems, remote_urls, server_json, version_problem

__all__ = ["RegistryError", "publish"]


class RegistryError(PmcpActionError):
    """A verified deploy could not be published to the MCP Registry."""

    title = "MCP Registry publish failed"


def _version(plan: RegistryPlan, verification: Verification) -> tuple[str, str]:
    """(version, where it came from) for this publication."""
    if plan.tag_version:
        return plan.tag_version, "the release tag"
    if verification.server_version:
        return verification.server_version, "the version the verified server reports"
    return plan.crate_version, "the crate's version in Cargo.toml"


def _differs(name: str, version: str, url: str, found: Mapping[str, Any]) -> RegistryError:
    listed = ", ".join(sorted(remote_urls(found))) or "no streamable-http remote"
    return RegistryError(
        f"{name} version {version} is already in the MCP Registry with {listed}, not the "
        f"verified endpoint {url}. A published version never changes.",
        remediation="Release a new version (tag v<next>, or raise the crate's version) so "
        "that the registry lists this endpoint.",
    )


def publish(
    context: RunContext, plan: RegistryPlan, verification: Verification
) -> RegistryPublication:
    """Publish the verified endpoint as ``plan`` says; the publication as the registry has it."""
    console = context.console
    url = verification.url
    version, version_source = _version(plan, verification)
    problem = version_problem(version) if version else "is empty"
    if problem:
        raise RegistryError(
            f"The version for the MCP Registry, {version!r} ({version_source}), {problem}.",
            remediation="Run the release from a tag (v1.2.3), or give the crate a version.",
        )
    document = server_json(plan.name, plan.description, version, url)
    problems = document_problems(document)
    if problems:
        raise RegistryError(
            "The server.json for the MCP Registry breaks the schema's rules: "
            + "; ".join(problems)
            + ".",
            remediation="Correct the value named above.",
        )
    with context.http(base_url=plan.registry_url) as client:
        api = RegistryApi(client, plan.registry_url)
        console.info(f"MCP Registry {plan.registry_url}: {plan.name} version {version} → {url}")
        existing = api.find_version(plan.name, version)
        if existing is not None:
            if url not in remote_urls(existing):
                raise _differs(plan.name, version, url, existing)
            console.info(f"{plan.name} version {version} is published already with {url}.")
            return RegistryPublication(plan.name, version, url, published=False)

        id_token = context.id_token(plan.registry_url)
        token = api.sign_in_with_github(id_token, context.console.mask)

        def send() -> Mapping[str, Any]:
            try:
                return api.publish(document, token)
            except RegistryApiError as exc:
                if not exc.duplicate_version:
                    raise
                raced = api.find_version(plan.name, version)
                if raced is None:
                    raise
                return raced

        create_once(
            context,
            send,
            lambda: api.find_version(plan.name, version),
            f"publishing {plan.name} version {version}",
        )
        found = api.find_version(plan.name, version)
    if found is None:
        raise RegistryError(
            f"The MCP Registry accepted {plan.name} version {version} but does not list it.",
            remediation="Run the job again: the read-back found nothing to compare with.",
        )
    if url not in remote_urls(found):
        raise _differs(plan.name, version, url, found)
    console.info(f"Published {plan.name} version {version} to the MCP Registry.")
    return RegistryPublication(plan.name, version, url, published=True)
