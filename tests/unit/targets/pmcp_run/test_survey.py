"""The survey: the project's deployment by projectName, the live one first."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmcp_action.errors import DeployError
from pmcp_action.flow import Deployed
from pmcp_action.targets.pmcp_run.api import DeploymentListItem
from pmcp_action.targets.pmcp_run.survey import Survey

from .helpers import make_harness, named_toml


def test_the_shared_view_names_the_deployment_and_calls_it_ours() -> None:
    live = DeploymentListItem("dep_live", "weather", "success", "https://x/dep_live/mcp")

    assert Survey(live).deployed == Deployed(exists=True, serving="dep_live", managed=True)
    assert Survey(None).deployed == Deployed(exists=False, serving="", managed=True)


def test_a_failed_redeploy_leaves_the_live_one_found(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    live = h.target.deploy()
    h.fake.deployment_outcomes.append("failed")
    with pytest.raises(DeployError, match="Deployment failed"):
        h.target.deploy()

    listed = [(d.id, d.status) for d in h.fake.deployments.values()]
    assert [status for _, status in listed] == ["success", "failed"]
    assert h.target.outputs().deployment_id == live.deployment_id


def test_another_projects_deployment_is_not_ours(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    other = make_harness(tmp_path / "other", h.fake, deploy_toml=named_toml("weather-2"))
    other.target.deploy()

    assert h.target.plan().changes[0].action == "create"
