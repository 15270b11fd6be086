"""The cloudflare-workers target over the contract fake (in process, MockTransport)."""

from __future__ import annotations

import pytest

from pmcp_action.artifact.workers_bundle import WorkersBundle
from pmcp_action.errors import ConfigError, DeployError, ValidationError
from pmcp_action.targets.cloudflare_workers.failures import CloudflareApiError, CloudflareAuthError
from tests.fakes.cloudflare_workers import ACCOUNT_ID, SUBDOMAIN, WORKERS_EDIT
from tests.unit.cloudflare_workers.helpers import NAME, make_target, write_project

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
    assert staged.outputs["preview-url"] == staged.candidate_url
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


def test_compatibility_date_input_beats_wrangler_toml_beats_the_default(tmp_path, fake):
    write_project(
        tmp_path,
        wrangler_toml='name = "weather"\ncompatibility_date = "2025-03-01"\n'
        'compatibility_flags = ["nodejs_compat"]\n',
    )
    make_target(tmp_path, fake).target.deploy()
    version = fake.script(NAME).versions[-1]
    assert version.compatibility_date == "2025-03-01"
    assert version.compatibility_flags == ["nodejs_compat"]
    harness = make_target(tmp_path, fake, inputs={"compatibility-date": "2025-06-01"})
    harness.target.deploy()
    assert fake.script(NAME).versions[-1].compatibility_date == "2025-06-01"


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
    with pytest.raises(DeployError, match="No Worker other"):
        make_target(tmp_path, fake, inputs={"server-name": "other"}).target.outputs()


def test_destroy_deletes_only_a_worker_this_tool_deployed(tmp_path, fake):
    write_project(tmp_path)
    make_target(tmp_path, fake).target.deploy()
    result = make_target(tmp_path, fake).target.destroy()
    assert fake.script(NAME) is None and result.changes[0].action == "delete"
    with pytest.raises(DeployError, match="Nothing to destroy"):
        make_target(tmp_path, fake).target.destroy()
    make_target(tmp_path, fake).target.deploy()
    fake.script(NAME).tags = []
    with pytest.raises(DeployError, match="not deployed by pmcp-action"):
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


def test_an_invalid_token_is_refused_with_how_to_make_one(tmp_path, fake):
    write_project(tmp_path)
    harness = make_target(tmp_path, fake, token="not-a-token")
    with pytest.raises(CloudflareAuthError) as caught:
        harness.target.deploy()
    assert "invalid, revoked or expired" in caught.value.message
    assert "Workers Scripts: Edit" in caught.value.remediation
    assert harness.mutations() == []


def test_an_expired_token_says_so(tmp_path, fake):
    write_project(tmp_path)
    fake.add_token("expired-token", status="expired")
    with pytest.raises(CloudflareAuthError, match="token is expired"):
        make_target(tmp_path, fake, token="expired-token").target.deploy()


def test_an_under_scoped_token_names_the_permission(tmp_path, fake):
    write_project(tmp_path)
    fake.add_token("read-only", permissions=frozenset({"Account Settings:Read"}))
    harness = make_target(tmp_path, fake, token="read-only")
    with pytest.raises(CloudflareAuthError) as caught:
        harness.target.deploy()
    assert f"may not read the Worker {NAME} on account {ACCOUNT_ID}" in caught.value.message
    assert "Workers Scripts: Edit (an account permission)" in caught.value.remediation
    assert WORKERS_EDIT and harness.mutations() == []


def test_the_only_account_the_token_sees_is_used_and_named(tmp_path, fake):
    write_project(tmp_path)
    harness = make_target(tmp_path, fake, account=False)
    harness.target.deploy()
    assert f"the token sees one account, CI account ({ACCOUNT_ID})" in harness.output
    fake.add_account("f" * 32, name="second", subdomain="other")
    fake.tokens[next(iter(fake.tokens))].accounts = (ACCOUNT_ID, "f" * 32)
    with pytest.raises(ConfigError, match="sees 2 accounts"):
        make_target(tmp_path, fake, account=False).target.deploy()


