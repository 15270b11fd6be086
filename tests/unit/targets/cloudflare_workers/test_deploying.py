"""deploying.Steps over the contract fake: first deploy, staged redeploy, unchanged, rollback,
outputs, destroy, adoption, plan, lost answers and retries."""

from __future__ import annotations

import pytest

from pmcp_action.errors import DeployError
from pmcp_action.targets.cloudflare_workers.failures import CloudflareApiError
from tests.fakes.cloudflare_workers import ACCOUNT_ID, SUBDOMAIN
from tests.unit.targets.cloudflare_workers.helpers import NAME, make_target, write_project

LIVE_URL = f"https://{NAME}.{SUBDOMAIN}.workers.dev/mcp"


def test_first_deploy_uploads_the_bundle_and_serves_it_at_100_percent(tmp_path, fake):
    write_project(tmp_path)
    harness = make_target(tmp_path, fake)
    result = harness.target.deploy()
    script = fake.script(NAME)
    assert script is not None and len(script.versions) == 1
    version = script.versions[0]
    assert version.main_module == "index.js"
    assert {n: t for n, (t, _) in version.modules.items()} == {
        "index.js": "application/javascript+module",
        "index_bg.wasm": "application/wasm",
    }
    assert version.bindings == [{"type": "plain_text", "name": "GREETING", "text": "hello"}]
    assert version.compatibility_date == "2024-11-20"
    assert script.subdomain_enabled and script.previews_enabled
    assert script.tags == ["pmcp-deploy-action"]
    assert result.url == LIVE_URL and result.candidate_url == ""
    assert result.version == version.id and result.previous_version == ""
    assert result.deployment_id == script.deployments[-1].id
    assert result.unchanged is False and result.can_roll_back is False
    assert result.outputs["account-id"] == ACCOUNT_ID and result.outputs["script-name"] == NAME


def test_legacy_layout_uploads_the_shim_and_its_wasm(tmp_path, fake):
    write_project(tmp_path, layout="legacy")
    make_target(tmp_path, fake).target.deploy()
    version = fake.script(NAME).versions[0]
    assert version.main_module == "shim.mjs"
    assert sorted(version.modules) == ["index.wasm", "shim.mjs"]


def test_redeploy_stages_a_version_and_moves_traffic_only_on_promote(tmp_path, fake):
    write_project(tmp_path)
    first = make_target(tmp_path, fake).target.deploy()
    write_project(tmp_path, version="2.0.0")
    harness = make_target(tmp_path, fake)
    staged = harness.target.stage()
    script = fake.script(NAME)
    new = script.versions[-1]
    assert staged.candidate_url == f"https://{new.id[:8]}-{NAME}.{SUBDOMAIN}.workers.dev/mcp"
    assert staged.outputs["version-preview-url"] == staged.candidate_url
    assert script.live_version().id == first.version  # nothing moved yet
    assert staged.previous_version == first.version and staged.version == new.id
    promoted = harness.target.promote(staged)
    assert script.live_version() is new
    assert script.deployments[-1].versions == [(new.id, 100)]
    assert promoted.url == LIVE_URL and promoted.version == new.id
    assert promoted.previous_version == first.version and promoted.can_roll_back
    assert promoted.deployment_id == script.deployments[-1].id


def test_same_bundle_and_settings_make_no_new_version(tmp_path, fake):
    write_project(tmp_path)
    first = make_target(tmp_path, fake, inputs={"worker-secrets": "API_KEY=one"}).target.deploy()
    again = make_target(tmp_path, fake, inputs={"worker-secrets": "API_KEY=one"}).target.deploy()
    assert again.unchanged is True and again.version == first.version
    assert len(fake.script(NAME).versions) == 1
    changed = make_target(tmp_path, fake, inputs={"worker-secrets": "API_KEY=two"})
    result = changed.target.deploy()
    assert result.unchanged is False and len(fake.script(NAME).versions) == 2
    tag = fake.script(NAME).versions[-1].annotations["workers/tag"]
    assert tag.startswith("pmcp-") and len(tag) <= 25 and "two" not in tag


def test_without_preview_urls_the_version_is_deployed_and_can_roll_back(tmp_path, fake):
    write_project(tmp_path)
    first = make_target(tmp_path, fake).target.deploy()
    fake.previews = False
    write_project(tmp_path, version="2.0.0")
    harness = make_target(tmp_path, fake)
    result = harness.target.stage()
    assert result.candidate_url == "" and result.url == LIVE_URL
    assert fake.script(NAME).live_version().id == result.version != first.version
    assert result.can_roll_back and result.previous_version == first.version
    assert "no preview URL" in harness.output
    back = harness.target.rollback(result.previous_version)
    assert fake.script(NAME).live_version().id == first.version
    assert back.version == first.version and back.previous_version == result.version


def test_rollback_returns_to_the_previous_or_a_named_version(tmp_path, fake):
    versions = []
    for number in (1, 2, 3):
        write_project(tmp_path, version=f"{number}.0.0")
        versions.append(make_target(tmp_path, fake).target.deploy().version)
    harness = make_target(tmp_path, fake)
    back = harness.target.rollback("")
    assert back.version == versions[1] and back.previous_version == versions[2]
    named = harness.target.rollback(versions[0][:8])
    assert named.version == versions[0]
    assert fake.script(NAME).live_version().id == versions[0]
    same = harness.target.rollback(versions[0])
    assert same.unchanged is True
    with pytest.raises(DeployError, match="names no version"):
        harness.target.rollback("ffffffff")
    assert not [r for r in fake.requests if r.method == "PUT" and "versions" in r.path]


