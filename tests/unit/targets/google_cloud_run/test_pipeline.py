"""The whole program against the emulator: WIF, the candidate tag verified before traffic,
promote, discard, unchanged, rollback, destroy, plan, access and every output scanned."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pmcp_action.__main__ import main
from pmcp_action.targets.google_cloud_run.service import serving_revision
from tests.fakes.google_cloud_run import EMULATOR, EMULATOR_IMAGE, FakeGoogleCloud
from tests.support.github import parse_github_output

from .helpers import service_account_key

pytestmark = pytest.mark.timeout(300)

DIGEST = "us-central1-docker.pkg.dev/pmcp-emulator/pmcp/hello-mcp@sha256:"
IMAGE_2 = DIGEST + "2" * 64
IMAGE_3 = DIGEST + "3" * 64
SERVICE = "projects/pmcp-emulator/locations/us-central1/services/calc"


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Any:
    with EMULATOR.start() as running:
        # The `id` library reads the token endpoint from the process environment.
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
        for name in ("ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"):
            monkeypatch.setenv(name, running.env[name])
        yield running


def _fake(emulator: Any) -> FakeGoogleCloud:
    fake = emulator.fakes["google-cloud-run"]
    assert isinstance(fake, FakeGoogleCloud)
    return fake


def _project(root: Path, extra: str = "") -> Path:
    (root / ".pmcp").mkdir(parents=True, exist_ok=True)
    (root / ".pmcp" / "deploy.toml").write_text(
        f'[server]\nname = "calc"\n{extra}', encoding="utf-8"
    )
    return root


class Run:
    def __init__(self, code: int, printed: str, outputs: dict[str, str], summary: str, report: Any):
        self.code = code
        self.printed = printed
        self.outputs = outputs
        self.summary = summary
        self.report = report


def run(
    emulator: Any, gha_files: dict[str, Path], project: Path, *secrets: str, **extra: str
) -> Run:
    return run_with(None, emulator, gha_files, project, *secrets, **extra)


def run_with(
    sleep: Callable[[float], None] | None,
    emulator: Any,
    gha_files: dict[str, Path],
    project: Path,
    *secrets: str,
    **extra: str,
) -> Run:
    """:func:`run` with the program's sleep replaced (``None``: the real one)."""
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        gha_files[name].write_text("")
    env = {k: str(v) for k, v in gha_files.items()} | {"GITHUB_ACTIONS": "true"}
    env |= dict(emulator.env) | dict(emulator.secrets)
    env |= {
        "INPUT_TARGET": "google-cloud-run",
        "INPUT_WORKING-DIRECTORY": str(project),
        "INPUT_VERIFY-TIMEOUT-SECONDS": "5",
    }
    env |= extra
    out, err = io.StringIO(), io.StringIO()
    code = main([], environ=env, stdout=out, stderr=err, sleep=sleep)
    outputs = parse_github_output(gha_files["GITHUB_OUTPUT"].read_text())
    summary = gha_files["GITHUB_STEP_SUMMARY"].read_text()
    printed = "\n".join(
        line
        for line in (out.getvalue() + err.getvalue()).splitlines()
        if not line.startswith("::add-mask::")
    )
    report_text = Path(outputs["report-path"]).read_text()
    everything = printed + summary + report_text + gha_files["GITHUB_OUTPUT"].read_text()
    used = [*emulator.secrets.values(), *secrets, *_fake(emulator).tokens]
    used += [t.token for t in emulator.fakes["oidc"].issued]
    for secret in used:
        assert secret not in everything
        assert base64.b64encode(secret.encode()).decode() not in everything
    return Run(code, printed, outputs, summary, json.loads(report_text))


def _traffic(emulator: Any) -> list[dict[str, Any]]:
    return list(_fake(emulator).services[SERVICE].traffic)


