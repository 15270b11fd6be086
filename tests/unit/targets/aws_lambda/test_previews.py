"""Previews on Lambda through the whole program (moto, the function URL hosts, the GitHub
fake on loopback): alias <preview-id> on a version published for it, verified at its own
function URL; two pushes to one pull request give one sticky comment and one URL; alias
live never moves (sampled at every request the URLs answered, and after every run);
destroy-preview removes the alias, its URL and permissions and marks the GitHub
deployments inactive; destroy removes the previews with the function and says so."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from moto.awslambda.models import LambdaBackend, LambdaFunction, lambda_backends
from moto.awslambda_simple.models import lambda_simple_backends

from pmcp_action.previews.github import marker
from pmcp_action.targets.aws_lambda.previews import MAX_ALIAS, preview_problems
from tests.fakes.aws_lambda.qualified import policy_of, url_configs
from tests.fakes.aws_lambda.url_hosts import FunctionUrlHosts, FunctionUrlTransport
from tests.fakes.github import READ, WRITE, FakeGitHub
from tests.fakes.mcp_servers import serve_mcp, serve_static
from tests.fakes.server import serve

from .test_pipeline import staged_deploy

pytestmark = pytest.mark.timeout(300)

FUNCTION = "staged-demo"
WRITE_TOKEN = "ghs_lambdaPreviewWRITE0123456789abcd"
READ_TOKEN = "ghs_lambdaPreviewREAD0123456789abcde"


@pytest.fixture
def github() -> Iterator[tuple[FakeGitHub, str]]:
    fake = FakeGitHub("octo/mcp", pulls=(7,))
    fake.tokens = {WRITE_TOKEN: WRITE, READ_TOKEN: READ}
    with serve(fake) as url:
        yield fake, str(url)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    path.mkdir()
    return path


class SamplingHosts(FunctionUrlHosts):
    """The function URL hosts, reading alias live's version and routing at every request."""

    def __init__(self, default_url: str, lam: Any) -> None:
        super().__init__(default_url)
        self.lam = lam
        self.live: list[tuple[str, object]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        alias = self.lam.get_alias(FunctionName=FUNCTION, Name="live")
        self.live.append((alias["FunctionVersion"], alias.get("RoutingConfig")))
        return super().handle(request)


def _pull_request(tmp_path: Path, github_url: str, sha: str, token: str) -> dict[str, str]:
    event = tmp_path / f"event-{sha[:4]}.json"
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
        "GITHUB_API_URL": github_url,
        "INPUT_GITHUB-TOKEN": token,
    }


def _function() -> LambdaFunction:
    """moto's function (in this process), to read what the fake keeps per qualifier."""
    for backends in (lambda_simple_backends, lambda_backends):
        for _account, _region, backend in list(backends.iter_backends()):
            assert isinstance(backend, LambdaBackend)
            entry = backend._lambdas._functions.get(FUNCTION)
            if entry:
                return entry["latest"]  # type: ignore[no-any-return]
    raise AssertionError(f"no function {FUNCTION}")


def _production(lam: Any, serving: str) -> None:
    alias = lam.get_alias(FunctionName=FUNCTION, Name="live")
    assert alias["FunctionVersion"] == serving and not alias.get("RoutingConfig")


def _phases(outputs: dict[str, str]) -> list[str]:
    return [p["name"] for p in json.loads(Path(outputs["report-path"]).read_text())["phases"]]


