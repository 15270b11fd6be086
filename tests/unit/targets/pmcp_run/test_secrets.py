"""The server's secrets on pmcp.run, over the fake: written before the deployment is created,
unchanged ones not written, the action's others kept or pruned, a name stored by someone
else never deleted, destroy deleting only what the action set; every failure before the
deployment leaves none, and no value is ever printed."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from pmcp_action.errors import DeployError, RemoteApiError, ValidationError
from pmcp_action.result import TargetResult
from pmcp_action.secrets import SecretStatus
from pmcp_action.targets.pmcp_run.secrets import RECORD
from tests.fakes.pmcp_run import FakePmcpRun, StoredSecret

from .helpers import Harness, call_tool, make_harness, named_toml, secret_values

#: deploy.toml requiring API_KEY (DB_URL optional), as the tests' server "weather".
TOML = named_toml("weather") + "\n[secrets]\nAPI_KEY = {}\nDB_URL = { required = false }\n"
API_KEY = "sk-live-0123456789abcdef"
DB_URL = "postgres://weather:pa55=word@db.internal/weather"


def harness(
    tmp_path: Path, fake: FakePmcpRun, secrets: str, *, prune: bool = False, **environ: str
) -> Harness:
    return make_harness(
        tmp_path,
        fake,
        deploy_toml=TOML,
        secrets=secrets,
        prune_secrets=prune,
        environ=environ or None,
    )


def statuses(result: TargetResult) -> dict[str, str]:
    return {o.name: o.status.value for o in result.secrets}


def operations(fake: FakePmcpRun, start: int = 0) -> list[str]:
    return fake.graphql_operations()[start:]


def secret_calls(fake: FakePmcpRun, operation: str) -> list[str]:
    return [v["secretName"] for names, v in fake.graphql_calls if operation in names]


def assert_nothing_printed(h: Harness, *values: str) -> None:
    for value in (*values, *secret_values(h)):
        assert value not in h.output
        assert base64.b64encode(value.encode()).decode() not in h.output


def record(fake: FakePmcpRun, server: str = "weather") -> dict[str, str]:
    recorded: dict[str, str] = json.loads(fake.secrets_of(server)[RECORD])["secrets"]
    return recorded


def test_a_first_deploy_stores_the_secrets_before_the_deployment_exists(
    tmp_path: Path, fake: FakePmcpRun
) -> None:
    h = harness(tmp_path, fake, f"DB_URL={DB_URL}", API_KEY=API_KEY)

    result = h.target.deploy()

    ops = operations(fake)
    assert ops.index("setServerSecret") < ops.index("createDeploymentFromS3")
    assert ops.index("getUploadUrls") < ops.index("setServerSecret")  # the files went first
    assert secret_calls(fake, "setServerSecret") == ["API_KEY", "DB_URL", RECORD]
    stored = fake.secrets_of("weather")
    assert stored["API_KEY"] == API_KEY and stored["DB_URL"] == DB_URL
    assert set(record(fake)) == {"API_KEY", "DB_URL"}
    assert all(mark.startswith("s1:") and len(mark) == 67 for mark in record(fake).values())
    assert API_KEY not in stored[RECORD] and DB_URL not in stored[RECORD]
    assert fake.server_secrets[("weather", "mcp")]["API_KEY"].description == (
        "Set by pmcp-deploy-action (managed-by=pmcp)"
    )
    assert statuses(result) == {"API_KEY": "set", "DB_URL": "set"}
    # pmcp.run gave them to the new deployment: its server sees both variables.
    assert call_tool(fake, result.url, "has_env", {"name": "API_KEY"}) == "true"
    assert call_tool(fake, result.url, "has_env", {"name": "DB_URL"}) == "true"
    template = fake.uploads[fake.deployments[result.deployment_id].variables["templateS3Key"]]
    assert b"API_KEY" not in template.data and API_KEY.encode() not in template.data
    assert "Secret API_KEY stored on pmcp.run for weather." in h.output
    assert_nothing_printed(h, API_KEY, DB_URL)


def test_an_unchanged_secret_is_not_written_again(tmp_path: Path, fake: FakePmcpRun) -> None:
    harness(tmp_path, fake, f"DB_URL={DB_URL}", API_KEY=API_KEY).target.deploy()
    start = len(fake.graphql_calls)
    h = harness(tmp_path, fake, f"DB_URL={DB_URL}", API_KEY=API_KEY)

    result = h.target.deploy()

    assert "setServerSecret" not in operations(fake, start)
    assert "deleteServerSecret" not in operations(fake, start)
    assert statuses(result) == {"API_KEY": "unchanged", "DB_URL": "unchanged"}
    assert fake.server_secrets[("weather", "mcp")]["API_KEY"].writes == 1
    # pmcp.run makes a new deployment on every deploy; it still gets the secrets.
    assert call_tool(fake, result.url, "has_env", {"name": "API_KEY"}) == "true"
    assert "nothing to write (none is new, changed or to be removed)" in h.output
    assert_nothing_printed(h, API_KEY, DB_URL)


def test_a_changed_secret_is_written_alone_and_its_fingerprint_recorded(
    tmp_path: Path, fake: FakePmcpRun
) -> None:
    harness(tmp_path, fake, f"DB_URL={DB_URL}", API_KEY=API_KEY).target.deploy()
    before = record(fake)
    start = len(fake.graphql_calls)

    result = harness(
        tmp_path, fake, f"DB_URL={DB_URL}", API_KEY="sk-live-rotated-9876"
    ).target.deploy()

    assert [
        v["secretName"] for names, v in fake.graphql_calls[start:] if "setServerSecret" in names
    ] == [
        "API_KEY",
        RECORD,
    ]
    assert statuses(result) == {"API_KEY": "set", "DB_URL": "unchanged"}
    assert fake.secrets_of("weather")["API_KEY"] == "sk-live-rotated-9876"
    assert record(fake)["DB_URL"] == before["DB_URL"]
    assert record(fake)["API_KEY"] != before["API_KEY"]


def test_a_secret_not_given_is_kept_and_pruned_only_when_asked(
    tmp_path: Path, fake: FakePmcpRun
) -> None:
    harness(
        tmp_path, fake, f"DB_URL={DB_URL}\nOLD_TOKEN=old-token-value", API_KEY=API_KEY
    ).target.deploy()

    kept = harness(tmp_path, fake, "", API_KEY=API_KEY).target.deploy()
    assert statuses(kept) == {"API_KEY": "unchanged", "DB_URL": "kept", "OLD_TOKEN": "kept"}
    assert set(fake.secrets_of("weather")) == {"API_KEY", "DB_URL", "OLD_TOKEN", RECORD}

    start = len(fake.graphql_calls)
    h = harness(tmp_path, fake, "", prune=True, API_KEY=API_KEY)
    pruned = h.target.deploy()

    assert statuses(pruned) == {"API_KEY": "unchanged", "DB_URL": "removed", "OLD_TOKEN": "removed"}
    ops = operations(fake, start)
    assert ops.index("deleteServerSecret") < ops.index("createDeploymentFromS3")
    assert set(fake.secrets_of("weather")) == {"API_KEY", RECORD}
    assert set(record(fake)) == {"API_KEY"}
    # The new deployment no longer sees them.
    assert call_tool(fake, pruned.url, "has_env", {"name": "OLD_TOKEN"}) == "false"
    assert "Secret OLD_TOKEN deleted from pmcp.run for weather (prune-secrets)." in h.output


def test_a_name_stored_by_someone_else_is_never_deleted_and_a_required_one_counts_as_present(
    tmp_path: Path, fake: FakePmcpRun
) -> None:
    for name, value in (("API_KEY", "set-in-the-dashboard"), ("MANUAL", "set-by-hand-1")):
        fake.server_secrets.setdefault(("weather", "mcp"), {})[name] = StoredSecret(value, None, 0)
    h = harness(tmp_path, fake, f"DB_URL={DB_URL}", prune=True)  # no API_KEY given

    result = h.target.deploy()

    # API_KEY is required and stored already: kept, never written nor deleted; MANUAL is
    # not the action's: untouched even with prune-secrets; DB_URL is the action's.
    assert statuses(result) == {"API_KEY": "kept", "DB_URL": "set"}
    assert fake.secrets_of("weather")["API_KEY"] == "set-in-the-dashboard"
    assert fake.secrets_of("weather")["MANUAL"] == "set-by-hand-1"
    assert set(record(fake)) == {"DB_URL"}
    assert "deleteServerSecret" not in operations(fake)

    destroyed = harness(tmp_path, fake, "").target.destroy()
    assert set(fake.secrets_of("weather")) == {"API_KEY", "MANUAL"}
    assert statuses(destroyed) == {"DB_URL": "removed"}
    assert any("left as they are: API_KEY, MANUAL" in note for note in destroyed.notes)


def test_a_given_name_stored_by_someone_else_is_written_over_and_becomes_the_actions(
    tmp_path: Path, fake: FakePmcpRun
) -> None:
    fake.server_secrets[("weather", "mcp")] = {"API_KEY": StoredSecret("old", None, 0)}
    h = harness(tmp_path, fake, "", API_KEY=API_KEY)

    planned = h.target.plan()
    result = harness(tmp_path, fake, "", API_KEY=API_KEY).target.deploy()

    change = next(c for c in planned.changes if c.resource == "pmcp.run secret API_KEY")
    assert (change.action, change.detail) == (
        "update",
        "stored earlier, not by pmcp-deploy-action: written over",
    )
    assert statuses(result) == {"API_KEY": "set"}
    assert fake.secrets_of("weather")["API_KEY"] == API_KEY and set(record(fake)) == {"API_KEY"}


def test_a_required_secret_neither_given_nor_stored_stops_the_deploy_before_any_change(
    tmp_path: Path, fake: FakePmcpRun
) -> None:
    h = harness(tmp_path, fake, "")

    with pytest.raises(ValidationError, match="requires the secret API_KEY"):
        h.target.deploy()

    assert operations(fake) == ["listDeployments", "listServerSecrets"]
    assert fake.uploads == {} and fake.deployments == {}


def test_a_name_listed_without_a_value_is_not_present(
    tmp_path: Path, fake: FakePmcpRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pmcp.run may list a name a template declared but no one set (hasValue false)."""
    h = harness(tmp_path, fake, "")
    listing = json.dumps([{"name": "API_KEY", "hasValue": False}])
    monkeypatch.setattr(
        fake, "list_secrets", lambda server, audience: {"serverId": server, "secrets": listing}
    )

    with pytest.raises(ValidationError, match="requires the secret API_KEY"):
        h.target.deploy()


