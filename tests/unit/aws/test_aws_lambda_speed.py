"""aws-lambda does the slow things only when they are needed (issue 12).

Credentials are checked before the artifact is packaged; "unchanged" is decided
from the package hash the serving version recorded, before anything is zipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pmcp_action.artifact.lambda_package import kind
from pmcp_action.context import Project
from pmcp_action.deploy_config import DeployConfig
from pmcp_action.errors import CredentialExchangeError
from pmcp_action.targets.aws_lambda import deploying
from pmcp_action.targets.aws_lambda.deploying import version_description
from pmcp_action.targets.aws_lambda.survey import PACKAGE_MARK, recorded_package_sha256
from tests.fakes.moto_server import sts_error

from .conftest import AwsFactory, Harness


def _no_zip(*args: Any, **kwargs: Any) -> Any:
    pytest.fail("the package was zipped although nothing changed")


def test_unchanged_redeploy_decides_from_the_recorded_hash_without_zipping(
    harness: Harness, aws: AwsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.target().deploy()
    published = aws("lambda").get_function_configuration(FunctionName="demo", Qualifier="1")
    assert recorded_package_sha256(published["Description"])
    harness.proxy.reset()
    monkeypatch.setattr(kind, "write_package", _no_zip)

    result = harness.target().deploy()
    plan = harness.target().plan()

    assert result.unchanged is True and result.version == "1"
    assert plan.unchanged is True
    # The plan names the CodeSha256 live serves: equal contents zip to equal bytes.
    assert f"CodeSha256 of the artifact: {published['CodeSha256']}" in plan.notes


def test_a_changed_file_in_the_package_is_a_change(harness: Harness) -> None:
    harness.target().deploy()
    (harness.tmp_path / "config.toml").write_text("[server]\nname = 'demo'\n")

    result = harness.target().deploy()

    assert result.unchanged is False and result.version == "2"


def test_a_version_that_recorded_no_hash_is_compared_by_its_zip(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Versions published before the hash was recorded still count as unchanged."""
    with monkeypatch.context() as patched:
        patched.setattr(deploying, "version_description", lambda *_a: "pmcp-deploy-action")
        harness.target().deploy()

    result = harness.target().deploy()

    assert result.unchanged is True and result.version == "1"


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


def test_the_recorded_hash_always_fits_the_description() -> None:
    digest = "ab" * 32
    project = Project(root=Path("."), config=DeployConfig(), server_name="demo", version="1.2.3")
    environ = {"GITHUB_REPOSITORY": "o/" + "r" * 300, "GITHUB_SHA": "f" * 40}

    text = version_description(project, environ, digest)

    assert len(text) == 256
    assert text.endswith(f", {PACKAGE_MARK}{digest}")
    assert recorded_package_sha256(text) == digest
    assert version_description(project, {}, "") == "pmcp-deploy-action, server 1.2.3"
