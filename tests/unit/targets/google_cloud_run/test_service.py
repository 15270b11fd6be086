"""The desired service body, change detection, traffic lists and the previous revision,
round-tripped through the fake."""

from __future__ import annotations

from types import MappingProxyType

from pmcp_action.targets.google_cloud_run.service import (
    PREVIOUS_ANNOTATION,
    SERVICE_NAME,
    SecretRef,
    ServiceSettings,
    all_to,
    changes,
    desired_body,
    previous_revision,
    revision_name,
    runtime_service_account,
    secret_refs,
    serving_revision,
    staged_traffic,
    tagged_uri,
)
from tests.fakes.google_cloud_run import FakeCloudRun

from .helpers import run_api_over

DIGEST_A = "sha256:" + "a" * 64


DIGEST_B = "sha256:" + "b" * 64


REPO = "us-central1-docker.pkg.dev/demo/pmcp/calc"


def _settings(
    digest: str = DIGEST_A, *, memory: str = "512Mi", max_instances: int = 10
) -> ServiceSettings:
    env = MappingProxyType({"RUST_LOG": "info", "PORT": "9"})
    return ServiceSettings(
        server_name="calc",
        image=f"{REPO}@{digest}",
        environment=env,
        memory=memory,
        max_instances=max_instances,
    )


def test_body_has_the_defaults_labels_and_never_port():
    body = desired_body(_settings())
    container = body["template"]["containers"][0]
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "512Mi"}
    assert container["ports"] == [{"containerPort": 8080}]
    assert container["env"] == [{"name": "RUST_LOG", "value": "info"}]
    assert body["template"]["scaling"] == {"minInstanceCount": 0, "maxInstanceCount": 10}
    assert body["labels"] == {"managed-by": "pmcp", "pmcp-server": "calc"}
    assert body["ingress"] == "INGRESS_TRAFFIC_ALL"


def test_names():
    assert SERVICE_NAME.match("calc-server")
    assert not SERVICE_NAME.match("Calc") and not SERVICE_NAME.match("calc_server")
    assert not SERVICE_NAME.match("a" * 50) and not SERVICE_NAME.match("calc-")
    assert revision_name("calc", DIGEST_B, "Run 42") == "calc-bbbbbbb-run42"


def test_unchanged_after_a_round_trip_and_each_change_named():
    fake = FakeCloudRun()
    api = run_api_over(fake)
    api.wait(api.create_service("calc", desired_body(_settings())), "create")
    current = api.get_service("calc")
    assert current is not None
    assert changes(current, _settings()) == []
    found = changes(current, _settings(DIGEST_B, memory="1Gi", max_instances=3))
    assert [c.split()[0] for c in found] == ["image", "memory", "max"]
    moved = ServiceSettings(server_name="calc", image=f"{REPO}@{DIGEST_A}")
    assert changes(current, moved) == ["environment (RUST_LOG)"]


def test_stage_verify_promote_and_rollback_with_the_fake():
    fake = FakeCloudRun()
    api = run_api_over(fake)
    first = api.wait(api.create_service("calc", desired_body(_settings())), "create")
    previous = serving_revision(first)
    assert previous == "calc-00001-x"
    candidate = revision_name("calc", DIGEST_B, "1")
    staged = api.wait(
        api.update_service(
            "calc",
            desired_body(
                _settings(DIGEST_B),
                current=first,
                revision=candidate,
                traffic=staged_traffic(first, candidate),
            ),
        ),
        "stage",
    )
    assert serving_revision(staged) == previous  # the previous revision still serves
    assert tagged_uri(staged).startswith("https://candidate---calc-")
    promoted = api.wait(
        api.update_service(
            "calc",
            desired_body(
                _settings(DIGEST_B), current=staged, revision=candidate, traffic=all_to(candidate)
            ),
        ),
        "promote",
    )
    assert serving_revision(promoted) == candidate
    assert changes(promoted, _settings(DIGEST_B)) == []
    rolled = api.wait(
        api.update_service(
            "calc",
            desired_body(
                _settings(DIGEST_B), current=promoted, revision=candidate, traffic=all_to(previous)
            ),
        ),
        "rollback",
    )
    assert serving_revision(rolled) == previous
    assert len(next(iter(fake.services.values())).revisions) == 2


def test_previous_without_a_record_is_the_newest_ready_revision_older_than_the_serving():
    service = {"trafficStatuses": [{"revision": "s-2", "percent": 100}]}
    ready = {"conditions": [{"type": "Ready", "state": "CONDITION_SUCCEEDED"}]}
    revisions = [{"name": f"x/revisions/s-{n}", **ready} for n in (3, 2, 1)]
    assert previous_revision(service, revisions) == "s-1"  # s-3 is newer than what serves
    recorded = {**service, "annotations": {PREVIOUS_ANNOTATION: "s-3"}}
    assert previous_revision(recorded, revisions) == "s-3"  # a rollback from s-3 recorded it
    assert previous_revision(service, revisions[:2]) == ""


def test_a_secret_is_an_env_entry_pinned_to_its_version_and_each_change_named():
    fake = FakeCloudRun()
    api = run_api_over(fake)
    refs = {"API_KEY": SecretRef("calc-API_KEY", "3")}
    settings = ServiceSettings(
        server_name="calc",
        image=f"{REPO}@{DIGEST_A}",
        environment=MappingProxyType({"RUST_LOG": "info", "API_KEY": "plain, never sent"}),
        secrets=MappingProxyType(refs),
    )
    body = desired_body(settings)
    assert body["template"]["containers"][0]["env"] == [
        {"name": "API_KEY", "valueSource": {"secretKeyRef": {"secret": "calc-API_KEY",
                                                             "version": "3"}}},
        {"name": "RUST_LOG", "value": "info"},
    ]  # fmt: skip
    # Stored as sent (the fake refuses a revision without access: read what was written).
    api.create_service("calc", body)
    current = next(iter(fake.services.values())).to_api()
    assert secret_refs(current) == refs and runtime_service_account(current) == ""
    assert changes(current, settings) == []
    newer = ServiceSettings(
        server_name="calc",
        image=f"{REPO}@{DIGEST_A}",
        environment=MappingProxyType({"RUST_LOG": "info"}),
        secrets=MappingProxyType({**refs, "DB_URL": SecretRef("calc-DB_URL", "1")}),
    )
    assert changes(current, newer) == ["secrets (DB_URL)"]
    bumped = ServiceSettings(
        server_name="calc",
        image=f"{REPO}@{DIGEST_A}",
        environment=MappingProxyType({"RUST_LOG": "info"}),
        secrets=MappingProxyType({"API_KEY": SecretRef("calc-API_KEY", "4")}),
    )
    assert changes(current, bumped) == ["secrets (API_KEY)"]
    assert changes(current, _settings()) == ["secrets (API_KEY)"]