def test_a_refused_write_leaves_no_deployment_and_records_what_was_set(
    tmp_path: Path, fake: FakePmcpRun
) -> None:
    fake.secret_failures["DB_URL"] = "Secrets Manager throttled the request"
    h = harness(tmp_path, fake, f"DB_URL={DB_URL}", API_KEY=API_KEY)

    with pytest.raises(RemoteApiError) as caught:
        h.target.deploy()

    assert caught.value.message == (
        "pmcp.run refused to store the secret DB_URL of weather: Secrets Manager throttled the "
        "request."
    )
    assert "nothing was deployed" in caught.value.remediation
    assert "createDeploymentFromS3" not in operations(fake) and fake.deployments == {}
    assert set(record(fake)) == {"API_KEY"}  # written before the failure: the action's
    del fake.secret_failures["DB_URL"]
    again = harness(tmp_path, fake, f"DB_URL={DB_URL}", API_KEY=API_KEY).target.deploy()
    assert statuses(again) == {"API_KEY": "unchanged", "DB_URL": "set"}
    assert_nothing_printed(h, API_KEY, DB_URL)


def test_a_write_whose_answer_was_lost_is_sent_again(tmp_path: Path, fake: FakePmcpRun) -> None:
    """setServerSecret is a PUT: sending it again after a lost answer is safe."""
    fake.faults.drop(path="/graphql", contains="API_KEY", after_handling=True)
    fake.faults.status(503, path="/graphql", contains="setServerSecret")
    h = harness(tmp_path, fake, "", API_KEY=API_KEY)

    result = h.target.deploy()

    assert statuses(result) == {"API_KEY": "set"}
    assert fake.server_secrets[("weather", "mcp")]["API_KEY"].writes == 2
    assert len(fake.deployments) == 1
    assert_nothing_printed(h, API_KEY)


