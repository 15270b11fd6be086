"""The aws-lambda target through the action image, as a GitHub Docker step would run it.

moto runs in this process on 127.0.0.1 behind the recording proxy, the fake OIDC issuer
serves the runner's token endpoint, and the container (``--network host``) reaches both
through ``AWS_ENDPOINT_URL`` and ``ACTIONS_ID_TOKEN_REQUEST_URL``, exactly as on a runner.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import boto3
import pytest

from tests.container.helpers import RunActionContainer
from tests.fakes.aws_lambda import MotoProxy, MotoServer
from tests.fakes.oidc_issuer import DEFAULT_REQUEST_TOKEN, FakeOidcIssuer
from tests.fakes.server import serve
from tests.support.aws import DEPLOYER_ROLE, elf_bootstrap
from tests.support.github import HOST_WORKSPACE

pytestmark = [pytest.mark.docker, pytest.mark.timeout(1200)]


@pytest.fixture
def moto() -> Iterator[MotoServer]:
    server = MotoServer().start()
    server.reset()  # moto's state is per process: forget what other tests left behind
    yield server
    server.stop()


@pytest.fixture
def proxy(moto: MotoServer) -> Iterator[tuple[MotoProxy, str]]:
    fake = MotoProxy(moto.url)
    with serve(fake) as url:
        yield fake, str(url)
    fake.close()


@pytest.fixture
def issuer() -> Iterator[tuple[FakeOidcIssuer, str]]:
    fake = FakeOidcIssuer()
    with serve(fake) as url:
        yield fake, str(url)


def test_oidc_deploy_through_the_image(
    run_action_container: RunActionContainer,
    tmp_path: Path,
    moto: MotoServer,
    proxy: tuple[MotoProxy, str],
    issuer: tuple[FakeOidcIssuer, str],
) -> None:
    recorder, proxy_url = proxy
    fake_issuer, issuer_url = issuer
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    bootstrap = workspace / "bootstrap"
    bootstrap.write_bytes(elf_bootstrap(b"container"))
    bootstrap.chmod(0o755)

    run = run_action_container(
        inputs={
            "target": "aws-lambda",
            "server-name": "hello-mcp",
            "region": "us-east-1",
            "role-to-assume": DEPLOYER_ROLE,
            "artifact": "bootstrap",
            "verify": "false",
        },
        env={
            "AWS_ENDPOINT_URL": proxy_url,
            "ACTIONS_ID_TOKEN_REQUEST_URL": f"{issuer_url}/token?api-version=2.0",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": DEFAULT_REQUEST_TOKEN,
        },
        workspace=workspace,
    )

    assert run.exit_code == 0, run.describe()
    outputs = run.outputs
    assert outputs["function-name"] == "hello-mcp"
    assert outputs["version"] == "1"
    assert outputs["region"] == "us-east-1"
    assert outputs["log-group"] == "/aws/lambda/hello-mcp"
    assert outputs["arn"].endswith(":function:hello-mcp:live")
    assert outputs["url"].startswith("https://") and ".lambda-url.us-east-1." in outputs["url"]

    lam = boto3.client(
        "lambda",
        region_name="us-east-1",
        endpoint_url=moto.url,
        aws_access_key_id="AKIAASSERTIONS000000",
        aws_secret_access_key="assertions-secret",
    )
    config = lam.get_function_configuration(FunctionName="hello-mcp", Qualifier="live")
    assert (config["Runtime"], config["Architectures"]) == ("provided.al2023", ["arm64"])

    [exchange] = recorder.requests_for("AssumeRoleWithWebIdentity")
    token = parse_qs(exchange.body.decode())["WebIdentityToken"][0]
    assert fake_issuer.audiences == ["sts.amazonaws.com"]
    assert fake_issuer.verify(token, "sts.amazonaws.com")["iss"] == fake_issuer.issuer
    # The token and the session keys appear only in ::add-mask:: commands (which is how the
    # runner learns to hide them), nowhere else the step wrote.
    masked = [
        line.removeprefix("::add-mask::")
        for line in run.stdout.splitlines()
        if line.startswith("::add-mask::")
    ]
    assert token in masked
    assert len(masked) >= 4  # the token and the three session values
    printed = "\n".join(
        line for line in run.everything.splitlines() if not line.startswith("::add-mask::")
    )
    for secret in masked:
        assert secret not in printed


def test_ambient_credentials_a_step_wrote_into_the_workspace(
    run_action_container: RunActionContainer,
    tmp_path: Path,
    moto: MotoServer,
    proxy: tuple[MotoProxy, str],
) -> None:
    """A step on the runner names a file by the runner's path; in the action's container the
    workspace is /github/workspace, and the program reads the file there."""
    recorder, proxy_url = proxy
    workspace = tmp_path / "workspace"
    (workspace / ".aws").mkdir(parents=True)
    (workspace / ".aws" / "credentials").write_text(
        "[ci]\naws_access_key_id = AKIAAMBIENTCONTAINER\n"
        "aws_secret_access_key = ambient-container-secret\n"
    )
    bootstrap = workspace / "bootstrap"
    bootstrap.write_bytes(elf_bootstrap(b"ambient"))
    bootstrap.chmod(0o755)

    run = run_action_container(
        inputs={
            "target": "aws-lambda",
            "command": "plan",
            "auth": "ambient",
            "server-name": "hello-mcp",
            "region": "us-east-1",
            "artifact": "bootstrap",
        },
        env={
            "AWS_ENDPOINT_URL": proxy_url,
            "AWS_PROFILE": "ci",
            "AWS_SHARED_CREDENTIALS_FILE": f"{HOST_WORKSPACE}/.aws/credentials",
            "AWS_CONFIG_FILE": f"{HOST_WORKSPACE}/.aws/config",
            "AWS_EC2_METADATA_DISABLED": "true",
        },
        workspace=workspace,
    )

    assert run.exit_code == 0, run.describe()
    assert "(shared-credentials-file)" in run.everything, run.describe()
    [identity] = recorder.requests_for("GetCallerIdentity")
    assert "Credential=AKIAAMBIENTCONTAINER/" in identity.headers["authorization"]
    assert "ambient-container-secret" in run.everything  # masked, as the runner is told
    assert "ambient-container-secret" not in run.shown


def test_secrets_through_the_image_reach_the_functions_environment(
    run_action_container: RunActionContainer,
    tmp_path: Path,
    moto: MotoServer,
    proxy: tuple[MotoProxy, str],
    issuer: tuple[FakeOidcIssuer, str],
) -> None:
    """The secrets input, as a runner passes it, becomes the variables Lambda hands the
    server's process (moto runs no function: the configuration is what the process gets),
    encrypted with alias/pmcp-deploy's key; no output of the step shows a value."""
    _recorder, proxy_url = proxy
    _fake_issuer, issuer_url = issuer
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    bootstrap = workspace / "bootstrap"
    bootstrap.write_bytes(elf_bootstrap(b"container"))
    bootstrap.chmod(0o755)
    api_key = "sk-container-secret-5e1d9"
    pem = "-----BEGIN KEY-----\nMIIBcontainer0123456789\n-----END KEY-----"

    run = run_action_container(
        inputs={
            "target": "aws-lambda",
            "server-name": "hello-mcp",
            "region": "us-east-1",
            "role-to-assume": DEPLOYER_ROLE,
            "artifact": "bootstrap",
            "verify": "false",
            "secrets": f"API_KEY={api_key}\nPEM<<EOF\n{pem}\nEOF",
        },
        env={
            "AWS_ENDPOINT_URL": proxy_url,
            "ACTIONS_ID_TOKEN_REQUEST_URL": f"{issuer_url}/token?api-version=2.0",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": DEFAULT_REQUEST_TOKEN,
        },
        workspace=workspace,
    )

    assert run.exit_code == 0, run.describe()
    assert run.outputs["secrets"] == '{"API_KEY":"set","PEM":"set"}'
    clients = {
        service: boto3.client(
            service,
            region_name="us-east-1",
            endpoint_url=moto.url,
            aws_access_key_id="AKIAASSERTIONS000000",
            aws_secret_access_key="assertions-secret",
        )
        for service in ("lambda", "kms")
    }
    config = clients["lambda"].get_function_configuration(
        FunctionName="hello-mcp", Qualifier="live"
    )
    assert config["Environment"]["Variables"] == {"API_KEY": api_key, "PEM": pem}
    key = clients["kms"].describe_key(KeyId="alias/pmcp-deploy")["KeyMetadata"]["Arn"]
    assert config["KMSKeyArn"] == key
    printed = "\n".join(
        line for line in run.everything.splitlines() if not line.startswith("::add-mask::")
    )
    for value in (api_key, pem, *pem.splitlines()[1:2]):
        assert value not in printed
        assert base64.b64encode(value.encode()).decode() not in printed


