"""The trust of the targets without OIDC federation: which CI secrets, and the commands."""

from __future__ import annotations

from typing import Any

import pytest

from pmcp_action.settings.vocabulary import CiSystem
from pmcp_action.targets.cloudflare_workers import trust as workers_trust
from pmcp_action.targets.pmcp_run import trust as pmcp_run_trust
from pmcp_action.trust.model import TrustRequest
from pmcp_action.trust.subjects import token_source


def _request(
    ci: CiSystem, repository: str, ref: str = "", environment: str = "prod"
) -> TrustRequest:
    source, problems = token_source(
        ci=ci, repository=repository, ref=ref, environment=environment, environ={}, sources={}
    )
    assert source is not None, problems
    return TrustRequest(source)


def test_workers_names_the_token_permissions_and_the_environment_secret() -> None:
    plan = workers_trust.plan(None, _request(CiSystem.GITHUB, "octo/app"))

    assert "Workers Scripts: Edit and Account Settings: Read" in plan.summary
    assert plan.commands == ("gh secret set CLOUDFLARE_API_TOKEN --repo octo/app --env prod",)
    assert not plan.applies and plan.documents == ()


@pytest.mark.parametrize(
    ("ref", "scope"), [("main", ""), ("", " --scope prod")], ids=["branch", "environment"]
)
def test_pmcp_run_stores_the_client_as_gitlab_variables(ref: str, scope: str) -> None:
    plan: Any = pmcp_run_trust.plan(None, _request(CiSystem.GITLAB, "grp/app", ref))

    assert plan.commands == (
        f"glab variable set PMCP_CLIENT_ID --repo grp/app{scope} --value VALUE",
        f"glab variable set PMCP_CLIENT_SECRET --repo grp/app --masked --protected{scope} "
        "--value VALUE",
    )
    assert "client_credentials" in plan.summary
