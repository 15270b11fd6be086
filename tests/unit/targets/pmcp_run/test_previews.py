"""Previews on pmcp.run through the whole program: a deployment of its own,
``<server>-<preview-id>``, marked as the server's preview in ``serverVersion``, verified at
its project's URL with the scenarios; two pushes to one pull request give one sticky comment
and one URL; the server's deployment is never sent a call (sampled after every run);
destroy-preview removes the deployment and marks the GitHub deployments inactive; destroy
removes exactly the deployments marked as the server's previews and names the ones only
named like them. pmcp.run is the fake in process; GitHub is the GitHub fake, routed by host."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest

from pmcp_action.previews.github import marker
from pmcp_action.targets.pmcp_run.api import DeploymentListItem
from pmcp_action.targets.pmcp_run.previews import (
    mark_of,
    marked_version,
    preview_problems,
    server_previews,
)
from tests.fakes.github import READ, WRITE, FakeGitHub
from tests.fakes.pmcp_run import SCHEMA_SDL, FakePmcpRun

from .helpers import call_tool, write_project
from .test_pipeline import API, Run, run_through

GITHUB_API = "https://github.test"
WRITE_TOKEN = "ghs_previewWRITE0123456789abcdefghi"
READ_TOKEN = "ghs_previewREAD0123456789abcdefghij"
#: The crate's version (helpers.write_project's Cargo.toml).
VERSION = "1.2.3"
ECHO_SCENARIO = """\
name: Echo
steps:
  - name: tools are listed
    operation: {type: list_tools}
    assertions:
      - {type: array_length, path: tools, greater_than_or_equal: 1}
  - name: echo
    operation: {type: tool_call, tool: echo, arguments: {text: ci}}
    assertions:
      - {type: success}