def test_a_delete_whose_answer_was_lost_is_proved_by_the_listing(
    tmp_path: Path, fake: FakePmcpRun
) -> None:
    harness(tmp_path, fake, "OLD_TOKEN=old-token-value", API_KEY=API_KEY).target.deploy()
    fake.faults.drop(path="/graphql", contains="deleteServerSecret", after_handling=True)

    result = harness(tmp_path, fake, "", prune=True, API_KEY=API_KEY).target.deploy()

    assert statuses(result)["OLD_TOKEN"] == "removed"
    # Sent twice (the second found nothing), then the listing showed it gone.
    assert secret_calls(fake, "deleteServerSecret") == ["OLD_TOKEN", "OLD_TOKEN"]
    assert "OLD_TOKEN" not in fake.secrets_of("weather")


def test_a_record_someone_else_wrote_stops_a_write_before_any_change(
    tmp_path: Path, fake: FakePmcpRun
) -> None:
    fake.server_secrets[("weather", "mcp")] = {RECORD: StoredSecret("not json", None, 0)}
    h = harness(tmp_path, fake, "", API_KEY=API_KEY)

    with pytest.raises(DeployError, match=f"holds a secret {RECORD} for weather that") as caught:
        h.target.deploy()

    assert "setServerSecret" not in operations(fake) and fake.deployments == {}
    assert f"cargo pmcp secret delete weather/{RECORD}" in caught.value.remediation
    assert "no secret there is treated as the action's" in h.output