def test_first_deploy_redeploy_unchanged_and_a_failing_candidate(emulator, gha_files, tmp_path):
    project = _project(tmp_path)
    first = run(emulator, gha_files, project)
    assert first.code == 0, first.printed
    out = first.outputs
    assert out["verified"] == "true" and out["region"] == "us-central1", first.printed
    assert out["project"] == "pmcp-emulator" and out["image"] == EMULATOR_IMAGE
    assert out["url"].endswith("/calc-abc123-uc.a.run.app/mcp")
    assert out["version"] == out["deployment-id"] == "calc-00001-x"
    assert out["previous-version"] == "" and out["unchanged"] == "false"
    assert "deployer@pmcp-emulator.iam.gserviceaccount.com" in first.printed + first.summary
    fake = _fake(emulator)
    assert fake.services[SERVICE].body["labels"] == {"managed-by": "pmcp", "pmcp-server": "calc"}
    assert [p["name"] for p in first.report["phases"]] == ["validate", "deploy", "verify"]

    second = run(emulator, gha_files, project, PMCP_IMAGE=IMAGE_2)
    assert second.code == 0, second.printed
    assert second.outputs["previous-version"] == "calc-00001-x"
    version = second.outputs["version"]
    assert version.startswith("calc-2222222-") and second.outputs["image"] == IMAGE_2
    assert [p["name"] for p in second.report["phases"]] == [
        "validate",
        "deploy",
        "verify candidate",
        "promote",
        "verify",
    ]
    assert _traffic(emulator) == [
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": version, "percent": 100}
    ]
    # The candidate was verified at its tag's own URL before traffic moved.
    candidate = [r for r in emulator.fakes["mcp"].requests]
    assert candidate
    assert any(r.path.startswith("/candidate---calc-") for r in fake.requests)

    third = run(emulator, gha_files, project, PMCP_IMAGE=IMAGE_2)
    assert third.code == 0 and third.outputs["unchanged"] == "true", third.printed
    assert third.outputs["version"] == version
    assert len(fake.services[SERVICE].revisions) == 2

    fake.broken_images.add(IMAGE_3)
    failing = run(emulator, gha_files, project, PMCP_IMAGE=IMAGE_3)
    assert failing.code == 1, failing.printed
    assert failing.outputs["verified"] == "false"
    assert failing.outputs["rolled-back"] == "true"
    assert version in failing.printed
    # The previous revision keeps 100 % and the candidate lost its tag.
    assert _traffic(emulator) == [
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": version, "percent": 100}
    ]

    # The same broken image again is not "unchanged": the serving revision does not run it.
    fake.broken_images.clear()
    again = run(emulator, gha_files, project, PMCP_IMAGE=IMAGE_3)
    assert again.code == 0 and again.outputs["unchanged"] == "false", again.printed
    assert again.outputs["previous-version"] == version


def test_rollback_outputs_and_destroy(emulator, gha_files, tmp_path):
    project = _project(tmp_path)
    assert run(emulator, gha_files, project).code == 0
    second = run(emulator, gha_files, project, PMCP_IMAGE=IMAGE_2)
    assert second.code == 0
    newer = second.outputs["version"]

    back = run(emulator, gha_files, project, INPUT_COMMAND="rollback")
    assert back.code == 0, back.printed
    assert back.outputs["version"] == "calc-00001-x"
    assert back.outputs["previous-version"] == newer
    assert back.outputs["verified"] == "true"

    named = run(
        emulator, gha_files, project, INPUT_COMMAND="rollback", **{"INPUT_ROLLBACK-TO": newer}
    )
    assert named.code == 0 and named.outputs["version"] == newer, named.printed

    unknown = run(
        emulator, gha_files, project, INPUT_COMMAND="rollback", **{"INPUT_ROLLBACK-TO": "calc-nope"}
    )
    assert unknown.code != 0 and "calc-00001-x" in unknown.printed

    shown = run(emulator, gha_files, project, INPUT_COMMAND="outputs")
    assert shown.code == 0 and shown.outputs["version"] == newer
    assert shown.outputs["image"] == IMAGE_2

    refused = run(emulator, gha_files, project, INPUT_COMMAND="destroy")
    assert refused.code != 0 and "confirm-destroy" in refused.printed
    assert SERVICE in _fake(emulator).services

    gone = run(
        emulator, gha_files, project, INPUT_COMMAND="destroy", **{"INPUT_CONFIRM-DESTROY": "true"}
    )
    assert gone.code == 0, gone.printed
    assert SERVICE not in _fake(emulator).services
    assert "images" in gone.printed and "kept" in gone.printed

    again = run(
        emulator, gha_files, project, INPUT_COMMAND="destroy", **{"INPUT_CONFIRM-DESTROY": "true"}
    )
    assert again.code == 1
    assert "::error title=Nothing deployed::Nothing to destroy" in again.printed, again.printed
    assert "Deployment failed" not in again.printed