def test_two_pushes_one_comment_one_url_production_untouched_then_destroy_preview(
    github, gha_files, workspace, tmp_path, moto, aws
):
    fake_github, github_url = github
    lam = aws("lambda")
    with serve_mcp(tools=("greet",)) as good:
        hosts = SamplingHosts(good.url, lam)
        first = staged_deploy(gha_files, workspace, moto.url, hosts, b"v1")
        assert first[0] == 0, first[1]
        live_url = first[2]["url"]
        hosts.reset()
        hosts.live.clear()

        pushes = []
        for sha, marker_bytes in (("a" * 40, b"v2"), ("b" * 40, b"v3")):
            pushed = staged_deploy(
                gha_files,
                workspace,
                moto.url,
                hosts,
                marker_bytes,
                environ=_pull_request(tmp_path, github_url, sha, WRITE_TOKEN),
                command="preview",
            )
            assert pushed[0] == 0, pushed[1]
            _production(lam, "1")  # sampled after each push
            pushes.append(pushed)
        phases = _phases(pushes[1][2])  # the report is the last run's
        states = [d.state for d in fake_github.deployments_of(f"{FUNCTION}-pr-7")]
        [pushed_comment] = fake_github.comments_on(7)
        pushed_body = pushed_comment.body
        during = list(hosts.live)
        preview_url = lam.get_function_url_config(FunctionName=FUNCTION, Qualifier="pr-7")
        invoked = hosts.invoked_versions("pr-7")
        description = lam.get_alias(FunctionName=FUNCTION, Name="pr-7")["Description"]
        statements = {s["Sid"] for s in policy_of(_function(), "pr-7").statements}

        gone = staged_deploy(
            gha_files,
            workspace,
            moto.url,
            hosts,
            b"v3",
            environ=_pull_request(tmp_path, github_url, "c" * 40, WRITE_TOKEN),
            command="destroy-preview",
        )
        after = httpx.Client(transport=FunctionUrlTransport(hosts)).post(
            preview_url["FunctionUrl"], json={"jsonrpc": "2.0", "id": 1, "method": "ping"}
        )
        again = staged_deploy(
            gha_files,
            workspace,
            moto.url,
            hosts,
            b"v3",
            environ=_pull_request(tmp_path, github_url, "c" * 40, WRITE_TOKEN),
            command="destroy-preview",
        )

    (_, _, one, _), (_, out_two, two, _) = pushes
    assert one["preview-id"] == two["preview-id"] == "pr-7"
    assert one["preview-url"] == two["preview-url"] == two["url"]
    assert two["preview-url"].startswith(preview_url["FunctionUrl"].rstrip("/"))
    assert two["preview-url"] != live_url
    assert (one["version"], two["version"]) == ("2", "3")  # a new version per push, one URL
    assert two["verified"] == "true"
    assert set(invoked) == {"2", "3"}  # each push verified at the alias, on its version
    # Production untouched throughout: live on 1, unsplit, at every request either run made.
    assert during and set(during) == {("1", None)}
    assert hosts.invoked_versions("live") == []
    assert preview_url["AuthType"] == "NONE"
    assert description.startswith("pmcp-action preview pr-7")
    assert statements == {
        "pmcp-function-url-public",
        "pmcp-function-url-invoke",
    }
    assert phases == [
        "validate",
        "github deployment",
        "preview",
        "verify preview",
        "pull request",
    ]
    # One comment, rewritten by the second push; one deployment per push, the first inactive.
    assert pushed_body.startswith(marker(FUNCTION))
    for said in (two["preview-url"], "b" * 12, "verified"):
        assert said in pushed_body
    assert states == ["inactive", "success"]
    assert "Version 3 answers at alias pr-7's URL" in out_two

    code, out, outputs, _ = gone
    assert code == 0, out
    assert outputs["preview-id"] == "pr-7"
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_alias(FunctionName=FUNCTION, Name="pr-7")
    assert "pr-7" not in url_configs(_function())
    assert policy_of(_function(), "pr-7").statements == []
    assert after.status_code == 404  # the preview's URL no longer answers
    _production(lam, "1")
    assert {d.state for d in fake_github.deployments_of(f"{FUNCTION}-pr-7")} == {"inactive"}
    [comment] = fake_github.comments_on(7)
    assert "Preview destroyed" in comment.body
    assert again[0] == 0, again[1]
    assert "There is no preview pr-7 of Lambda function staged-demo" in again[1]


