"""The target as the registry builds it; importing its package costs no botocore."""

from __future__ import annotations

import subprocess
import sys

from pmcp_action.targets import create_target
from pmcp_action.targets.aws_lambda.target import AwsLambdaTarget

from .helpers import Harness


def test_importing_the_target_package_does_not_import_botocore() -> None:
    code = (
        "import sys, pmcp_action.targets, pmcp_action.targets.aws_lambda; "
        "print('botocore' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_create_target_builds_the_aws_lambda_target(harness: Harness) -> None:
    target = create_target(harness.context())
    assert isinstance(target, AwsLambdaTarget)
    assert target.name == "aws-lambda"
    assert list(target.validate()) == []