def test_destroy_leaves_a_service_pmcp_did_not_make(emulator, gha_files, tmp_path):
    project = _project(tmp_path)
    assert run(emulator, gha_files, project).code == 0
    _fake(emulator).services[SERVICE].body["labels"] = {"team": "data"}
    gone = run(
        emulator, gha_files, project, INPUT_COMMAND="destroy", **{"INPUT_CONFIRM-DESTROY": "true"}
    )
    assert gone.code != 0 and "managed-by=pmcp" in gone.printed
    assert SERVICE in _fake(emulator).services
    redeploy = run(emulator, gha_files, project, PMCP_IMAGE=IMAGE_2)
    assert redeploy.code != 0 and "left alone" in redeploy.printed


def test_plan_changes_nothing(emulator, gha_files, tmp_path):
    project = _project(tmp_path)
    fake = _fake(emulator)
    planned = run(emulator, gha_files, project, INPUT_COMMAND="plan")
    assert planned.code == 0, planned.printed
    assert "create" in planned.printed and "Artifact Registry" not in planned.printed
    writes = [r for r in fake.requests if r.method in ("POST", "PATCH", "DELETE", "PUT")]
    assert [r.path for r in writes] == ["/v1/token", EMULATOR_IAM_PATH]
    assert not fake.services

    assert run(emulator, gha_files, project).code == 0
    before = fake.snapshot()
    fake.requests.clear()
    planned = run(emulator, gha_files, project, INPUT_COMMAND="plan", PMCP_IMAGE=IMAGE_2)
    assert planned.code == 0 and "update" in planned.printed, planned.printed
    assert fake.snapshot() == before
    writes = [r for r in fake.requests if r.method in ("POST", "PATCH", "DELETE", "PUT")]
    assert [r.path for r in writes] == ["/v1/token", EMULATOR_IAM_PATH]


EMULATOR_IAM_PATH = (
    "/v1/projects/-/serviceAccounts/deployer@pmcp-emulator.iam.gserviceaccount.com"
    ":generateAccessToken"
)


def test_a_revision_that_never_becomes_ready(emulator, gha_files, tmp_path):
    project = _project(tmp_path)
    fake = _fake(emulator)
    assert run(emulator, gha_files, project).code == 0
    fake.never_ready.add(IMAGE_2)
    failed = run(emulator, gha_files, project, PMCP_IMAGE=IMAGE_2)
    assert failed.code != 0
    assert "failed to start and listen on the port" in failed.printed
    assert failed.outputs["status"] == "failure"
    # The first revision still takes the traffic.
    served = fake.served_revision("calc-abc123-uc.a.run.app")
    assert served is not None and served[1].name == "calc-00001-x"
    assert serving_revision(fake.services[SERVICE].to_api()) == "calc-00001-x"


def test_org_policy_refusing_all_users_deploys_a_private_service(emulator, gha_files, tmp_path):
    project = _project(tmp_path)
    _fake(emulator).org_policy_blocks_all_users = True
    result = run(emulator, gha_files, project)
    assert result.code == 0, result.printed
    assert "deployed but private" in result.printed and "deployed but private" in result.summary
    assert "allow-unauthenticated: false" in result.printed
    assert result.outputs["verified"] == "skipped"


def test_a_403_after_the_grant_is_retried_until_it_passes(emulator, gha_files, tmp_path):
    project = _project(tmp_path)
    _fake(emulator).settling_403s = 2
    result = run(emulator, gha_files, project)
    assert result.code == 0, result.printed
    assert result.outputs["verified"] == "true"
    assert "not yet (allUsers was just granted roles/run.invoker)" in result.printed


def test_allow_unauthenticated_false_keeps_it_private(emulator, gha_files, tmp_path):
    project = _project(tmp_path, "allow_unauthenticated = false\n")
    result = run(emulator, gha_files, project)
    assert result.code == 0, result.printed
    assert result.outputs["verified"] == "skipped"
    policy = _fake(emulator).services[SERVICE].policy
    assert "allUsers" not in json.dumps(policy)


def test_a_rejected_oidc_token_shows_its_claims(emulator, gha_files, tmp_path):
    project = _project(tmp_path)
    fake = _fake(emulator)
    provider = next(iter(fake.providers))
    fake.providers[provider] = {"repository": "someone-else/repo"}
    result = run(emulator, gha_files, project)
    assert result.code != 0
    assert "Google STS refused the CI token" in result.printed
    assert "octo-org/octo-repo" in result.printed  # the claims, shown
    assert provider in result.printed
    assert not fake.services


