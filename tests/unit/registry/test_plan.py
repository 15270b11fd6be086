"""registry.plan: what publish-registry publishes, worked out before the deploy, and every
reason it never could named then."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pmcp_action.errors import Problem
from pmcp_action.registry.plan import RegistryPlan, plan_publication, tag_version
from tests.support.context import make_context

GITHUB = "github-actions"
OWNER_ENV = {"GITHUB_REPOSITORY_OWNER": "octo-org"}


def plan(
    root: Path,
    inputs: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
    platform: str = GITHUB,
    cargo: str = '[package]\nname = "weather"\nversion = "1.2.3"\ndescription = "Forecasts"\n',
) -> tuple[RegistryPlan | None, list[Problem]]:
    (root / "Cargo.toml").write_text(cargo)
    context = make_context(
        target="pmcp-run",
        root=root,
        inputs={"publish-registry": True, **(inputs or {})},
        server_name="weather",
        version="1.2.3",
    )
    run_environ = OWNER_ENV if environ is None else environ
    return plan_publication(context.settings, context.project, run_environ, platform)


def test_the_defaults_name_the_owners_namespace_and_the_official_registry(tmp_path: Path) -> None:
    assert plan(tmp_path) == (
        RegistryPlan(
            registry_url="https://registry.modelcontextprotocol.io",
            name="io.github.octo-org/weather",
            description="Forecasts",
            tag_version="",
            crate_version="1.2.3",
        ),
        [],
    )


def test_registry_name_and_url_are_taken_as_given(tmp_path: Path) -> None:
    found, problems = plan(
        tmp_path,
        {
            "registry-name": "io.github.octo-org/forecasts",
            "registry-url": "https://staging.registry.modelcontextprotocol.io/",
        },
    )
    assert problems == [] and found is not None
    assert found.name == "io.github.octo-org/forecasts"
    assert found.registry_url == "https://staging.registry.modelcontextprotocol.io"


def test_nothing_is_planned_without_publish_registry_or_for_another_command(
    tmp_path: Path,
) -> None:
    assert plan(tmp_path, {"publish-registry": False}) == (None, [])
    assert plan(tmp_path, {"command": "rollback"}) == (None, [])


def test_a_long_description_is_refused_with_its_length(tmp_path: Path) -> None:
    long = "A server that " + "does things " * 10
    found, problems = plan(
        tmp_path, cargo=f'[package]\nname = "weather"\ndescription = """{long}"""\n'
    )
    assert found is None
    [problem] = problems
    assert problem.where == f"{tmp_path}/Cargo.toml [package].description"
    assert problem.what == (
        f"is {len(long.strip())} characters; the registry takes at most 100: the MCP Registry "
        "lists the server with it"
    )


def test_the_workspace_description_serves_a_workspace(tmp_path: Path) -> None:
    found, problems = plan(
        tmp_path,
        cargo='[workspace]\nmembers = []\n[workspace.package]\ndescription = "Shared  text\\n"\n',
    )
    assert problems == [] and found is not None and found.description == "Shared text"


def test_without_an_owner_a_name_must_be_given(tmp_path: Path) -> None:
    found, problems = plan(tmp_path, environ={})
    assert found is None
    assert problems == [
        Problem(
            "input 'registry-name'",
            "no name: GITHUB_REPOSITORY_OWNER is not set",
            "set registry-name, e.g. io.github.<owner>/<server>",
        )
    ]


def test_a_server_name_the_registry_refuses_is_named(tmp_path: Path) -> None:
    _, problems = plan(tmp_path, {"server-name": "weather_"})
    assert [p.where for p in problems] == [
        "registry name 'io.github.octo-org/weather_' (from the repository owner and server-name)"
    ]


@pytest.mark.parametrize(
    ("environ", "version"),
    [
        ({"GITHUB_REF_TYPE": "tag", "GITHUB_REF_NAME": "v1.4.0"}, "1.4.0"),
        ({"GITHUB_REF_TYPE": "tag", "GITHUB_REF_NAME": "2.0.0-rc.1"}, "2.0.0-rc.1"),
        ({"GITHUB_REF_TYPE": "tag", "GITHUB_REF_NAME": "version-3"}, "version-3"),
        ({"GITHUB_REF_TYPE": "branch", "GITHUB_REF_NAME": "v9"}, ""),
        ({}, ""),
    ],
)
def test_the_release_tag_gives_the_version(environ: dict[str, str], version: str) -> None:
    assert tag_version(environ) == version


def test_a_tag_that_is_no_version_is_refused_before_the_deploy(tmp_path: Path) -> None:
    _, problems = plan(
        tmp_path, environ=OWNER_ENV | {"GITHUB_REF_TYPE": "tag", "GITHUB_REF_NAME": "latest"}
    )
    assert problems == [
        Problem(
            "release tag 'latest'",
            "gives the version 'latest', which is 'latest', which the registry reserves",
            "tag releases as v1.2.3 (or 1.2.3)",
        )
    ]