def test_a_scenario_against_a_server_behind_oauth_through_the_image(
    run_action_container: RunActionContainer,
    tmp_path: Path,
    moto: MotoServer,
    proxy: tuple[MotoProxy, str],
    issuer: tuple[FakeOidcIssuer, str],
) -> None:
    """verify-scenarios read from the workspace inside the container, a client-credentials
    token from the protected server's authorization server, neither secret shown."""
    from tests.fakes.oauth_server import FakeAuthorizationServer, serve_protected_mcp

    _, proxy_url = proxy
    _, issuer_url = issuer
    client_secret = "cc-secret-container-4d1e"
    authorization = FakeAuthorizationServer()
    authorization.clients["ci-verifier"] = client_secret
    workspace = tmp_path / "workspace"
    (workspace / "scenarios").mkdir(parents=True)
    bootstrap = workspace / "bootstrap"
    bootstrap.write_bytes(elf_bootstrap(b"scenarios"))
    bootstrap.chmod(0o755)
    (workspace / "scenarios" / "whoami.yaml").write_text(
        "name: Who am I\nsteps:\n  - name: whoami\n    operation: {type: tool_call, tool: whoami}\n"
        "    assertions:\n      - {type: equals, path: result, value: protected}\n"
    )

    with serve_protected_mcp(authorization) as protected:
        run = run_action_container(
            inputs={
                "target": "aws-lambda",
                "server-name": "hello-mcp",
                "region": "us-east-1",
                "role-to-assume": DEPLOYER_ROLE,
                "artifact": "bootstrap",
                "verify-url": protected.mcp.url,
                "verify-scenarios": "scenarios/*.yaml",
                "verify-checks": "conformance",
                "verify-oauth-client-id": "ci-verifier",
                "verify-oauth-client-secret": client_secret,
            },
            env={
                "AWS_ENDPOINT_URL": proxy_url,
                "ACTIONS_ID_TOKEN_REQUEST_URL": f"{issuer_url}/token?api-version=2.0",
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN": DEFAULT_REQUEST_TOKEN,
            },
            workspace=workspace,
        )

    assert run.exit_code == 0, run.describe()
    assert run.outputs["verified"] == "true"
    assert (run.outputs["scenarios-passed"], run.outputs["scenarios-failed"]) == ("1", "0")
    assert "Who am I (scenarios/whoami.yaml): passed" in run.summary
    (token,) = authorization.issued
    printed = "\n".join(
        line for line in run.everything.splitlines() if not line.startswith("::add-mask::")
    )
    assert client_secret not in printed and token not in printed