def test_impersonation_refused_names_the_binding(emulator, gha_files, tmp_path):
    project = _project(tmp_path)
    fake = _fake(emulator)
    fake.service_accounts.clear()
    result = run(emulator, gha_files, project)
    assert result.code != 0
    assert "roles/iam.workloadIdentityUser" in result.printed


def test_wif_without_impersonation(emulator, gha_files, tmp_path):
    project = _project(tmp_path)
    result = run(emulator, gha_files, project, GCP_SERVICE_ACCOUNT="")
    assert result.code == 0, result.printed
    assert "principal of projects/123456789012" in result.printed + result.summary
    assert not _fake(emulator).requests_to("/v1/projects/-/serviceAccounts/")


def test_service_disabled_and_permission_denied(emulator, gha_files, tmp_path):
    project = _project(tmp_path)
    fake = _fake(emulator)
    disabled = json.dumps(
        {
            "error": {
                "code": 403,
                "status": "PERMISSION_DENIED",
                "message": "Cloud Run Admin API has not been used in project 123 before or it "
                "is disabled.",
                "details": [
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "SERVICE_DISABLED",
                        "metadata": {"service": "run.googleapis.com"},
                    }
                ],
            }
        }
    )
    fake.faults.add_spec(
        {"kind": "status", "status": 403, "path": "/v2/projects/", "body": disabled}
    )
    result = run(emulator, gha_files, project)
    assert result.code != 0
    assert "gcloud services enable run.googleapis.com" in result.printed
    assert "console.cloud.google.com/apis/library/run.googleapis.com" in result.printed

    denied = json.dumps(
        {
            "error": {
                "code": 403,
                "status": "PERMISSION_DENIED",
                "message": "Permission 'run.services.create' denied on resource",
            }
        }
    )
    fake.faults.add_spec(
        {"kind": "status", "status": 403, "path": "/v2/projects/", "body": denied, "times": 5}
    )
    result = run(emulator, gha_files, project)
    assert result.code != 0
    assert "run.services.create" in result.printed and "roles/run.admin" in result.printed


def test_a_service_account_key_through_the_whole_program(emulator, gha_files, tmp_path):
    project = _project(tmp_path)
    fake = _fake(emulator)
    key_json, public = service_account_key("deployer@pmcp-emulator.iam.gserviceaccount.com")
    email = json.loads(key_json)["client_email"]
    fake.keys[email] = public
    result = run(
        emulator,
        gha_files,
        project,
        key_json,
        json.loads(key_json)["private_key"],
        GCP_CREDENTIALS_JSON=key_json,
        GCP_WORKLOAD_IDENTITY_PROVIDER="",
        GCP_SERVICE_ACCOUNT="",
    )
    assert result.code == 0, result.printed
    assert result.outputs["verified"] == "true"
    assert "Long-lived key" in result.printed and email in result.printed + result.summary
    assert emulator.fakes["oidc"].issued == []  # no OIDC token was asked for
    assert result.report["inputs"]["gcp-credentials-json"] == "***"


def test_a_failing_candidates_logs_are_in_the_summary_and_logs_shows_the_serving_ones(
    emulator, gha_files, tmp_path
):
    project = _project(tmp_path)
    fake = _fake(emulator)
    assert run(emulator, gha_files, project).code == 0
    fake.broken_images.add(IMAGE_2)
    failing = run(emulator, gha_files, project, PMCP_IMAGE=IMAGE_2)
    assert failing.code == 1, failing.printed
    assert "panicked at src/main.rs:12: no tools" in failing.summary
    candidate = failing.outputs["version"]
    assert failing.report["logs"]["source"] == (
        f"Cloud Logging, revision {candidate} (project pmcp-emulator)"
    ), failing.report["logs"]
    listed = fake.requests_to("/v2/entries:list", "POST")
    assert listed and f'resource.labels.revision_name="{candidate}"' in listed[-1].json()["filter"]

    shown = run(emulator, gha_files, project, INPUT_COMMAND="logs")
    assert shown.code == 0, shown.printed
    assert "Cloud Logging, revision calc-00001-x (project pmcp-emulator):" in shown.printed
    assert "no lines from revision calc-00001-x yet" in shown.printed


# --- the server's secrets --------------------------------------------------------------------

