"""A network failure on the way to any AWS API the target calls ends the run cleanly: exit 1,
an ``::error::`` titled "Network error" naming the host and the call, a summary entry,
never "This is a bug".

Each API gets its own endpoint (``AWS_ENDPOINT_URL_<SERVICE>``, which the target honours
per service) that fails for real, after botocore's own retries: a host name that does not
resolve, a loopback port that refuses, a server that resets the connection in the middle of
its answer. Every other API is moto. Two attempts per call keep the retries quick.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from pmcp_action.__main__ import main
from pmcp_action.targets.aws_lambda import clients
from tests.fakes.aws_lambda import MotoServer
from tests.support.aws import ACCOUNT, REGION, elf_bootstrap
from tests.support.network_faults import (
    Fault,
    assert_reported_network_failure,
    closed_port,
    reset_server,
    unresolvable,
)

from .helpers import AwsFactory

SECRET_KEY = "moto-secret-key-for-network-test"

#: service -> (command, what the error must say was being done)
CALLS = {
    "sts": ("deploy", "check the AWS credentials"),
    "lambda": ("deploy", "read the function demo"),
    "iam": ("deploy", "read the IAM role demo-lambda-role"),
    "logs": ("deploy", "read the log group /aws/lambda/demo"),
    # A package under the direct-upload limit never goes through S3; destroy always does.
    "s3": ("destroy", f"delete the artifacts of demo from s3://pmcp-deploy-{ACCOUNT}-{REGION}"),
    # Reached only by a deploy with secrets (the key of the function's environment).
    "kms": ("deploy", "read the KMS key alias/pmcp-deploy"),
}
SERVER_SECRET = "network-test-server-secret"


@contextmanager
def failing_endpoint(
    fault: Fault, service: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, str]]:
    """The endpoint URL and host of ``service`` that fails with ``fault``."""
    if fault is Fault.DNS:
        host = f"{service}.unreachable.test"
        unresolvable(monkeypatch, host)
        yield f"https://{host}", host
    elif fault is Fault.REFUSED:
        yield f"http://127.0.0.1:{closed_port()}", "127.0.0.1"
    else:
        with reset_server() as port:
            yield f"http://127.0.0.1:{port}", "127.0.0.1"


def _a_function_of_ours(aws: AwsFactory) -> None:
    """What a destroy finds: a function with the mark (its role not ours to delete)."""
    aws("iam").create_role(RoleName="theirs", AssumeRolePolicyDocument="{}")
    aws("lambda").create_function(
        FunctionName="demo",
        Runtime="provided.al2023",
        Role=f"arn:aws:iam::{ACCOUNT}:role/theirs",
        Handler="bootstrap",
        Code={"ZipFile": b"PK"},
        Tags={"managed-by": "pmcp", "pmcp:server": "demo"},
    )


@pytest.mark.parametrize("fault", list(Fault), ids=[f.name.lower() for f in Fault])
@pytest.mark.parametrize("service", list(CALLS))
def test_a_network_failure_is_named_not_a_bug(
    tmp_path: Path,
    gha_files: dict[str, Path],
    moto: MotoServer,
    aws: AwsFactory,
    monkeypatch: pytest.MonkeyPatch,
    fault: Fault,
    service: str,
) -> None:
    monkeypatch.setattr(clients, "MAX_ATTEMPTS", 2)
    command, doing = CALLS[service]
    if command == "destroy":
        _a_function_of_ours(aws)
    bootstrap = tmp_path / "bootstrap"
    bootstrap.write_bytes(elf_bootstrap(b"v1"))
    bootstrap.chmod(0o755)
    with ExitStack() as stack:
        url, host = stack.enter_context(failing_endpoint(fault, service, monkeypatch))
        env = {k: str(v) for k, v in gha_files.items()} | {
            "GITHUB_ACTIONS": "true",
            "AWS_ENDPOINT_URL": moto.url,
            f"AWS_ENDPOINT_URL_{service.upper()}": url,
            "AWS_ACCESS_KEY_ID": "AKIANETWORKTEST00000",
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "INPUT_TARGET": "aws-lambda",
            "INPUT_COMMAND": command,
            "INPUT_SERVER-NAME": "demo",
            "INPUT_REGION": REGION,
            "INPUT_ARTIFACT": "bootstrap",
            "INPUT_WORKING-DIRECTORY": str(tmp_path),
            "INPUT_VERIFY": "false",
            "INPUT_CONFIRM-DESTROY": "true",
        }
        if service == "kms":
            env["INPUT_SECRETS"] = f"API_KEY={SERVER_SECRET}"
        out = io.StringIO()
        code = main([], environ=env, stdout=out, stderr=io.StringIO(), sleep=lambda _s: None)

    printed = out.getvalue()
    summary = gha_files["GITHUB_STEP_SUMMARY"].read_text()
    assert_reported_network_failure(code, printed, summary, host=host, doing=doing)
    shown = [line for line in printed.splitlines() if not line.startswith("::add-mask::")]
    assert SECRET_KEY not in "\n".join(shown) + summary
    assert SERVER_SECRET not in "\n".join(shown) + summary
