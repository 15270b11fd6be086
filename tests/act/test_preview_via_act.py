"""A pull request's preview through `uses: ./` under act (preview-local.yml): the
pull_request event's payload given to act, production deployed to the google-cloud-run
emulator, then the preview beside it, verified at its tag's URL, commented on the GitHub fake
(served on loopback, PMCP_GITHUB_API_URL) with a GitHub deployment; production untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmcp_action.previews.github import marker
from tests.act.helpers import RunAct
from tests.act.test_deploy_via_act import _standin_binary
from tests.fakes.emulators import demo_emulators
from tests.fakes.github import WRITE, FakeGitHub
from tests.fakes.server import serve
from tests.support.demo import act_env
from tests.support.repository import dockerfile_base_image

pytestmark = [pytest.mark.act, pytest.mark.docker, pytest.mark.timeout(1500)]

WORKFLOW = "preview-local.yml"
TOKEN = "ghs_actPreview0123456789abcdefghijklmn"
HEAD = "9" * 40
#: What GitHub puts in GITHUB_EVENT_PATH for a pull request (the fields a preview reads).
EVENT = {
    "action": "synchronize",
    "number": 12,
    "pull_request": {
        "number": 12,
        "head": {"sha": HEAD, "ref": "feature", "repo": {"full_name": "octo/hello-mcp"}},
        "base": {"ref": "main", "repo": {"full_name": "octo/hello-mcp"}},
    },
    "repository": {"full_name": "octo/hello-mcp"},
}


def test_a_pull_request_preview_on_google_cloud_run_commented_on_the_fake(
    act_run: RunAct, act_repository: Path, tmp_path: Path
) -> None:
    from tests.support.google_registry import google_with_registry

    emulator = demo_emulators()["google-cloud-run"]
    binary = _standin_binary(act_repository)
    github = FakeGitHub("octo/hello-mcp", pulls=(12,))
    github.tokens = {TOKEN: WRITE}
    try:
        with (
            serve(github) as github_url,
            google_with_registry(tmp_path / "google", dockerfile_base_image()) as google,
        ):
            run = act_run(
                job="preview",
                workflow=WORKFLOW,
                event="pull_request",
                event_payload=EVENT,
                env={**act_env(emulator, google.running), "PMCP_GITHUB_API_URL": github_url},
                secrets={**google.running.secrets, "GITHUB_TOKEN": TOKEN},
                variables={"PREVIEW_DEMO": "true"},
            )
            service = google.running.fakes["google-cloud-run"].services
            traffic = [list(s.traffic) for s in service.values()]
    finally:
        binary.unlink()
    assert run.exit_code == 0, run.describe()
    assert run.step_result("check") == "success", run.describe()
    production = run.outputs("deploy")
    preview = run.outputs("preview")
    assert preview["preview-id"] == "pr-12", preview
    assert "/pr-12---hello-mcp-" in preview["preview-url"], preview
    assert preview["version"] != production["version"], (preview, production)
    # What serves production is the revision the production step deployed, all of it.
    [split] = traffic
    served = [e for e in split if int(e.get("percent", 0) or 0)]
    assert [(e["revision"], e["percent"]) for e in served] == [(production["version"], 100)]
    assert {e.get("tag") for e in split} >= {"pr-12"}
    [comment] = github.comments_on(12)
    assert comment.body.startswith(marker("hello-mcp"))
    assert preview["preview-url"] in comment.body and HEAD[:12] in comment.body
    [deployment] = github.deployments_of("hello-mcp-pr-12")
    assert deployment.ref == HEAD and deployment.transient_environment
    assert [s["state"] for s in deployment.statuses] == ["in_progress", "success"]
    assert TOKEN not in run.text