def test_rollback_after_a_secret_changed_is_forced_and_says_so(tmp_path, fake):
    write_project(tmp_path)
    old = make_target(tmp_path, fake, inputs={"worker-secrets": "API_KEY=old"}).target.deploy()
    make_target(tmp_path, fake, inputs={"worker-secrets": "API_KEY=new"}).target.deploy()
    harness = make_target(tmp_path, fake)
    back = harness.target.rollback("")
    assert back.version == old.version
    posts = fake.requests_to(f"/client/v4/accounts/{ACCOUNT_ID}/workers/scripts/{NAME}/deployments")
    assert [r.params.get("force") for r in posts if r.method == "POST"][-2:] == [None, "true"]
    assert "force=true" in harness.output and "10220" in harness.output


def test_outputs_report_the_live_deployment(tmp_path, fake):
    write_project(tmp_path)
    first = make_target(tmp_path, fake).target.deploy()
    write_project(tmp_path, version="2.0.0")
    second = make_target(tmp_path, fake).target.deploy()
    result = make_target(tmp_path, fake).target.outputs()
    assert result.url == LIVE_URL and result.version == second.version
    assert result.previous_version == first.version and result.deployment_id
    with pytest.raises(DeployError, match="No outputs: there is no Worker other"):
        make_target(tmp_path, fake, inputs={"server-name": "other"}).target.outputs()


def test_destroy_deletes_only_a_worker_this_tool_deployed(tmp_path, fake):
    write_project(tmp_path)
    make_target(tmp_path, fake).target.deploy()
    result = make_target(tmp_path, fake).target.destroy()
    assert fake.script(NAME) is None and result.changes[0].action == "delete"
    with pytest.raises(DeployError, match="Nothing to destroy") as nothing:
        make_target(tmp_path, fake).target.destroy()
    assert nothing.value.title == "Nothing deployed"
    make_target(tmp_path, fake).target.deploy()
    fake.script(NAME).tags = []
    with pytest.raises(DeployError, match="not made by pmcp-action"):
        make_target(tmp_path, fake).target.destroy()
    assert fake.script(NAME) is not None


def test_an_existing_worker_is_adopted_with_a_warning(tmp_path, fake):
    write_project(tmp_path)
    make_target(tmp_path, fake).target.deploy()
    fake.script(NAME).tags = ["team-a"]
    write_project(tmp_path, version="2.0.0")
    harness = make_target(tmp_path, fake)
    harness.target.deploy()
    assert fake.script(NAME).tags == ["team-a", "pmcp-deploy-action"]
    assert "not deployed by pmcp-action" in harness.output


def test_plan_shows_the_upload_and_the_diff_and_changes_nothing(tmp_path, fake):
    write_project(tmp_path)
    harness = make_target(tmp_path, fake)
    plan = harness.target.plan()
    assert [c.action for c in plan.changes] == ["create", "create"]
    assert "index_bg.wasm (application/wasm, 41 bytes)" in plan.changes[0].detail
    assert harness.mutations() == [] and fake.script(NAME) is None
    make_target(tmp_path, fake).target.deploy()
    write_project(
        tmp_path,
        version="2.0.0",
        deploy_toml='[server]\nname = "weather"\n[environment]\nNEW = "x"\n',
    )
    before = len(fake.requests)
    harness = make_target(tmp_path, fake, inputs={"compatibility-date": "2025-01-01"})
    plan = harness.target.plan()
    assert [c.action for c in plan.changes] == ["create", "update"]
    detail = plan.changes[0].detail
    assert "compatibility date 2024-11-20 → 2025-01-01" in detail
    assert "new variables NEW" in detail and "variables not sent GREETING (kept" in detail
    assert all(r.method == "GET" for r in fake.requests[before:])
    assert len(fake.script(NAME).versions) == 1
    write_project(tmp_path)
    unchanged = make_target(tmp_path, fake).target.plan()
    assert unchanged.unchanged is True and unchanged.changes[0].action == "keep"


def test_a_lost_version_upload_answer_is_found_by_a_read_not_sent_twice(tmp_path, fake):
    write_project(tmp_path)
    make_target(tmp_path, fake).target.deploy()
    write_project(tmp_path, version="2.0.0")
    fake.faults.drop(method="POST", path="/client/v4/accounts", after_handling=True)
    harness = make_target(tmp_path, fake)
    staged = harness.target.stage()
    assert len(fake.script(NAME).versions) == 2
    assert staged.version == fake.script(NAME).versions[-1].id
    assert "was lost, but it happened" in harness.output


def test_server_errors_and_rate_limits_are_retried_or_explained(tmp_path, fake):
    write_project(tmp_path)
    fake.faults.status(503, times=2, method="GET")
    make_target(tmp_path, fake).target.deploy()
    assert len(fake.script(NAME).versions) == 1
    write_project(tmp_path, version="2.0.0")
    throttled = '{"success":false,"errors":[{"code":971,"message":"Please wait"}],"result":null}'
    fake.faults.status(
        429,
        times=10,
        method="POST",
        path="/client/v4/accounts",
        retry_after=0,
        body=throttled,
        content_type="application/json",
    )
    with pytest.raises(CloudflareApiError) as caught:
        make_target(tmp_path, fake).target.deploy()
    assert "1200 requests per 5 minutes" in caught.value.remediation
    assert len(fake.script(NAME).versions) == 1