def test_destroy_leaves_the_secrets_when_the_record_is_not_the_actions(
    tmp_path: Path, fake: FakePmcpRun
) -> None:
    make_harness(tmp_path, fake, deploy_toml=named_toml("weather")).target.deploy()
    fake.server_secrets[("weather", "mcp")] = {
        RECORD: StoredSecret('{"secrets": {"KEPT": "s1:00"}}', None, 0),  # no ownership mark
        "KEPT": StoredSecret("kept-value", None, 0),
    }
    h = make_harness(tmp_path, fake, deploy_toml=TOML)

    result = h.target.destroy()

    assert fake.deployments == {} and set(fake.secrets_of("weather")) == {RECORD, "KEPT"}
    assert result.secrets == ()
    assert "The secrets of weather are left as they are" in h.output


def test_plan_lists_the_names_and_changes_nothing(tmp_path: Path, fake: FakePmcpRun) -> None:
    harness(tmp_path, fake, "OLD_TOKEN=old-token-value", API_KEY=API_KEY).target.deploy()
    before = fake.snapshot()
    start = len(fake.graphql_calls)
    h = harness(tmp_path, fake, f"DB_URL={DB_URL}", prune=True, API_KEY=API_KEY)

    planned = h.target.plan()

    assert operations(fake, start) == ["listDeployments", "listServerSecrets", "getServerSecret"]
    after = fake.snapshot()
    before.pop("tokens_issued"), after.pop("tokens_issued")
    assert after == before
    secret_changes = [
        (c.action, c.resource.removeprefix("pmcp.run secret "), c.detail)
        for c in planned.changes
        if c.resource.startswith("pmcp.run secret")
    ]
    assert secret_changes == [
        ("keep", "API_KEY", "unchanged"),
        ("create", "DB_URL", "new secret"),
        ("delete", "OLD_TOKEN", "no longer given (prune-secrets)"),
        ("update", RECORD, "the names and fingerprints of the secrets pmcp-deploy-action set"),
    ]
    assert statuses(planned) == {"API_KEY": "unchanged", "DB_URL": "set", "OLD_TOKEN": "removed"}
    assert_nothing_printed(h, API_KEY, DB_URL)


def test_destroy_deletes_the_actions_secrets_first_then_the_deployment(
    tmp_path: Path, fake: FakePmcpRun
) -> None:
    harness(tmp_path, fake, f"DB_URL={DB_URL}", API_KEY=API_KEY).target.deploy()
    start = len(fake.graphql_calls)
    h = make_harness(tmp_path, fake, deploy_toml=TOML)  # destroy needs no secret given

    result = h.target.destroy()

    ops = operations(fake, start)
    assert ops.index("deleteServerSecret") < ops.index("destroyDeployment")
    assert secret_calls(fake, "deleteServerSecret") == ["API_KEY", "DB_URL", RECORD]
    assert fake.secrets_of("weather") == {} and fake.deployments == {}
    assert statuses(result) == {"API_KEY": "removed", "DB_URL": "removed"}
    assert [c.resource for c in result.changes][:3] == [
        "pmcp.run secret API_KEY",
        "pmcp.run secret DB_URL",
        f"pmcp.run secret {RECORD}",
    ]


