"""The credential inputs read and checked offline, on their own (resolve's tests in
test_config cover them through the whole configuration)."""

from __future__ import annotations

from pathlib import Path

from pmcp_action.errors import Problem
from pmcp_action.targets.aws_lambda.credential_inputs import (
    CredentialInputs,
    default_session_name,
    read_credential_inputs,
)
from tests.support.aws import DEPLOYER_ROLE

from .helpers import offline_context

ENVIRON = {"GITHUB_REPOSITORY": "octo-org/octo-repo", "GITHUB_RUN_ID": "77"}


def test_the_inputs_as_given_with_the_default_session_name(tmp_path: Path) -> None:
    context = offline_context(
        tmp_path, environ=ENVIRON, allowed_account_ids=(DEPLOYER_ROLE.split(":")[4],)
    )
    problems: list[Problem] = []

    read = read_credential_inputs(context, ("input 'lambda-role-arn'", ""), problems)

    assert problems == []
    assert read == CredentialInputs(
        auth="auto",
        role_to_assume=DEPLOYER_ROLE,
        role_session_name=default_session_name(ENVIRON),
        role_duration_seconds=3600,
        allowed_account_ids=(DEPLOYER_ROLE.split(":")[4],),
        access_key_id="",
        secret_access_key="",
        session_token="",
    )
    assert read.role_session_name == "pmcp-octo-org-octo-repo-77"


def test_the_execution_role_given_is_held_to_the_allowed_accounts(tmp_path: Path) -> None:
    context = offline_context(tmp_path, allowed_account_ids=(DEPLOYER_ROLE.split(":")[4],))
    problems: list[Problem] = []

    read_credential_inputs(
        context, ("input 'lambda-role-arn'", "arn:aws:iam::222222222222:role/exec"), problems
    )

    assert [p.render() for p in problems] == [
        "input 'lambda-role-arn': the role is in account 222222222222, which is not in "
        "allowed-account-ids — use a role of an allowed account, or add the account to "
        "allowed-account-ids"
    ]


def test_half_a_key_and_auth_without_its_credentials(tmp_path: Path) -> None:
    problems: list[Problem] = []
    context = offline_context(tmp_path, auth="oidc", role_to_assume="", aws_access_key_id="AKIA1")

    read_credential_inputs(context, ("input 'lambda-role-arn'", ""), problems)

    said = [p.render() for p in problems]
    assert any("an AWS access key needs both its id and its secret" in p for p in said), said
    assert any("auth is oidc, but no role to assume is given" in p for p in said), said
    assert not any("AKIA1" in p for p in said)  # a key's value is never quoted