API_KEY = "sk-live-0123456789abcdef"
#: A value of several lines, with = in it.
PEM = "-----BEGIN KEY-----\nMIIBfake=line/two+\n-----END KEY-----"
SECRETS_INPUT = f"API_KEY={API_KEY}\nSIGNING_KEY<<EOF\n{PEM}\nEOF\n"


def _secret_run(emulator: Any, gha_files: dict[str, Path], project: Path, text: str, *more: str,
                **extra: str) -> Run:  # fmt: skip
    """A run given ``text`` as the secrets input, every value in it scanned for."""
    values = [line.partition("=")[2] for line in text.splitlines() if "=" in line]
    values = [value for value in values if value]
    return run(emulator, gha_files, project, *values, *more, INPUT_SECRETS=text, **extra)


def _pinned(emulator: Any) -> dict[str, str]:
    env = _fake(emulator).services[SERVICE].body["template"]["containers"][0].get("env", [])
    return {
        e["name"]: e["valueSource"]["secretKeyRef"]["version"] for e in env if "valueSource" in e
    }


def _seen(emulator: Any) -> dict[str, str]:
    """What the serving revision's container sees."""
    fake = _fake(emulator)
    served = fake.served_revision("calc-abc123-uc.a.run.app")
    assert served is not None
    return fake.environment_of(served[1], "pmcp-emulator")


def test_secrets_set_unchanged_changed_before_traffic_and_kept(emulator, gha_files, tmp_path):
    project = _project(tmp_path)
    first = _secret_run(emulator, gha_files, project, SECRETS_INPUT, PEM)
    assert first.code == 0, first.printed
    assert json.loads(first.outputs["secrets"]) == {"API_KEY": "set", "SIGNING_KEY": "set"}
    assert "| **Secrets** | API_KEY set, SIGNING_KEY set |" in first.summary
    assert first.report["secrets"] == [
        {"name": "API_KEY", "status": "set"},
        {"name": "SIGNING_KEY", "status": "set"},
    ]
    assert _pinned(emulator) == {"API_KEY": "1", "SIGNING_KEY": "1"}
    assert _seen(emulator) == {"API_KEY": API_KEY, "SIGNING_KEY": PEM}
    fake = _fake(emulator)
    member = "serviceAccount:123456789012-compute@developer.gserviceaccount.com"
    for name in ("calc-API_KEY", "calc-SIGNING_KEY"):
        secret = fake.secret("pmcp-emulator", name)
        assert secret is not None and secret.name == f"projects/123456789012/secrets/{name}"
        assert secret.policy["bindings"][0]["members"] == [member]

    same = _secret_run(emulator, gha_files, project, SECRETS_INPUT, PEM)
    assert same.code == 0 and same.outputs["unchanged"] == "true", same.printed
    assert json.loads(same.outputs["secrets"]) == {
        "API_KEY": "unchanged",
        "SIGNING_KEY": "unchanged",
    }
    assert len(fake.services[SERVICE].revisions) == 1

    changed = SECRETS_INPUT.replace(API_KEY, "sk-live-rotated-9876543210")
    rotated = _secret_run(emulator, gha_files, project, changed, PEM)
    assert rotated.code == 0, rotated.printed
    assert json.loads(rotated.outputs["secrets"]) == {"API_KEY": "set", "SIGNING_KEY": "unchanged"}
    # The same image, a new value: a new revision, verified at its candidate URL first.
    assert [p["name"] for p in rotated.report["phases"]] == [
        "validate", "deploy", "verify candidate", "promote", "verify",
    ]  # fmt: skip
    assert rotated.outputs["previous-version"] == "calc-00001-x"
    assert _pinned(emulator) == {"API_KEY": "2", "SIGNING_KEY": "1"}
    assert _seen(emulator)["API_KEY"] == "sk-live-rotated-9876543210"

    code_only = run(emulator, gha_files, project, API_KEY, PEM, PMCP_IMAGE=IMAGE_2)
    assert code_only.code == 0, code_only.printed
    assert json.loads(code_only.outputs["secrets"]) == {"API_KEY": "kept", "SIGNING_KEY": "kept"}
    assert _pinned(emulator) == {"API_KEY": "2", "SIGNING_KEY": "1"}