"""


@dataclass
class World:
    """pmcp.run and GitHub, one transport routing each request by its host."""

    pmcp: FakePmcpRun
    github: FakeGitHub
    gha_files: dict[str, Path]
    project: Path
    tmp_path: Path

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "github.test":
            return self.github(request)
        return self.pmcp(request)

    def run(self, sha: str = "", token: str = WRITE_TOKEN, **inputs: str) -> Run:
        return self.run_in(self.pull_request(sha, token) if sha else {}, inputs)

    def run_in(self, environ: dict[str, str], inputs: dict[str, str]) -> Run:
        """A run in ``environ`` (the CI's variables) with ``inputs``."""
        made = run_through(self, self.pmcp, self.gha_files, self.project, environ, inputs)
        for secret in (WRITE_TOKEN, READ_TOKEN):
            assert not made.shows(secret), "the GitHub token was printed"
        return made

    def pull_request(self, sha: str, token: str) -> dict[str, str]:
        event = self.tmp_path / f"event-{sha[:4]}.json"
        event.write_text(
            json.dumps(
                {
                    "number": 7,
                    "pull_request": {
                        "number": 7,
                        "head": {"sha": sha, "repo": {"full_name": "octo/mcp"}},
                        "base": {"repo": {"full_name": "octo/mcp"}},
                    },
                }
            )
        )
        return {
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_REPOSITORY": "octo/mcp",
            "GITHUB_API_URL": GITHUB_API,
            "INPUT_GITHUB-TOKEN": token,
        }

    def deployment(self, project: str) -> dict[str, Any]:
        """The one deployment of ``project`` the fake keeps, as a snapshot."""
        [found] = [
            {"id": i, **d}
            for i, d in self.pmcp.snapshot()["deployments"].items()
            if d["projectName"] == project
        ]
        return found

    def projects(self) -> set[str]:
        return {d["projectName"] for d in self.pmcp.snapshot()["deployments"].values()}

    def production(self, expected: dict[str, Any]) -> None:
        """The server's deployment as it was, never named in a call, and answering."""
        assert self.deployment("weather") == expected
        for names, variables in self.pmcp.graphql_calls:
            if set(names) & {"destroyDeployment", "configureServerOAuth"}:
                assert expected["id"] not in json.dumps(variables)
        assert call_tool(self.pmcp, expected["url"], "echo", {"text": "prod"}) == "prod"


@pytest.fixture
def world(tmp_path: Path, gha_files: dict[str, Path]) -> World:
    pmcp = FakePmcpRun()
    pmcp.project_urls = True  # a project's URL is its own, as pmcp.run's host per server
    github = FakeGitHub("octo/mcp", pulls=(7,))
    github.tokens = {WRITE_TOKEN: WRITE, READ_TOKEN: READ}
    project = tmp_path / "project"
    project.mkdir()
    write_project(project)
    (project / "echo.yaml").write_text(ECHO_SCENARIO)
    return World(pmcp, github, gha_files, project, tmp_path)


def _deployed(world: World) -> dict[str, Any]:
    first = world.run()
    assert first.code == 0, first.printed
    production = world.deployment("weather")
    assert production["variables"]["serverVersion"] == VERSION  # no mark on production
    return production


def test_two_pushes_one_comment_one_url_production_untouched_then_destroy_preview(
    world: World,
) -> None:
    production = _deployed(world)
    pushes = []
    for sha in ("a" * 40, "b" * 40):
        pushed = world.run(sha, command="preview", verify_scenarios="echo.yaml")
        assert pushed.code == 0, pushed.printed
        world.production(production)  # sampled after each push
        pushes.append(pushed)
    one, two = (p.outputs for p in pushes)
    assert one["preview-id"] == two["preview-id"] == "pr-7"
    assert one["preview-url"] == two["preview-url"] == two["url"]
    assert two["preview-url"] == f"{API}/servers/weather-pr-7/mcp"
    assert one["deployment-id"] != two["deployment-id"]  # a deployment per push, one URL
    assert two["version"] == VERSION
    assert (two["verified"], two["scenarios-passed"], two["scenarios-failed"]) == ("true", "1", "0")
    # One deployment of the preview's project (the second replaced the first), marked.
    preview = world.deployment("weather-pr-7")
    assert preview["id"] == two["deployment-id"] and preview["live"]
    assert preview["variables"]["serverVersion"] == f"{VERSION}+pmcp-preview.pr-7.of.weather"
    assert world.projects() == {"weather", "weather-pr-7"}
    # pmcp.run gives a deployment its own project's secrets: written for the preview.
    assert world.pmcp.secrets_of("weather-pr-7").get("API_KEY")
    assert call_tool(world.pmcp, two["preview-url"], "has_env", {"name": "API_KEY"}) == "true"
    assert [p["name"] for p in json.loads(pushes[1].report)["phases"]] == [
        "validate",
        "github deployment",
        "preview",
        "verify preview",
        "pull request",
    ]
    # One comment, found again by its marker and rewritten by the second push.
    [comment] = world.github.comments_on(7)
    assert comment.body.startswith(marker("weather"))
    for said in (two["preview-url"], "b" * 12, "verified", "scenarios 1 passed"):
        assert said in comment.body
    deployments = world.github.deployments_of("weather-pr-7")
    assert [d.state for d in deployments] == ["inactive", "success"]
    assert all(d.transient_environment and not d.production_environment for d in deployments)
    assert deployments[1].statuses[-1]["environment_url"] == two["preview-url"]

    gone = world.run("c" * 40, command="destroy-preview")
    assert gone.code == 0, gone.printed
    assert gone.outputs["preview-id"] == "pr-7"
    assert f"delete  pmcp.run deployment {preview['id']}" in gone.printed
    assert world.projects() == {"weather"}
    assert world.pmcp.secrets_of("weather-pr-7") == {}  # the action's, removed with it
    world.production(production)
    assert {d.state for d in world.github.deployments_of("weather-pr-7")} == {"inactive"}
    [comment] = world.github.comments_on(7)
    assert "Preview destroyed" in comment.body and two["preview-url"] in comment.body

    again = world.run("c" * 40, command="destroy-preview")
    assert again.code == 0, again.printed
    assert "There is no preview pr-7 of weather on pmcp.run" in again.printed
    assert len(world.github.comments_on(7)) == 1
    world.production(production)


def test_a_failed_preview_deployment_fails_the_job_and_leaves_production_serving(
    world: World,
) -> None:
    production = _deployed(world)
    world.pmcp.deployment_outcomes = ["failed"]
    failed = world.run("d" * 40, command="preview")
    assert failed.code == 1, failed.printed
    assert "Deployment failed" in failed.printed
    world.production(production)
    [deployment] = world.github.deployments_of("weather-pr-7")
    assert deployment.state == "failure"


def test_destroy_removes_exactly_the_marked_previews_and_names_the_look_alikes(
    world: World,
) -> None:
    _deployed(world)
    assert world.run("e" * 40, command="preview").code == 0
    named = world.run("e" * 40, command="preview", preview_id="feature-x")
    assert named.code == 0, named.printed
    # Another server whose name starts like a preview of weather, and that server's preview:
    # both named weather-…, neither marked as weather's.
    other = world.run(server_name="weather-api")
    assert other.code == 0, other.printed
    theirs = world.run("f" * 40, command="preview", server_name="weather-api")
    assert theirs.code == 0, theirs.printed
    assert world.projects() == {
        "weather",
        "weather-pr-7",
        "weather-feature-x",
        "weather-api",
        "weather-api-pr-7",
    }
    # A production deploy after the preview leaves it be.
    assert world.run(verify="false").code == 0
    assert "weather-pr-7" in world.projects()
    api = world.deployment("weather-api")

    assert {d.state for d in world.github.deployments_of("weather-pr-7")} == {"success"}

    # A push to main: no pull request, but the repository and a token.
    destroyed = world.run_in(
        {"GITHUB_REPOSITORY": "octo/mcp", "GITHUB_API_URL": GITHUB_API},
        {"command": "destroy", "confirm_destroy": "true", "github_token": WRITE_TOKEN},
    )

    assert destroyed.code == 0, destroyed.printed
    said = destroyed.printed + destroyed.summary
    assert "Its previews were removed with it: feature-x, pr-7." in said
    assert f"Left as they are: weather-api ({api['id']}), weather-api-pr-7 (" in said
    assert world.projects() == {"weather-api", "weather-api-pr-7"}
    assert world.deployment("weather-api") == api
    # The pull request is told, as destroy-preview tells it: pr-7's GitHub deployment is
    # inactive and the comment says so; feature-x names no pull request, and a note says so.
    assert {d.state for d in world.github.deployments_of("weather-pr-7")} == {"inactive"}
    assert {d.state for d in world.github.deployments_of("weather-feature-x")} == {"success"}
    ours, theirs_comment = world.github.comments_on(7)  # weather's, then weather-api's
    assert ours.body.startswith(marker("weather"))
    assert "Preview destroyed**: `pr-7` was removed" in ours.body
    assert "Preview destroyed" not in theirs_comment.body
    assert "The preview feature-x is not named pr-<number>" in said
    assert "pull requests" in [p["name"] for p in json.loads(destroyed.report)["phases"]]


def test_a_deployment_only_named_like_the_preview_is_never_replaced_nor_removed(
    world: World,
) -> None:
    production = _deployed(world)
    assert world.run(server_name="weather-pr-7").code == 0  # someone's own server
    squatter = world.deployment("weather-pr-7")

    before = len(world.pmcp.graphql_operations())
    refused = world.run("a" * 40, command="preview")
    assert refused.code == 1, refused.printed
    assert f"a deployment named weather-pr-7 ({squatter['id']}) that is not marked" in (
        refused.printed
    )
    # Refused on reading: nothing uploaded, written or created.
    called = set(world.pmcp.graphql_operations()[before:])
    assert called == {"listDeployments", "listServerSecrets", "getServerSecret"}

    kept = world.run("a" * 40, command="destroy-preview")
    assert kept.code == 0, kept.printed
    assert "There is no preview pr-7 of weather on pmcp.run" in kept.printed
    assert f"Left as they are: weather-pr-7 ({squatter['id']})" in kept.printed
    assert world.deployment("weather-pr-7") == squatter
    world.production(production)


def test_a_name_too_long_is_refused_before_any_call(world: World) -> None:
    refused = world.run(command="preview", preview_id="p" + "x" * 39, server_name="w" * 30)
    assert refused.code == 1, refused.printed
    assert "takes 71 characters" in refused.printed
    assert "pmcp.run takes at most 63" in refused.printed
    assert world.pmcp.requests == [] and world.github.requests == []


# --- the mark ------------------------------------------------------------------------------
def _item(project: str, version: str) -> DeploymentListItem:
    return DeploymentListItem(f"dep_{project}", project, "success", "", version)


@pytest.mark.parametrize(
    ("version", "sent"),
    [
        ("1.2.3", "1.2.3+pmcp-preview.pr-7.of.calc"),
        ("1.2.3+build.5", "1.2.3+build.5.pmcp-preview.pr-7.of.calc"),
        ("", "pmcp-preview.pr-7.of.calc"),
    ],
)
def test_the_mark_reads_back_one_way(version: str, sent: str) -> None:
    assert marked_version(version, "calc", "pr-7") == sent
    assert mark_of(_item("calc-pr-7", sent)) == ("calc", "pr-7")


@pytest.mark.parametrize(
    ("project", "version"),
    [
        ("calc-pr-7", "1.2.3"),  # named like a preview, no mark
        ("calc-pr-8", "1.2.3+pmcp-preview.pr-7.of.calc"),  # a mark its name does not match
        ("calc-pr-7", "1.2.3+pmcp-preview.pr-7.of.calc.x"),  # not at the end
        ("calc-pr-7", "1.2.3+xpmcp-preview.pr-7.of.calc"),  # not an identifier of its own
    ],
)
def test_anything_else_is_not_a_preview(project: str, version: str) -> None:
    assert mark_of(_item(project, version)) is None


def test_calc_and_calc_api_keep_their_own_previews() -> None:
    items = [
        _item("calc", "1.0.0"),
        _item("calc-api", "1.0.0"),
        _item("calc-pr-7", "1.0.0+pmcp-preview.pr-7.of.calc"),
        _item("calc-api-pr-7", "1.0.0+pmcp-preview.pr-7.of.calc-api"),
        _item("calc-pr-9", "1.0.0"),
    ]
    calc = server_previews(items, "calc")
    assert calc.names == ("pr-7",)
    assert [i.project_name for i in calc.of("pr-7")] == ["calc-pr-7"]
    assert [i.project_name for i in calc.unmarked] == ["calc-api", "calc-api-pr-7", "calc-pr-9"]
    api = server_previews(items, "calc-api")
    assert api.names == ("pr-7",) and api.unmarked == ()
    assert [i.project_name for i in api.of("pr-7")] == ["calc-api-pr-7"]


def test_preview_problems() -> None:
    assert preview_problems("pr-7", "w" * 58, "input 'preview-id'") == []  # 63: it fits
    [long] = preview_problems("pr-7", "w" * 59, "input 'preview-id'")
    assert "takes 64 characters" in long.what and long.where == "input 'preview-id'"
    [alphabet] = preview_problems("pr-7", "weather.", "input 'preview-id'")
    assert "characters pmcp.run refuses" in alphabet.what


def test_an_api_without_server_version_removes_no_preview_and_deploys_none(world: World) -> None:
    _deployed(world)
    assert world.run("a" * 40, command="preview").code == 0
    preview = world.deployment("weather-pr-7")
    # A pmcp.run whose Deployment type lacks serverVersion: the mark cannot be read back.
    world.pmcp.schema = graphql.build_schema(
        SCHEMA_SDL.replace("  serverVersion: String\n  createdAt: String!", "  createdAt: String!")
    )

    refused = world.run("b" * 40, command="preview")
    assert refused.code == 1, refused.printed
    assert "did not give back the deployments' serverVersion" in refused.printed
    assert world.deployment("weather-pr-7") == preview

    destroyed = world.run(command="destroy", confirm_destroy="true")
    assert destroyed.code == 0, destroyed.printed
    assert "no deployment is removed as a preview of weather" in destroyed.printed
    assert f"Left as they are: weather-pr-7 ({preview['id']})" in destroyed.printed
    assert "Its previews were removed" not in destroyed.printed
    assert world.projects() == {"weather-pr-7"}


def test_a_secret_only_stored_for_the_server_is_said_to_be_missing_from_the_preview(
    world: World,
) -> None:
    _deployed(world)  # API_KEY stored for weather
    pushed = world.run_in(
        {**world.pull_request("a" * 40, WRITE_TOKEN), "API_KEY": ""}, {"command": "preview"}
    )
    assert pushed.code == 0, pushed.printed
    assert "API_KEY: stored on pmcp.run for weather, not given to this run" in pushed.printed
    assert world.pmcp.secrets_of("weather-pr-7") == {}
    url = pushed.outputs["preview-url"]
    assert call_tool(world.pmcp, url, "has_env", {"name": "API_KEY"}) == "false"


def test_a_lost_answer_to_the_previews_creation_makes_one_deployment(world: World) -> None:
    production = _deployed(world)
    # pmcp.run creates the preview's deployment, and the answer is lost on the way back.
    world.pmcp.faults.drop(path="/graphql", contains="createDeploymentFromS3", after_handling=True)
    # Two 503s on the read of the marks; the client reads again.
    world.pmcp.faults.status(503, times=2, path="/graphql", contains="ListDeploymentMarks")
    pushed = world.run("a" * 40, command="preview")
    assert pushed.code == 0, pushed.printed
    assert "using it, not creating another" in pushed.printed
    assert not world.pmcp.faults.pending  # every fault was met
    # Production's, then the preview's: sent once, found by the read after the lost answer.
    assert world.pmcp.graphql_operations().count("createDeploymentFromS3") == 2
    preview = world.deployment("weather-pr-7")  # one deployment of the preview's project
    assert pushed.outputs["deployment-id"] == preview["id"]
    world.production(production)
