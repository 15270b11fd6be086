"""What ``publish-registry`` will publish, worked out and checked before anything is deployed.

Publishing follows a verified production deploy only, so a run that could never publish is
refused with the other input problems, before the deploy: ``verify: false``, a run outside
GitHub Actions (the registry's OIDC sign-in takes GitHub's tokens), a name or description
the registry would refuse. The parts:

- the name: ``registry-name``, else ``io.github.<repository owner>/<server-name>`` (GitHub's
  OIDC sign-in may publish under ``io.github.<repository owner>/`` only);
- the description: the crate's ``[package].description`` in Cargo.toml;
- the version: the release tag when the run is for one (``v1.2.3`` → ``1.2.3``), else what
  the verified server reports as its version (``serverInfo.version``), else the crate's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..context import Project
from ..errors import Problem
from ..oidc import GITHUB_PLATFORM
from ..project import read_crate_description
from ..settings.core_settings import Settings
from ..settings.vocabulary import Command, VerifyMode
from .server_json import description_problem, name_problem, version_problem

__all__ = ["RegistryPlan", "plan_publication", "tag_version"]

_INPUT = "input 'publish-registry'"
_TAG_PREFIX = re.compile(r"^v(?=\d)")


@dataclass(frozen=True)
class RegistryPlan:
    """A publication decided before the deploy; its version may wait for verification."""

    registry_url: str
    name: str
    description: str
    #: From the release tag the run is for ("" when it is for no tag).
    tag_version: str
    #: The crate's version, the last resort.
    crate_version: str


def tag_version(environ: Mapping[str, str]) -> str:
    """The version a GitHub run for a tag names (``v1.2.3`` → ``1.2.3``), else ""."""
    if environ.get("GITHUB_REF_TYPE") != "tag":
        return ""
    return _TAG_PREFIX.sub("", environ.get("GITHUB_REF_NAME", "").strip())


def plan_publication(
    settings: Settings, project: Project, environ: Mapping[str, str], platform: str
) -> tuple[RegistryPlan | None, list[Problem]]:
    """The publication a deploy with ``publish-registry: true`` makes, or the problems that
    keep it from ever happening; (None, []) when nothing is to be published."""
    if not settings.publish_registry or settings.command is not Command.DEPLOY:
        return None, []
    where = settings.sources.get("publish-registry", _INPUT)
    problems: list[Problem] = []
    if settings.verify is VerifyMode.FALSE:
        problems.append(
            Problem(
                where,
                "publishes only a verified server, and verify is false",
                "set verify: true (or strict), or publish-registry: false",
            )
        )
    if platform != GITHUB_PLATFORM:
        problems.append(
            Problem(
                where,
                "signs in to the MCP Registry with GitHub Actions' OIDC token, and this run is "
                "not on GitHub Actions",
                "publish from a GitHub Actions job with `permissions: id-token: write`",
            )
        )
    owner = environ.get("GITHUB_REPOSITORY_OWNER", "").strip()
    name = settings.registry_name
    name_source = settings.sources.get("registry-name", "input 'registry-name'")
    if not name and owner:
        name = f"io.github.{owner}/{project.server_name}"
        name_source = f"registry name {name!r} (from the repository owner and server-name)"
    problem = name_problem(name) if name else None
    if name and problem:
        problems.append(Problem(name_source, problem, "set registry-name to a valid name"))
    elif not name and platform == GITHUB_PLATFORM:
        problems.append(
            Problem(
                "input 'registry-name'",
                "no name: GITHUB_REPOSITORY_OWNER is not set",
                "set registry-name, e.g. io.github.<owner>/<server>",
            )
        )
    description = " ".join(read_crate_description(project.root).split())
    manifest = project.root / "Cargo.toml"
    problem = description_problem(description)
    if problem:
        problems.append(
            Problem(
                f"{manifest} [package].description",
                f"{problem}: the MCP Registry lists the server with it",
                "write one line of at most 100 characters saying what the server does, as "
                'description = "..." in [package]',
            )
        )
    tagged = tag_version(environ)
    problem = version_problem(tagged) if tagged else None
    if problem:
        problems.append(
            Problem(
                f"release tag {environ.get('GITHUB_REF_NAME', '')!r}",
                f"gives the version {tagged!r}, which {problem}",
                "tag releases as v1.2.3 (or 1.2.3)",
            )
        )
    if problems:
        return None, problems
    return (
        RegistryPlan(
            registry_url=settings.registry_url,
            name=name,
            description=description,
            tag_version=tagged,
            crate_version=project.version,
        ),
        [],
    )