def test_a_run_without_secrets_reads_none(tmp_path: Path, fake: FakePmcpRun) -> None:
    h = make_harness(tmp_path, fake, deploy_toml=named_toml("weather"), secrets="")

    result = h.target.deploy()

    assert result.secrets == ()
    assert not any("Secret" in op for op in operations(fake))


@pytest.mark.parametrize(
    ("given", "where", "what"),
    [
        ("AWS_REGION=eu-west-1-x", "input 'secrets' (AWS_REGION)", "Lambda reserves AWS_REGION"),
        (f"{RECORD}=abcd-efgh", f"input 'secrets' ({RECORD})", "keeps its record"),
        ("_PRIVATE=abcd-efgh", "input 'secrets' (_PRIVATE)", "cannot be an environment variable"),
        ("X=abcd-efgh", "input 'secrets' (X)", "cannot be an environment variable"),
        (f"{'N' * 129}=abcd-efgh", "input 'secrets' (NNNN", "takes 129 characters"),
        ("BIG=" + "x" * (64 * 1024 + 1), "input 'secrets' (BIG)", "takes 65537 bytes"),
    ],
)
def test_a_secret_pmcp_run_could_not_hold_is_refused_before_any_call(
    tmp_path: Path, fake: FakePmcpRun, given: str, where: str, what: str
) -> None:
    h = harness(tmp_path, fake, given, API_KEY=API_KEY)

    with pytest.raises(ValidationError) as caught:
        h.target.deploy()

    (problem,) = caught.value.problems
    assert problem.where.startswith(where) and what in problem.what
    assert fake.requests_to("/graphql") == [] and fake.requests_to("/oauth2/token") == []


def test_too_many_secrets_are_refused_before_any_call(tmp_path: Path, fake: FakePmcpRun) -> None:
    given = "\n".join(f"SECRET_{i:03}=value-{i:03}" for i in range(257))
    h = harness(tmp_path, fake, given, API_KEY=API_KEY)

    with pytest.raises(ValidationError, match="258 secrets are given; pmcp-run sets at most 256"):
        h.target.deploy()

    assert fake.requests_to("/graphql") == []


def test_hostile_values_are_stored_exactly(tmp_path: Path, fake: FakePmcpRun) -> None:
    """Several lines, `=` and quotes, 64 KiB exactly, and 200 secrets: documented successes."""
    pem = "-----BEGIN KEY-----\nline=one\n\"two\" 'three'\n-----END KEY-----"
    big = "y" * (64 * 1024)
    many = "\n".join(f"SECRET_{i:03}=value-{i:03}-padding" for i in range(196))
    given = f"PEM<<EOF\n{pem}\nEOF\nBIG={big}\nDB_URL={DB_URL}\n{many}"
    h = harness(tmp_path, fake, given, API_KEY=API_KEY)

    result = h.target.deploy()

    stored = fake.secrets_of("weather")
    assert stored["PEM"] == pem and stored["BIG"] == big and stored["DB_URL"] == DB_URL
    assert len(result.secrets) == 200 and {o.status for o in result.secrets} == {SecretStatus.SET}
    assert len(record(fake)) == 200
    assert_nothing_printed(h, pem, big, DB_URL, API_KEY, *pem.splitlines())


def test_a_null_listing_names_the_credentials_and_changes_nothing(
    tmp_path: Path, fake: FakePmcpRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pmcp.run answers null when the token may not manage the server's secrets."""
    monkeypatch.setattr(fake, "list_secrets", lambda server, audience: None)
    h = harness(tmp_path, fake, "", API_KEY=API_KEY)

    with pytest.raises(RemoteApiError) as caught:
        h.target.deploy()

    assert caught.value.message == (
        "Listing the pmcp.run secrets of weather (listServerSecrets): pmcp.run answered no "
        "listServerSecrets result."
    )
    assert "credentials belong to the pmcp.run organisation" in caught.value.remediation
    assert fake.uploads == {} and fake.deployments == {}