def test_a_candidate_that_cannot_read_its_secret_never_serves(emulator, gha_files, tmp_path):
    project = _project(tmp_path)
    assert _secret_run(emulator, gha_files, project, SECRETS_INPUT, PEM).code == 0
    secret = _fake(emulator).secret("pmcp-emulator", "calc-API_KEY")
    assert secret is not None
    secret.policy = {"version": 1, "etag": "BwX="}  # someone withdrew the access
    changed = SECRETS_INPUT.replace(API_KEY, "sk-live-rotated-9876543210")
    failed = _secret_run(emulator, gha_files, project, changed, PEM)
    assert failed.code != 0
    assert "Permission denied on secret" in failed.printed
    assert "roles/secretmanager.secretAccessor" in failed.printed
    assert [v.number for v in secret.versions] == [1, 2]  # stored, never served
    assert _seen(emulator)["API_KEY"] == API_KEY  # the first revision still serves


def test_plan_and_destroy_name_the_secrets(emulator, gha_files, tmp_path):
    project = _project(tmp_path)
    planned = _secret_run(emulator, gha_files, project, SECRETS_INPUT, PEM, INPUT_COMMAND="plan")
    assert planned.code == 0, planned.printed
    assert "set     secret API_KEY  Secret Manager calc-API_KEY: a new version" in planned.printed
    assert json.loads(planned.outputs["secrets"]) == {"API_KEY": "set", "SIGNING_KEY": "set"}
    assert not _fake(emulator).secrets
    assert _secret_run(emulator, gha_files, project, SECRETS_INPUT, PEM).code == 0
    again = _secret_run(
        emulator, gha_files, project, f"API_KEY={API_KEY}\n", INPUT_COMMAND="plan",
        **{"INPUT_PRUNE-SECRETS": "true"},
    )  # fmt: skip
    assert "keep    secret API_KEY  unchanged" in again.printed
    assert "delete  secret SIGNING_KEY" in again.printed
    gone = run(
        emulator, gha_files, project, API_KEY, PEM, INPUT_COMMAND="destroy",
        **{"INPUT_CONFIRM-DESTROY": "true"},
    )  # fmt: skip
    assert gone.code == 0, gone.printed
    assert "Deleted Secret Manager secrets calc-API_KEY, calc-SIGNING_KEY" in gone.printed
    assert json.loads(gone.outputs["secrets"]) == {"API_KEY": "removed", "SIGNING_KEY": "removed"}
    assert not _fake(emulator).secrets


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("API_KEY=\n", "the secret API_KEY is empty"),
        ("PORT=8081-but-secret\n", "PORT is set by Cloud Run itself"),
        (f"{'A' * 251}=a-long-name-value\n", "longer than Secret Manager's 255 characters"),
        (f"BIG={'v' * 65537}\n", "the secret BIG is 65537 bytes"),
        ("1BAD=value-1234\n", "expected KEY=VALUE"),
    ],
)
def test_a_secret_the_platform_refuses_stops_the_run_before_any_call(
    emulator, gha_files, tmp_path, text, says
):
    project = _project(tmp_path)
    fake = _fake(emulator)
    refused = _secret_run(emulator, gha_files, project, text)
    assert refused.code != 0 and says in refused.printed, refused.printed
    assert fake.requests == []  # not even a sign-in


def test_a_required_secret_no_one_gave_stops_the_deploy_before_any_change(
    emulator, gha_files, tmp_path
):
    project = _project(tmp_path, '[secrets]\nAPI_KEY = { description = "the upstream key" }\n')
    fake = _fake(emulator)
    refused = run(emulator, gha_files, project)
    assert refused.code != 0
    assert "requires the secret API_KEY" in refused.printed
    assert not fake.services and not fake.secrets
    assert not [r for r in fake.requests if r.method != "GET" and r.path != "/v1/token"
                and ":generateAccessToken" not in r.path]  # fmt: skip
    given = run(emulator, gha_files, project, API_KEY, API_KEY=API_KEY)  # the run's variable
    assert given.code == 0, given.printed
    assert json.loads(given.outputs["secrets"]) == {"API_KEY": "set"}


def test_two_hundred_secrets_and_a_64_kib_value(emulator, gha_files, tmp_path):
    project = _project(tmp_path)
    values = {f"SECRET_{i:03d}": f"value-{i:03d}-{'x' * 12}" for i in range(199)}
    values["BIG"] = "b" * 65536
    text = "".join(f"{k}={v}\n" for k, v in values.items())
    result = _secret_run(emulator, gha_files, project, text)
    assert result.code == 0, result.printed[-2000:]
    assert set(json.loads(result.outputs["secrets"]).values()) == {"set"}
    assert len(_pinned(emulator)) == 200
    assert _seen(emulator)["BIG"] == "b" * 65536


