"""The Cloud Run fake in step with Google's v2 protos (fields, enums, answers that parse
strictly) and still refusing what the real API refuses."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from google.cloud import run_v2
from google.iam.v1 import policy_pb2
from google.longrunning import operations_pb2
from google.protobuf import json_format

from pmcp_action.targets.google_cloud_run import service as desired

from .helpers import PARENT, run_api_at, settings_of

IMAGE = "us-central1-docker.pkg.dev/demo/pmcp/calc@sha256:" + "a" * 64


def _json_names(message: Any) -> set[str]:
    return {f.json_name for f in message.pb().DESCRIPTOR.fields}


def test_the_fakes_field_lists_are_the_v2_protos():
    from tests.fakes.google_cloud_run import run_schema as fake_module

    assert fake_module.SERVICE_FIELDS == _json_names(run_v2.Service)
    assert fake_module.TEMPLATE_FIELDS == _json_names(run_v2.RevisionTemplate)
    assert fake_module.CONTAINER_FIELDS == _json_names(run_v2.Container)
    assert fake_module.TRAFFIC_FIELDS == _json_names(run_v2.TrafficTarget)
    assert fake_module.OUTPUT_ONLY < fake_module.SERVICE_FIELDS


def test_the_fakes_enum_numbers_are_the_v2_protos():
    from google.api import launch_stage_pb2

    from tests.fakes.google_cloud_run import run_schema as fake_module

    def numbers(enum: Any) -> dict[str, int]:
        return {member.name: member.value for member in enum}

    enums = fake_module.ENUMS
    assert enums["ingress"] == numbers(run_v2.IngressTraffic)
    assert enums["type"] == numbers(run_v2.TrafficTargetAllocationType)
    assert enums["state"] == numbers(run_v2.Condition.State)
    assert enums["executionEnvironment"] == numbers(run_v2.ExecutionEnvironment)
    assert enums["scalingMode"] == numbers(run_v2.ServiceScaling.ScalingMode)
    assert enums["launchStage"] == dict(launch_stage_pb2.LaunchStage.items())


def test_the_fakes_answers_parse_strictly_as_v2_messages(fake, url, closing):
    """Every field the fake answers with exists in Google's protos (no ignore_unknown_fields)."""
    api = run_api_at(url, closing)
    operation = api.create_service("calc", desired.desired_body(settings_of(IMAGE)))
    service = api.wait(operation, "create")
    name = api.service_name("calc")
    plain = closing.enter_context(httpx.Client(base_url=url))

    assert service == api.get_service("calc")  # the operation's Any, unpacked (no "@type")
    json_format.ParseDict(service, run_v2.Service.pb(run_v2.Service()))
    for revision in api.list_revisions("calc"):
        json_format.ParseDict(revision, run_v2.Revision.pb(run_v2.Revision()))
    done = plain.get(f"/v2/{operation['name']}").json()
    parsed = json_format.ParseDict(done, operations_pb2.Operation())
    unpacked = run_v2.Service.pb(run_v2.Service())
    assert parsed.response.Unpack(unpacked) and unpacked.name == name
    policy = plain.get(f"/v2/{name}:getIamPolicy").json()
    json_format.ParseDict(policy, policy_pb2.Policy())


def test_enums_are_answered_as_numbers_only_when_asked(fake, url, closing):
    api = run_api_at(url, closing)
    api.wait(api.create_service("calc", desired.desired_body(settings_of(IMAGE))), "create")
    plain = closing.enter_context(httpx.Client(base_url=url))
    path = f"/v2/{api.service_name('calc')}"

    named = plain.get(path).json()
    numbered = plain.get(path, params={"$alt": "json;enum-encoding=int"}).json()
    assert named["ingress"] == "INGRESS_TRAFFIC_ALL" and numbered["ingress"] == 1
    assert (
        named["traffic"][0]["type"] == desired.LATEST_TYPE and numbered["traffic"][0]["type"] == 1
    )
    assert numbered["terminalCondition"] == {"type": "Ready", "state": 4}
    assert numbered["labels"] == named["labels"]  # map entries are data, never renumbered


@pytest.mark.parametrize(
    ("query", "body_change", "message"),
    [
        ({"serviceId": "calc", "dryRun": "true"}, {}, 'Unknown name "dryRun"'),
        ({"serviceId": "calc", "validateOnly": "yes"}, {}, "Invalid value at 'validateOnly'"),
        ({"serviceId": "calc"}, {"ingres": "INGRESS_TRAFFIC_ALL"}, 'Unknown name "ingres"'),
        ({"serviceId": "calc"}, {"ingress": 9}, "Invalid value at 'service.ingress'"),
        ({"serviceId": "calc"}, {"ingress": "ALL"}, "Invalid value at 'service.ingress'"),
        ({"serviceId": "calc"}, {"template": {"containers": []}}, "at least one container"),
    ],
)
def test_what_the_real_api_refuses_is_still_refused(
    fake, url, closing, query, body_change, message
):
    plain = closing.enter_context(httpx.Client(base_url=url))
    body = desired.desired_body(settings_of(IMAGE)) | body_change
    answer = plain.post(f"/v2/{PARENT}/services", params=query, json=body)
    assert answer.status_code == 400
    assert answer.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert message in answer.json()["error"]["message"]
    assert fake.services == {}
