"""The fake keeps a function URL and a resource policy per alias, as Lambda does (moto keeps
one per function and ignores Qualifier), and invoking each URL reaches its alias's version,
each version its share of a weighted alias; UpdateAlias checks and renews the RevisionId and
refuses a routing configuration Lambda refuses. Checked with boto3 (the vendor's own
client), straight to moto and through the proxy."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError

from tests.fakes.aws_lambda import MotoProxy
from tests.fakes.aws_lambda.url_hosts import FunctionUrlHosts, FunctionUrlTransport
from tests.fakes.mcp_servers import serve_handler
from tests.support.aws import ACCOUNT, REGION

from .helpers import AwsFactory

PUBLIC: dict[str, dict[str, Any]] = {
    "pmcp-function-url-public": {
        "Action": "lambda:InvokeFunctionUrl",
        "Principal": "*",
        "FunctionUrlAuthType": "NONE",
    },
    "pmcp-function-url-invoke": {
        "Action": "lambda:InvokeFunction",
        "Principal": "*",
        "InvokedViaFunctionUrl": True,
    },
}


def _code(marker: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bootstrap", f"#!/bin/sh\n# {marker}\n")
    return buffer.getvalue()


@pytest.fixture
def lam(aws: AwsFactory) -> Any:
    """Function f with versions 1 and 2, alias live -> 1 and candidate -> 2."""
    aws("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")
    client = aws("lambda")
    client.create_function(
        FunctionName="f",
        Runtime="provided.al2023",
        Role=f"arn:aws:iam::{ACCOUNT}:role/r",
        Handler="bootstrap",
        Code={"ZipFile": _code("v1")},
    )
    client.publish_version(FunctionName="f")
    client.update_function_code(FunctionName="f", ZipFile=_code("v2"))
    client.publish_version(FunctionName="f")
    client.create_alias(FunctionName="f", Name="live", FunctionVersion="1")
    client.create_alias(FunctionName="f", Name="candidate", FunctionVersion="2")
    return client


def _code_of(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_each_alias_has_its_own_url(lam: Any) -> None:
    live = lam.create_function_url_config(FunctionName="f", Qualifier="live", AuthType="NONE")
    candidate = lam.create_function_url_config(
        FunctionName="f", Qualifier="candidate", AuthType="AWS_IAM", InvokeMode="BUFFERED"
    )

    assert live["FunctionUrl"] != candidate["FunctionUrl"]
    assert candidate["FunctionUrl"].endswith(f".lambda-url.{REGION}.on.aws/")
    assert live["FunctionArn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f:live"
    assert candidate["FunctionArn"].endswith(":function:f:candidate")
    read = lam.get_function_url_config(FunctionName="f", Qualifier="live")
    assert (read["FunctionUrl"], read["AuthType"]) == (live["FunctionUrl"], "NONE")
    assert lam.get_function_url_config(FunctionName="f", Qualifier="candidate")["AuthType"] == (
        "AWS_IAM"
    )
    with pytest.raises(ClientError) as unqualified:
        lam.get_function_url_config(FunctionName="f")
    assert _code_of(unqualified) == "ResourceNotFoundException"


def test_create_twice_a_version_or_an_unknown_alias_is_refused(lam: Any) -> None:
    lam.create_function_url_config(FunctionName="f", Qualifier="live", AuthType="NONE")

    with pytest.raises(ClientError) as twice:
        lam.create_function_url_config(FunctionName="f", Qualifier="live", AuthType="NONE")
    with pytest.raises(ClientError) as version:
        lam.create_function_url_config(FunctionName="f", Qualifier="1", AuthType="NONE")
    with pytest.raises(ClientError) as unknown:
        lam.create_function_url_config(FunctionName="f", Qualifier="nope", AuthType="NONE")

    assert _code_of(twice) == "ResourceConflictException"
    assert twice.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert _code_of(version) == "ValidationException"
    assert _code_of(unknown) == "ResourceNotFoundException"


def test_update_keeps_the_url_and_delete_leaves_the_other_alias_alone(lam: Any) -> None:
    live = lam.create_function_url_config(FunctionName="f", Qualifier="live", AuthType="NONE")
    lam.create_function_url_config(FunctionName="f", Qualifier="candidate", AuthType="NONE")

    updated = lam.update_function_url_config(
        FunctionName="f",
        Qualifier="live",
        AuthType="AWS_IAM",
        Cors={"AllowOrigins": ["*"]},
        InvokeMode="RESPONSE_STREAM",
    )
    lam.delete_function_url_config(FunctionName="f", Qualifier="candidate")

    assert updated["FunctionUrl"] == live["FunctionUrl"]
    assert (updated["AuthType"], updated["InvokeMode"]) == ("AWS_IAM", "RESPONSE_STREAM")
    assert updated["Cors"]["AllowOrigins"] == ["*"]
    assert lam.get_function_url_config(FunctionName="f", Qualifier="live")["AuthType"] == "AWS_IAM"
    for call in (lam.get_function_url_config, lam.delete_function_url_config):
        with pytest.raises(ClientError) as gone:
            call(FunctionName="f", Qualifier="candidate")
        assert _code_of(gone) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as update_gone:
        lam.update_function_url_config(FunctionName="f", Qualifier="candidate", AuthType="NONE")
    assert _code_of(update_gone) == "ResourceNotFoundException"


def test_each_alias_has_its_own_resource_policy(lam: Any) -> None:
    for sid, statement in PUBLIC.items():
        lam.add_permission(FunctionName="f", Qualifier="live", StatementId=sid, **statement)

    with pytest.raises(ClientError) as none_yet:
        lam.get_policy(FunctionName="f", Qualifier="candidate")
    with pytest.raises(ClientError) as twice:
        lam.add_permission(
            FunctionName="f",
            Qualifier="live",
            StatementId="pmcp-function-url-public",
            **PUBLIC["pmcp-function-url-public"],
        )
    lam.add_permission(
        FunctionName="f",
        Qualifier="candidate",
        StatementId="pmcp-function-url-public",
        **PUBLIC["pmcp-function-url-public"],
    )
    lam.remove_permission(
        FunctionName="f", Qualifier="live", StatementId="pmcp-function-url-invoke"
    )
    with pytest.raises(ClientError) as removed_twice:
        lam.remove_permission(
            FunctionName="f", Qualifier="live", StatementId="pmcp-function-url-invoke"
        )

    assert _code_of(none_yet) == "ResourceNotFoundException"
    assert _code_of(twice) == "ResourceConflictException"
    assert _code_of(removed_twice) == "ResourceNotFoundException"
    live = json.loads(lam.get_policy(FunctionName="f", Qualifier="live")["Policy"])["Statement"]
    candidate = json.loads(lam.get_policy(FunctionName="f", Qualifier="candidate")["Policy"])
    assert [(s["Sid"], s["Resource"].rsplit(":", 1)[-1]) for s in live] == [
        ("pmcp-function-url-public", "live")
    ]
    assert [s["Sid"] for s in candidate["Statement"]] == ["pmcp-function-url-public"]


def test_the_proxy_passes_the_qualifier_through(lam: Any, proxy: MotoProxy) -> None:
    through = boto3.client(
        "lambda",
        region_name=REGION,
        endpoint_url=proxy.url,
        aws_access_key_id="AKIAFAKECHECK0000000",
        aws_secret_access_key="fake-check-secret",
    )
    made = through.create_function_url_config(
        FunctionName="f", Qualifier="candidate", AuthType="NONE"
    )

    read = lam.get_function_url_config(FunctionName="f", Qualifier="candidate")
    assert (read["FunctionUrl"], read["FunctionArn"]) == (made["FunctionUrl"], made["FunctionArn"])
    assert proxy.operations() == ["CreateFunctionUrlConfig"]
    assert proxy.requests_for("CreateFunctionUrlConfig")[0].query == "Qualifier=candidate"


def test_deleting_the_function_forgets_its_urls_and_policies(lam: Any) -> None:
    lam.create_function_url_config(FunctionName="f", Qualifier="live", AuthType="NONE")
    lam.delete_function(FunctionName="f")
    lam.create_function(
        FunctionName="f",
        Runtime="provided.al2023",
        Role=f"arn:aws:iam::{ACCOUNT}:role/r",
        Handler="bootstrap",
        Code={"ZipFile": _code("v3")},
    )
    lam.publish_version(FunctionName="f")
    lam.create_alias(FunctionName="f", Name="live", FunctionVersion="1")

    with pytest.raises(ClientError) as gone:
        lam.get_function_url_config(FunctionName="f", Qualifier="live")
    assert _code_of(gone) == "ResourceNotFoundException"


# --- invoking the URLs ------------------------------------------------------------------------


@pytest.fixture
def hosts() -> Iterator[FunctionUrlHosts]:
    def answer(name: str) -> Any:
        return serve_handler(lambda _r: (200, {"Content-Type": "text/plain"}, name))

    with answer("one") as one, answer("two") as two:
        fake = FunctionUrlHosts()
        fake.serves = {"1": one.url, "2": two.url}
        yield fake


def _public_url(lam: Any, alias: str) -> str:
    for sid, statement in PUBLIC.items():
        lam.add_permission(FunctionName="f", Qualifier=alias, StatementId=sid, **statement)
    url = lam.create_function_url_config(FunctionName="f", Qualifier=alias, AuthType="NONE")
    return str(url["FunctionUrl"])


def test_each_url_reaches_the_version_its_alias_points_to(
    lam: Any, hosts: FunctionUrlHosts
) -> None:
    live, candidate = _public_url(lam, "live"), _public_url(lam, "candidate")

    with httpx.Client(transport=FunctionUrlTransport(hosts)) as http:
        before = (http.post(live + "mcp").text, http.post(candidate + "mcp").text)
        lam.update_alias(FunctionName="f", Name="live", FunctionVersion="2")
        after = http.get(live).text

    assert before == ("one", "two") and after == "two"
    assert hosts.invoked_versions("live") == ["1", "2"]
    assert hosts.invoked_versions("candidate") == ["2"]
    assert hosts.invocations[0].path == "/mcp" and hosts.invocations[0].function == "f"


def test_a_url_without_its_public_permissions_or_unsigned_on_aws_iam_is_forbidden(
    lam: Any, hosts: FunctionUrlHosts
) -> None:
    bare = lam.create_function_url_config(FunctionName="f", Qualifier="live", AuthType="NONE")
    # Only live's policy allows it: the candidate's URL stays closed.
    for sid, statement in PUBLIC.items():
        lam.add_permission(FunctionName="f", Qualifier="candidate", StatementId=sid, **statement)
    iam = lam.create_function_url_config(
        FunctionName="f", Qualifier="candidate", AuthType="AWS_IAM"
    )

    with httpx.Client(transport=FunctionUrlTransport(hosts)) as http:
        answers = [http.post(bare["FunctionUrl"]), http.post(iam["FunctionUrl"])]
        signed = http.post(
            iam["FunctionUrl"], headers={"Authorization": "AWS4-HMAC-SHA256 Credential=x"}
        )
        unknown = http.get(f"https://{'0' * 32}.lambda-url.{REGION}.on.aws/")

    assert [(a.status_code, a.json()) for a in answers] == [(403, {"Message": "Forbidden"})] * 2
    assert signed.status_code == 200 and signed.text == "two"
    assert unknown.status_code == 404
    assert hosts.invoked_versions("live") == []


# --- an alias's revision and routing configuration (tests/fakes/aws_lambda/aliases.py) ----------


def test_update_alias_checks_and_renews_the_revision(lam: Any) -> None:
    read = lam.get_alias(FunctionName="f", Name="live")["RevisionId"]
    moved = lam.update_alias(FunctionName="f", Name="live", FunctionVersion="2", RevisionId=read)
    assert moved["RevisionId"] != read
    assert lam.get_alias(FunctionName="f", Name="live")["RevisionId"] == moved["RevisionId"]

    with pytest.raises(ClientError) as stale:
        lam.update_alias(FunctionName="f", Name="live", FunctionVersion="1", RevisionId=read)
    assert _code_of(stale) == "PreconditionFailedException"
    assert stale.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    assert lam.get_alias(FunctionName="f", Name="live")["FunctionVersion"] == "2"
    # Without a RevisionId the write is unconditional, and renews it too.
    again = lam.update_alias(FunctionName="f", Name="live", FunctionVersion="1")
    assert again["RevisionId"] not in (read, moved["RevisionId"])


@pytest.mark.parametrize(
    "weights",
    [
        {"2": 1.5},  # not a weight
        {"1": 0.5},  # the alias's own version
        {"$LATEST": 0.5},  # not a published version
        {"9": 0.5},  # no such version
    ],
)
def test_a_routing_configuration_lambda_refuses_is_refused(lam: Any, weights: Any) -> None:
    with pytest.raises(ClientError) as refused:
        lam.update_alias(
            FunctionName="f",
            Name="live",
            FunctionVersion="1",
            RoutingConfig={"AdditionalVersionWeights": weights},
        )
    assert _code_of(refused) in ("InvalidParameterValueException", "ResourceNotFoundException")
    assert not lam.get_alias(FunctionName="f", Name="live").get("RoutingConfig")


def test_a_weighted_alias_sends_each_version_its_share(lam: Any, hosts: FunctionUrlHosts) -> None:
    live = _public_url(lam, "live")
    lam.update_alias(
        FunctionName="f",
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.25}},
    )
    with httpx.Client(transport=FunctionUrlTransport(hosts)) as http:
        answers = [http.post(live).text for _ in range(8)]
        lam.update_alias(
            FunctionName="f",
            Name="live",
            FunctionVersion="1",
            RoutingConfig={"AdditionalVersionWeights": {}},
        )
        cleared = [http.post(live).text for _ in range(4)]

    assert answers.count("two") == 2 and answers.count("one") == 6
    assert hosts.invoked_versions("live")[:8] == ["1", "1", "1", "2"] * 2
    assert cleared == ["one"] * 4