GREET_SCENARIO = """\
name: Greet the user
steps:
  - name: tools are listed
    operation: {type: list_tools}
    assertions:
      - {type: array_length, path: tools, greater_than_or_equal: 1}
  - name: greet
    operation: {type: tool_call, tool: greet, arguments: {name: ci}}
    assertions:
      - {type: equals, path: result, value: "Hello, ci!"}
"""


@pytest.fixture
def revisions(emulator: Any) -> Any:
    """Each image's revisions answer from their own server: the official SDK's shop server
    (the deployed image and IMAGE_2) or the Rust stand-in (IMAGE_3, which has no greet)."""
    from tests.fakes.mcp_servers import serve_shop_mcp
    from tests.fakes.rust_mcp import rustc_problem, serve_standin

    if rustc_problem():
        pytest.skip(str(rustc_problem()))
    with serve_shop_mcp(json_response=True) as shop, serve_standin() as standin:
        origins = {
            EMULATOR_IMAGE: shop.url.removesuffix("/mcp"),
            IMAGE_2: shop.url.removesuffix("/mcp"),
            IMAGE_3: standin.removesuffix("/mcp"),
        }
        _fake(emulator).origin_for = origins.get
        yield shop


def test_a_failing_scenario_on_the_candidate_leaves_the_previous_revision_serving(
    emulator, revisions, gha_files, tmp_path
):
    project = _project(tmp_path)
    (project / "scenarios").mkdir()
    (project / "scenarios" / "greet.yaml").write_text(GREET_SCENARIO)
    scenarios = {"INPUT_VERIFY-SCENARIOS": "scenarios/*.yaml"}

    first = run(emulator, gha_files, project, **scenarios)
    assert first.code == 0, first.printed
    assert first.outputs["scenarios-passed"] == "1" and first.outputs["scenarios-failed"] == "0"
    assert first.outputs["url"] == first.outputs["service-url"] + "/mcp"
    serving = first.outputs["version"]

    failing = run(emulator, gha_files, project, PMCP_IMAGE=IMAGE_3, **scenarios)
    assert failing.code == 1, failing.printed
    out = failing.outputs
    assert out["rolled-back"] == "true" and out["verified"] == "false"
    assert (out["scenarios-passed"], out["scenarios-failed"]) == ("0", "1")
    assert [p["name"] for p in failing.report["phases"]] == [
        "validate",
        "deploy",
        "verify candidate",
        "logs",
        "discard",
    ]
    # The candidate never took traffic: the first revision serves, untouched.
    assert _traffic(emulator) == [
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": serving, "percent": 100}
    ]
    assert f"Version {serving} still serves, untouched." in failing.summary
    assert (
        "scenario 'Greet the user' (scenarios/greet.yaml), steps step 'greet' (tool_call greet): "
        'equals result == the expected value: result is null, expected "Hello, ci!"'
    ) in failing.summary
    assert "/candidate---calc-" in failing.report["verification"]["url"]
    # The shop server that serves was never sent the failing scenario again.
    assert len(revisions.rpc("tools/call")) == 1


def test_on_failure_warn_moves_the_traffic_to_a_candidate_that_failed(
    emulator, revisions, gha_files, tmp_path
):
    project = _project(tmp_path, '\n[post_deploy_tests]\non_failure = "warn"\n')
    (project / "greet.yaml").write_text(GREET_SCENARIO)
    assert run(emulator, gha_files, project).code == 0

    warned = run(
        emulator, gha_files, project, PMCP_IMAGE=IMAGE_3, **{"INPUT_VERIFY-SCENARIOS": "greet.yaml"}
    )
    assert warned.code == 0, warned.printed
    assert warned.outputs["rolled-back"] == "false" and warned.outputs["verified"] == "false"
    assert warned.outputs["status"] == "success"
    assert "::warning title=Verification failed (warning only)::" in warned.printed
    assert [p["name"] for p in warned.report["phases"]] == [
        "validate",
        "deploy",
        "verify candidate",
        "promote",
        "verify",
    ]
    assert _traffic(emulator)[0]["revision"] == warned.outputs["version"]
