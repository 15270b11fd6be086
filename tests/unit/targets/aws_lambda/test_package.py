"""The package: located and read within the run's deadline, zipped only after the
credentials have proven good."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from pmcp_action.artifact.lambda_package import kind
from pmcp_action.ci.base import Platform
from pmcp_action.deadline import Deadline
from pmcp_action.errors import CredentialExchangeError, TimeoutExceededError
from pmcp_action.settings.deploy_toml import DeployConfig, ServerConfig
from pmcp_action.targets.aws_lambda.target import AwsLambdaTarget
from tests.fakes.aws_lambda import sts_error
from tests.support.aws import DEPLOYER_ROLE, REGION, elf_bootstrap
from tests.support.context import make_context

from .helpers import Harness


def test_the_artifact_is_read_within_the_run_deadline(tmp_path: Path) -> None:
    bootstrap = tmp_path / "bootstrap"
    bootstrap.write_bytes(elf_bootstrap(b"v1"))
    context = make_context(
        target="aws-lambda",
        root=tmp_path,
        # Complete inputs: the flow refuses inputs with problems before the artifact is read.
        inputs={
            "server_name": "demo",
            "region": REGION,
            "role_to_assume": DEPLOYER_ROLE,
            "artifact": bootstrap,
        },
        config=DeployConfig(server=ServerConfig(name="demo")),
        console=Platform(environ={}, log_stream=io.StringIO()),
        deadline=Deadline(0),  # passed before the first chunk
    )

    with pytest.raises(TimeoutExceededError) as caught:
        AwsLambdaTarget(context).plan()

    assert caught.value.message == (
        "Stopped reading artifact input bootstrap after 0.0 MiB (0 bytes): the run's deadline "
        "of 0 s passed."
    )


def test_wrong_credentials_fail_before_the_artifact_is_packaged(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.proxy.inject(
        "AssumeRoleWithWebIdentity",
        lambda: sts_error(403, "AccessDenied", "Not authorized"),
    )

    def no_packaging(*args: Any, **kwargs: Any) -> Any:
        pytest.fail("the artifact was zipped before the credentials were checked")

    # The file itself is checked before any call (a bad artifact touches no cloud); the
    # slow part, the zip, waits until the credentials have proven good.
    monkeypatch.setattr(kind.PreparedPackage, "artifact", no_packaging)
    with pytest.raises(CredentialExchangeError):
        harness.target().deploy()