def test_an_account_without_a_workers_dev_subdomain_gets_a_hint(tmp_path, fake):
    write_project(tmp_path)
    fake.accounts[ACCOUNT_ID].subdomain = None
    harness = make_target(tmp_path, fake)
    with pytest.raises(DeployError, match="no workers.dev subdomain") as caught:
        harness.target.deploy()
    assert "does not pick a name" in caught.value.remediation
    assert harness.mutations() == []


def test_a_missing_bundle_fails_before_any_api_call(tmp_path, fake):
    write_project(tmp_path)
    (tmp_path / "deploy" / "cloudflare" / "build" / "index.js").unlink()
    (tmp_path / "deploy" / "cloudflare" / "build" / "worker" / "shim.mjs").unlink()
    with pytest.raises(ConfigError) as caught:
        make_target(tmp_path, fake, environ={"PATH": "/nonexistent"}).target.deploy()
    assert "worker-build --release" in caught.value.remediation
    assert fake.requests == []


def test_a_missing_import_fails_before_any_api_call(tmp_path, fake):
    build = write_project(tmp_path).parent
    (build / "index_bg.wasm").unlink()
    with pytest.raises(ConfigError, match="imports './index_bg.wasm'"):
        make_target(tmp_path, fake, inputs={"artifact": str(build / "index.js")}).target.deploy()
    assert fake.requests == []


def test_an_oversize_bundle_fails_before_any_api_call(tmp_path, fake):
    write_project(tmp_path)
    kind = WorkersBundle(compressed_limit=200, free_compressed_limit=100)
    with pytest.raises(ConfigError, match="above the Workers Paid limit"):
        make_target(tmp_path, fake, bundle_kind=kind).target.deploy()
    assert fake.requests == []


def test_no_token_anywhere_is_an_input_problem(tmp_path, fake):
    write_project(tmp_path)
    harness = make_target(tmp_path, fake, token=None)
    problems = harness.target.validate()
    assert [p.where for p in problems] == ["input 'cloudflare-api-token'"]
    assert "no OIDC federation" in problems[0].what
    with pytest.raises(ValidationError):
        harness.target.deploy()
    assert fake.requests == []


def test_no_worker_secrets_anywhere_sends_no_secret_binding(tmp_path, fake):
    write_project(tmp_path)
    make_target(tmp_path, fake).target.deploy()
    version = fake.script(NAME).versions[0]
    assert [b["type"] for b in version.bindings] == ["plain_text"]


def test_worker_secrets_become_masked_secret_text_bindings(tmp_path, fake):
    write_project(tmp_path)
    secret = "s3cr3t-value-for-the-worker"
    harness = make_target(tmp_path, fake, inputs={"worker-secrets": f"API_KEY={secret}\n"})
    result = harness.target.deploy()
    version = fake.script(NAME).versions[0]
    assert {"type": "secret_text", "name": "API_KEY", "text": secret} in version.bindings
    uploads = [r for r in fake.requests if r.method == "PUT"]
    assert b'"keep_bindings"' in uploads[0].body
    assert secret not in harness.output + repr(result)
    assert secret not in harness.target.console.redactor.redact(f"leak: {secret}")


def test_bad_inputs_are_reported_together_without_quoting_secrets(tmp_path, fake):
    write_project(tmp_path, deploy_toml='[server]\nname = "Bad Name"\n')
    harness = make_target(
        tmp_path,
        fake,
        inputs={
            "worker-secrets": "just-a-secret-without-equals",
            "cloudflare-account-id": "nope",
            "compatibility-date": "yesterday",
        },
    )
    rendered = "\n".join(p.render() for p in harness.target.validate())
    assert "cannot be a Worker name" in rendered
    assert "32 hexadecimal" in rendered and "is not a date" in rendered
    assert "line 1: expected KEY=VALUE" in rendered
    assert "just-a-secret" not in rendered


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
