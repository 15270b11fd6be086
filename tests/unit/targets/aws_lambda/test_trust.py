"""trust and check against moto: the provider, the role and its least-privilege policy made
by ``trust --apply`` (once: a second run changes nothing), a deploy through the bundled OIDC
issuer with that role, and ``check`` passing with it and naming what a thinner role lacks."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from pathlib import Path

import httpx
import pytest

from pmcp_action.__main__ import main
from pmcp_action.access import AccessMissing
from pmcp_action.errors import CredentialExchangeError
from pmcp_action.previews.identity import Preview
from pmcp_action.targets.aws_lambda.trust import GRANTS, deploy_statements
from tests.fakes.aws_lambda.iam_rules import evaluate
from tests.fakes.oidc_issuer import DEFAULT_REQUEST_TOKEN
from tests.fakes.server import serve
from tests.support.aws import ACCOUNT, REGION, elf_bootstrap

from .helpers import AwsFactory, Harness

ROLE = "pmcp-deploy-demo"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
_WRITES = (
    "CreateOpenIDConnectProvider",
    "CreateRole",
    "PutRolePolicy",
    "AddClientIDToOpenIDConnectProvider",
)


def _trust(
    harness: Harness, *args: str, environ: Mapping[str, str] | None = None
) -> tuple[int, str]:
    """``pmcp-action trust`` at a terminal signed in to moto (a profile of its own)."""
    project = harness.tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "Cargo.toml").write_text('[package]\nname = "demo"\nversion = "0.1.0"\n')
    credentials = harness.tmp_path / "aws-credentials"
    credentials.write_text(
        "[terminal]\naws_access_key_id = AKIATERMINAL00000000\n"
        "aws_secret_access_key = terminal-secret-key-value\n"
    )
    env = {
        "AWS_ENDPOINT_URL": harness.proxy.url,
        "AWS_PROFILE": "terminal",
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_CONFIG_FILE": str(harness.tmp_path / "no-config"),
        "AWS_EC2_METADATA_DISABLED": "true",
        **(environ or {}),
    }
    env = {name: value for name, value in env.items() if value}
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        code = main(
            ["trust", "--target", "aws-lambda", "--region", REGION, *args],
            environ=env,
            stdout=out,
            stderr=err,
        )
    text = out.getvalue() + err.getvalue()
    assert "terminal-secret-key-value" not in text
    return code, text


_APPLY = ("--repository", "octo-org/octo-repo", "--ref", "main", "--apply")


def test_trust_prints_the_provider_role_and_policy_without_touching_aws(harness: Harness) -> None:
    code, text = _trust(harness, "--repository", "octo-org/octo-repo", "--ci-environment", "prod")

    assert code == 0, text
    assert (
        '"token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:environment:prod"'
        in text
    )
    assert '"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"' in text
    assert (
        "aws iam create-open-id-connect-provider --url https://token.actions.githubusercontent.com"
        in text
    )
    assert "aws iam create-role --role-name pmcp-deploy-demo" in text
    assert "lambda:UpdateFunctionCode" in text
    assert harness.proxy.operations() == []


def test_gitlab_subjects_name_the_project_path(harness: Harness) -> None:
    code, text = _trust(
        harness, "--ci", "gitlab", "--repository", "group/sub/app", "--ref", "refs/tags/v1"
    )

    assert code == 0, text
    assert '"gitlab.com:sub": "project_path:group/sub/app:ref_type:tag:ref:v1"' in text


def test_a_repository_that_is_no_path_is_refused_before_any_call(harness: Harness) -> None:
    code, text = _trust(harness, "--repository", "not a repo", "--apply")

    assert code == 1
    assert "repository" in text and "OWNER/REPO" in text
    assert harness.proxy.operations() == []


def test_apply_creates_provider_role_and_policy_once(harness: Harness, aws: AwsFactory) -> None:
    code, text = _trust(harness, *_APPLY)

    assert code == 0, text
    assert text.count("created: ") == 3
    iam = aws("iam")
    [provider] = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert provider["Arn"].endswith(":oidc-provider/token.actions.githubusercontent.com")
    described = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider["Arn"])
    assert described["ClientIDList"] == ["sts.amazonaws.com"]
    trust = iam.get_role(RoleName=ROLE)["Role"]["AssumeRolePolicyDocument"]
    [statement] = trust["Statement"]
    assert statement["Condition"]["StringEquals"] == {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:ref:refs/heads/main",
    }
    policy = iam.get_role_policy(RoleName=ROLE, PolicyName="pmcp-deploy")["PolicyDocument"]
    assert any("lambda:UpdateFunctionCode" in s["Action"] for s in policy["Statement"])

    before = len(harness.proxy.requests)
    code, text = _trust(harness, *_APPLY)

    assert code == 0, text
    assert text.count("unchanged: ") == 3 and "created: " not in text
    second = [harness.proxy.operation(r) for r in harness.proxy.requests[before:]]
    assert not set(second) & set(_WRITES), second


def test_apply_reports_a_role_that_differs_and_leaves_it(harness: Harness, aws: AwsFactory) -> None:
    assert _trust(harness, *_APPLY)[0] == 0
    before = len(harness.proxy.requests)

    code, text = _trust(
        harness, "--repository", "octo-org/octo-repo", "--ref", "release", "--apply"
    )

    assert code == 1
    assert "differs: the role pmcp-deploy-demo and its trust policy" in text
    assert "Trust differs" in text
    second = [harness.proxy.operation(r) for r in harness.proxy.requests[before:]]
    assert not set(second) & set(_WRITES), second
    trust = aws("iam").get_role(RoleName=ROLE)["Role"]["AssumeRolePolicyDocument"]
    assert "refs/heads/main" in json.dumps(trust)


def test_apply_without_terminal_credentials_says_how_to_sign_in(harness: Harness) -> None:
    code, text = _trust(
        harness,
        *_APPLY,
        environ={"AWS_PROFILE": "", "AWS_SHARED_CREDENTIALS_FILE": str(harness.tmp_path / "none")},
    )

    assert code == 1, text
    assert "own AWS credentials" in text, text
    assert CredentialExchangeError.title in text


def test_a_deploy_with_the_trusted_role_passes_the_trust_and_check_passes(
    harness: Harness, aws: AwsFactory
) -> None:
    assert _trust(harness, *_APPLY)[0] == 0
    harness.proxy.enforce_trust = True

    result = harness.target(role_to_assume=ROLE_ARN).deploy()

    assert result.identity.startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/")
    assert aws("lambda").get_alias(FunctionName="demo", Name="live")["FunctionVersion"] == "1"
    checked = harness.target(role_to_assume=ROLE_ARN).check_access()
    assert checked.identity == ROLE_ARN


def test_the_trust_refuses_a_token_of_another_branch(harness: Harness) -> None:
    assert _trust(harness, *_APPLY)[0] == 0
    harness.proxy.enforce_trust = True
    harness.issuer.ref = "refs/heads/feature"

    with pytest.raises(CredentialExchangeError) as refused:
        harness.target(role_to_assume=ROLE_ARN).deploy()

    assert "repo:octo-org/octo-repo:ref:refs/heads/feature" in refused.value.diagnostics()
    assert "CreateFunction" not in harness.proxy.operations()


def test_check_names_the_permission_a_thinner_role_lacks(harness: Harness, aws: AwsFactory) -> None:
    assert _trust(harness, *_APPLY)[0] == 0
    iam = aws("iam")
    policy = iam.get_role_policy(RoleName=ROLE, PolicyName="pmcp-deploy")["PolicyDocument"]
    for statement in policy["Statement"]:
        actions = statement["Action"]
        if "lambda:UpdateFunctionCode" in actions:
            actions.remove("lambda:UpdateFunctionCode")
    iam.put_role_policy(RoleName=ROLE, PolicyName="pmcp-deploy", PolicyDocument=json.dumps(policy))
    harness.proxy.enforce_trust = True

    with pytest.raises(AccessMissing) as missing:
        harness.target(role_to_assume=ROLE_ARN).check_access()

    text = missing.value.diagnostics()
    assert f"lambda:UpdateFunctionCode on arn:aws:lambda:{REGION}:{ACCOUNT}:function:demo" in text
    assert "lambda:CreateFunction" not in text.split("Add to a policy")[0]
    assert f"put-role-policy --role-name {ROLE}" in text
    assert [
        op for op in harness.proxy.operations() if op in ("CreateFunction", "UpdateFunctionCode")
    ] == []


def test_check_without_simulation_rights_names_that_permission(
    harness: Harness, aws: AwsFactory
) -> None:
    assert _trust(harness, *_APPLY)[0] == 0
    iam = aws("iam")
    policy = iam.get_role_policy(RoleName=ROLE, PolicyName="pmcp-deploy")["PolicyDocument"]
    policy["Statement"] = [
        s for s in policy["Statement"] if "iam:SimulatePrincipalPolicy" not in s["Action"]
    ]
    iam.put_role_policy(RoleName=ROLE, PolicyName="pmcp-deploy", PolicyDocument=json.dumps(policy))
    harness.proxy.inject(
        "SimulatePrincipalPolicy",
        lambda: _access_denied("iam:SimulatePrincipalPolicy"),
    )

    with pytest.raises(AccessMissing) as missing:
        harness.target(role_to_assume=ROLE_ARN).check_access()

    assert f"iam:SimulatePrincipalPolicy on {ROLE_ARN}" in missing.value.diagnostics()


def _access_denied(action: str) -> httpx.Response:
    body = (
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender'
        f"</Type><Code>AccessDenied</Code><Message>not authorized to perform: {action}</Message>"
        "</Error><RequestId>1</RequestId></ErrorResponse>"
    )
    return httpx.Response(403, headers={"Content-Type": "text/xml"}, content=body.encode())


# --- the policy keeps up with the code ------------------------------------------------------------
def _iam_action(proxy_operation: str, request: object) -> str | None:
    """The IAM action a recorded request needs, or None for one that needs none."""
    operation = proxy_operation
    authorization = str(getattr(request, "headers").get("authorization", ""))  # noqa: B009
    if operation in ("AssumeRoleWithWebIdentity", "GetCallerIdentity", "AssumeRole"):
        return None
    if operation.startswith("S3 "):
        method, _, path = operation[3:].partition(" ")
        query = str(getattr(request, "query"))  # noqa: B009
        in_bucket = path.strip("/").count("/") >= 1
        if "tagging" in query:
            return "s3:PutBucketTagging"
        if "publicAccessBlock" in query:
            return "s3:PutBucketPublicAccessBlock"
        if "delete" in query:
            return "s3:DeleteObject"
        return {
            ("HEAD", False): "s3:ListBucket",
            ("GET", False): "s3:ListBucket",
            ("PUT", False): "s3:CreateBucket",
            ("HEAD", True): "s3:GetObject",
            ("GET", True): "s3:GetObject",
            ("PUT", True): "s3:PutObject",
            ("DELETE", True): "s3:DeleteObject",
        }[(method, in_bucket)]
    service = authorization.split("Credential=", 1)[1].split("/")[3]
    return f"{service}:{operation}"


def _granted(action: str, statements: list[dict[str, object]]) -> bool:
    """Whether the policy allows ``action`` on one of the resources it names."""
    return any(
        evaluate(statements, action, str(resource), {"iam:PassedToService": "lambda.amazonaws.com"})
        == "allowed"
        for statement in statements
        for resource in statement["Resource"]  # type: ignore[attr-defined]
    )


def test_every_call_of_a_deploy_is_in_the_policy(harness: Harness, aws: AwsFactory) -> None:
    """Deploy, redeploy with secrets and a big package, roll back, read logs, deploy and
    destroy a preview, destroy with a preview: each AWS action those calls need is granted
    by the policy trust writes."""
    harness.secrets = {"API_TOKEN": "s3cr3t-token-value"}
    harness.target().deploy()
    harness.write_bootstrap(b"v2")
    harness.target(direct_upload_limit=1).deploy()
    harness.target().rollback("")
    harness.target().logs(version="", since=None, limit=10)
    harness.write_bootstrap(b"v3")
    harness.target().preview(Preview("pr-1", "input 'preview-id'"))
    harness.target().destroy_preview("pr-1")
    harness.target().preview(Preview("pr-2", "input 'preview-id'"))
    harness.target(confirm_destroy="true").destroy()

    target = harness.target()
    statements = deploy_statements(target.config, ACCOUNT)
    needed = {
        action
        for request in harness.proxy.requests
        if (action := _iam_action(harness.proxy.operation(request), request)) is not None
    }
    assert {"lambda:UpdateFunctionCode", "s3:PutObject", "kms:CreateGrant"} <= needed
    assert {"lambda:ListAliases", "lambda:CreateFunctionUrlConfig"} <= needed
    ungranted = sorted(action for action in needed if not _granted(action, statements))
    assert ungranted == []


def test_every_grant_names_actions_of_the_services_the_target_calls() -> None:
    services = {action.split(":")[0] for grant in GRANTS for action in grant.actions}
    assert services == {"lambda", "iam", "logs", "s3", "kms"}


def _thin_the_role(aws: AwsFactory, action: str) -> None:
    iam = aws("iam")
    policy = iam.get_role_policy(RoleName=ROLE, PolicyName="pmcp-deploy")["PolicyDocument"]
    for statement in policy["Statement"]:
        if action in statement["Action"]:
            statement["Action"].remove(action)
    iam.put_role_policy(RoleName=ROLE, PolicyName="pmcp-deploy", PolicyDocument=json.dumps(policy))


@pytest.mark.parametrize("thin", [False, True], ids=["trusted-role", "role-without-update-code"])
def test_check_as_an_action_step_signs_in_through_the_issuer_and_probes(
    harness: Harness,
    aws: AwsFactory,
    gha_files: dict[str, Path],
    thin: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _trust(harness, *_APPLY)[0] == 0
    if thin:
        _thin_the_role(aws, "lambda:UpdateFunctionCode")
    harness.proxy.enforce_trust = True
    before = len(harness.proxy.requests)
    workspace = harness.tmp_path / "ws"
    workspace.mkdir()
    (workspace / "bootstrap").write_bytes(elf_bootstrap(b"v1"))
    (workspace / "bootstrap").chmod(0o755)
    out = io.StringIO()
    with serve(harness.issuer) as issuer_url:
        env = {k: str(v) for k, v in gha_files.items()} | {
            "GITHUB_ACTIONS": "true",
            "ACTIONS_ID_TOKEN_REQUEST_URL": f"{issuer_url}/token?api-version=2.0",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": DEFAULT_REQUEST_TOKEN,
            "AWS_ENDPOINT_URL": harness.proxy.url,
            "INPUT_COMMAND": "check",
            "INPUT_TARGET": "aws-lambda",
            "INPUT_SERVER-NAME": "demo",
            "INPUT_REGION": REGION,
            "INPUT_ROLE-TO-ASSUME": ROLE_ARN,
            "INPUT_ARTIFACT": "bootstrap",
            "INPUT_WORKING-DIRECTORY": str(workspace),
        }
        for name in (
            "GITHUB_ACTIONS",
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        ):
            monkeypatch.setenv(name, env[name])  # the `id` library reads the process's
        code = main([], environ=env, stdout=out, stderr=io.StringIO())

    text = out.getvalue()
    assert re.search(r"\n  sub +repo:octo-org/octo-repo:ref:refs/heads/main\n", text)
    assert '"token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:ref:' in text
    writes = {"CreateFunction", "UpdateFunctionCode", "CreateRole", "CreateLogGroup", "CreateKey"}
    called = {harness.proxy.operation(r) for r in harness.proxy.requests[before:]}
    assert "SimulatePrincipalPolicy" in called and not writes & called
    if thin:
        assert code == 1, text
        assert "Permission missing" in text
        assert (
            f"lambda:UpdateFunctionCode on arn:aws:lambda:{REGION}:{ACCOUNT}:function:demo" in text
        )
    else:
        assert code == 0, text
        assert "Simulated" in text
