"""The demo-cloud plug-in through the whole flow, against Demo Cloud in memory: first deploy,
unchanged, a staged version promoted or discarded, rollback, ownership, destroy, logs."""

from __future__ import annotations

import pytest

from pmcp_action.flow import NothingDeployedError
from pmcp_action.ownership import NotOursError
from pmcp_action.plugin import DeployError
from pmcp_action.previews.run import check_preview
from tests.plugin_target.cloud import DemoService
from tests.plugin_target.failures import DemoCloudError
from tests.unit.plugin_target.conftest import ENDPOINT, TOKEN


def test_a_plan_then_a_first_deploy(make_target, cloud, log):
    target = make_target()
    planned = target.plan()
    assert [(c.action, c.resource) for c in planned.changes] == [
        ("create", "service calc"),
        ("create", "version 1"),
    ]
    assert cloud.services == {}  # a plan changes nothing

    done = target.deploy()
    assert (done.url, done.version, done.region, done.unchanged) == (ENDPOINT, "1", "moon-1", False)
    assert done.outputs["demo-ref"].startswith("ref-")
    assert done.identity.startswith("demo-user-")
    assert cloud.services["calc"].labels == {"managed-by": "pmcp"}
    assert "Demo Cloud endpoint from input 'demo-endpoint'." in log.getvalue()


def test_the_session_token_is_masked_and_the_api_token_never_shown(make_target, cloud, log):
    target = make_target()
    target.deploy()
    session = next(iter(cloud.sessions))
    assert target.context.console.redactor.redact(session) == "***"
    assert TOKEN not in log.getvalue() and session not in log.getvalue()


def test_the_same_project_again_is_unchanged(make_target, cloud):
    make_target().deploy()
    again = make_target().deploy()
    assert (again.unchanged, again.version) == (True, "1")
    assert list(cloud.services["calc"].versions) == ["1"]
    assert make_target().plan().unchanged is True


def test_a_change_is_staged_without_traffic_then_promoted(make_target, cloud):
    make_target().deploy()
    changed = make_target(environment={"GREETING": "hi"})
    staged = changed.stage()
    assert staged.candidate_url == f"{ENDPOINT}?demo-version=2"
    assert (staged.version, staged.previous_version) == ("2", "1")
    assert cloud.services["calc"].serving == "1"  # the previous version still serves

    promoted = changed.promote(staged)
    assert (promoted.version, promoted.candidate_url) == ("2", "")
    assert (cloud.services["calc"].serving, cloud.services["calc"].previous) == ("2", "1")


def test_a_discarded_version_never_served(make_target, cloud):
    make_target().deploy()
    changed = make_target(environment={"GREETING": "hi"})
    changed.discard(changed.stage())
    assert list(cloud.services["calc"].versions) == ["1"]
    assert cloud.services["calc"].serving == "1"


def test_a_rollback_serves_the_previous_version_again(make_target, cloud):
    make_target().deploy()
    make_target(environment={"GREETING": "hi"}).deploy()
    back = make_target().rollback("")
    assert (back.version, back.previous_version) == ("1", "2")
    assert cloud.services["calc"].serving == "1"
    assert make_target().rollback("1").version == "1"  # already serving: nothing to do
    with pytest.raises(DeployError, match="Service calc has no version '9'"):
        make_target().rollback("9")


def test_a_service_made_elsewhere_is_left_alone(make_target, cloud):
    cloud.services["calc"] = DemoService("calc", "moon-1", labels={}, versions={"1": "x"})
    cloud.services["calc"].serving = "1"
    for command in ("deploy", "destroy"):
        with pytest.raises(NotOursError, match="Demo Cloud service calc at https://demo.example"):
            getattr(make_target(), command)()
    assert cloud.services["calc"].versions == {"1": "x"}


def test_destroy_removes_the_service_and_then_finds_nothing(make_target, cloud):
    make_target().deploy()
    removed = make_target().destroy()
    assert [(c.action, c.resource, c.detail) for c in removed.changes] == [
        ("delete", "service calc", "1 version")
    ]
    assert cloud.services == {}
    with pytest.raises(
        NothingDeployedError,
        match=r"Nothing to destroy: there is no Demo Cloud service calc at https://demo\.example",
    ):
        make_target().destroy()


def test_the_logs_of_the_serving_version(make_target):
    make_target().deploy()
    excerpt = make_target().logs(version="", since=None, limit=1)
    assert excerpt.source == "Demo Cloud logs of calc, version 1"
    assert excerpt.lines == ("listening on :8080",)


def test_a_refused_token_names_the_input_that_fixes_it(make_target, cloud):
    cloud.refused_tokens.add(TOKEN)
    with pytest.raises(DemoCloudError) as refused:
        make_target().outputs()
    assert refused.value.status == 401
    assert "Opening a Demo Cloud session failed: HTTP 401" in refused.value.message
    assert "demo-token" in refused.value.remediation


def test_a_target_without_previews_refuses_the_preview_commands_before_any_call(make_target, cloud):
    """Every built-in target serves previews; a plug-in need not (the core refuses)."""
    for command in ("preview", "destroy-preview"):
        target = make_target({"command": command, "preview-id": "pr-1"})
        preview, [problem] = check_preview(target.context, target)
        assert preview is None
        assert problem.where == f"input 'command' ({command})"
        assert problem.what == "the demo-cloud target cannot deploy previews"
    assert cloud.calls == []