def test_destroy_removes_the_previews_with_the_function_and_says_so(
    github, gha_files, workspace, tmp_path, moto, aws
):
    _, github_url = github
    lam = aws("lambda")
    with serve_mcp(tools=("greet",)) as good:
        hosts = FunctionUrlHosts(default_url=good.url)
        assert staged_deploy(gha_files, workspace, moto.url, hosts, b"v1")[0] == 0
        pushed = staged_deploy(
            gha_files,
            workspace,
            moto.url,
            hosts,
            b"v2",
            environ=_pull_request(tmp_path, github_url, "f" * 40, WRITE_TOKEN),
            command="preview",
        )
        assert pushed[0] == 0, pushed[1]
        # A production deploy after the preview keeps it.
        redeploy = staged_deploy(gha_files, workspace, moto.url, hosts, b"v3")
        assert redeploy[0] == 0, redeploy[1]
        assert lam.get_alias(FunctionName=FUNCTION, Name="pr-7")["FunctionVersion"] == "2"
        destroyed = staged_deploy(
            gha_files, workspace, moto.url, hosts, b"v3", command="destroy", confirm_destroy="true"
        )

    code, out, _, summary = destroyed
    assert code == 0, out
    assert "Its previews were removed with it: pr-7." in out + summary
    assert "function URL staged-demo:pr-7" in out
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=FUNCTION)


def test_a_preview_needs_the_server_deployed_first(github, gha_files, workspace, tmp_path, moto):
    _, github_url = github
    hosts = FunctionUrlHosts()
    code, out, _, _ = staged_deploy(
        gha_files,
        workspace,
        moto.url,
        hosts,
        b"v1",
        environ=_pull_request(tmp_path, github_url, "d" * 40, WRITE_TOKEN),
        command="preview",
    )
    assert code == 1
    assert "deploy the server first (command: deploy)" in out


@pytest.mark.parametrize(
    ("preview", "said"),
    [
        ("live", "the alias 'live' is one a deploy uses"),
        ("candidate", "the alias 'candidate' is one a deploy uses"),
        ("1234", "is not all digits"),
        ("pr.7", "letters, digits, hyphens and underscores"),
        ("p" * (MAX_ALIAS + 1), f"at most {MAX_ALIAS} characters; this one has 129"),
    ],
)
def test_preview_problems(preview, said):
    [problem] = [p for p in preview_problems(preview, "input 'preview-id'") if said in p.what]
    assert problem.where == "input 'preview-id'"


def test_pr_names_pass():
    assert preview_problems("pr-7", "x") == [] and preview_problems("Feature_a-1", "x") == []


@pytest.mark.parametrize("preview", ["live", "candidate"])
def test_a_reserved_alias_is_refused_before_any_call(gha_files, workspace, proxy, preview):
    code, out, _, _ = staged_deploy(
        gha_files,
        workspace,
        proxy.url,
        FunctionUrlHosts(),
        b"v1",
        command="preview",
        preview_id=preview,
    )
    assert code == 1
    assert f"the alias {preview!r} is one a deploy uses" in out
    assert proxy.operations() == []


def test_a_failing_preview_fails_the_job_and_leaves_production_serving(
    github, gha_files, workspace, tmp_path, moto, aws
):
    fake_github, github_url = github
    lam = aws("lambda")
    with serve_mcp(tools=("greet",)) as good, serve_static("<h1>502</h1>", status=502) as bad:
        hosts = SamplingHosts(good.url, lam)
        assert staged_deploy(gha_files, workspace, moto.url, hosts, b"v1")[0] == 0
        hosts.live.clear()
        hosts.serves = {"2": bad.url}
        code, out, outputs, _ = staged_deploy(
            gha_files,
            workspace,
            moto.url,
            hosts,
            b"v2",
            environ=_pull_request(tmp_path, github_url, "d" * 40, WRITE_TOKEN),
            command="preview",
        )

    assert code == 1, out
    assert outputs["verified"] == "false" and outputs["preview-id"] == "pr-7"
    assert set(hosts.invoked_versions("pr-7")) == {"2"}
    assert hosts.live and set(hosts.live) == {("1", None)}
    _production(lam, "1")
    [deployment] = fake_github.deployments_of(f"{FUNCTION}-pr-7")
    assert deployment.state == "failure"
    [comment] = fake_github.comments_on(7)
    assert "❌ failed" in comment.body
