"""A network failure on the way to any of pmcp.run's hosts ends the run cleanly: exit 1, an
``::error::`` naming the host and the call, a summary entry, never "This is a bug".

The fake spreads its APIs over four hosts, as pmcp.run does: discovery at the API URL, the
Cognito token endpoint, the AppSync GraphQL API and the S3 bucket the uploads go to.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from pmcp_action.__main__ import main
from tests.fakes.pmcp_run import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakePmcpRun
from tests.support.network_faults import Fault, FaultyTransport, assert_reported_network_failure

from .helpers import write_project

API = "https://api.pmcp.test"
ORIGINS = {
    "cognito": "https://auth.pmcp.test",
    "graphql": "https://graphql.pmcp.test",
    "uploads": "https://uploads.pmcp.test",
}


def _fake() -> FakePmcpRun:
    fake = FakePmcpRun()
    fake.origins.update(ORIGINS)
    return fake


def _env(gha_files: dict[str, Path], project: Path) -> dict[str, str]:
    """A GitHub Actions run deploying ``project`` with the fake's machine client."""
    artifact = write_project(project)
    return {k: str(v) for k, v in gha_files.items()} | {
        "GITHUB_ACTIONS": "true",
        "INPUT_TARGET": "pmcp-run",
        "INPUT_WORKING-DIRECTORY": str(project),
        "INPUT_ARTIFACT": str(artifact),
        "INPUT_PMCP-API-URL": API,
        "INPUT_PMCP-CLIENT-ID": DEFAULT_CLIENT_ID,
        "INPUT_PMCP-CLIENT-SECRET": DEFAULT_CLIENT_SECRET,
        # deploy.toml's [secrets] requires API_KEY: the run's variable of that name gives it.
        "API_KEY": "api-key-from-a-ci-secret",
        "INPUT_VERIFY": "false",
    }


def _to(host: str) -> Callable[[httpx.Request], bool]:
    return lambda request: request.url.host == host


#: (the host, what the error must say was being done)
CALLS = [
    ("api.pmcp.test", "reading pmcp.run discovery"),
    ("auth.pmcp.test", f"getting a pmcp.run access token for client {DEFAULT_CLIENT_ID}"),
    ("graphql.pmcp.test", "listing the pmcp.run deployments (listDeployments)"),
    ("uploads.pmcp.test", "uploading the template to S3"),
]


@pytest.mark.parametrize("fault", list(Fault), ids=[f.name.lower() for f in Fault])
@pytest.mark.parametrize("call", range(len(CALLS)), ids=["discovery", "token", "graphql", "s3"])
def test_a_network_failure_is_named_not_a_bug(
    tmp_path: Path, gha_files: dict[str, Path], fault: Fault, call: int
) -> None:
    host, doing = CALLS[call]
    fake = _fake()
    env = _env(gha_files, tmp_path)
    transport = FaultyTransport(httpx.MockTransport(fake), _to(host), fault)
    out = io.StringIO()
    code = main(
        [],
        environ=env,
        stdout=out,
        stderr=io.StringIO(),
        transport=transport,
        sleep=lambda _s: None,
    )
    assert transport.failed, "the faulty call was made"
    summary = gha_files["GITHUB_STEP_SUMMARY"].read_text()
    assert_reported_network_failure(code, out.getvalue(), summary, host=host, doing=doing)
    assert fake.deployments == {}
    shown = [line for line in out.getvalue().splitlines() if not line.startswith("::add-mask::")]
    assert DEFAULT_CLIENT_SECRET not in "\n".join(shown) + summary


def test_the_fake_answers_on_every_host_when_nothing_fails(
    tmp_path: Path, gha_files: dict[str, Path]
) -> None:
    """The hosts above are the ones a deploy really talks to."""
    fake = _fake()
    env = _env(gha_files, tmp_path)
    seen: set[str] = set()

    def recording(request: httpx.Request) -> httpx.Response:
        seen.add(request.url.host)
        return fake(request)

    out = io.StringIO()
    code = main(
        [],
        environ=env,
        stdout=out,
        stderr=io.StringIO(),
        transport=httpx.MockTransport(recording),
        sleep=lambda _s: None,
    )
    assert code == 0, out.getvalue()
    assert seen == {host for host, _ in CALLS}
