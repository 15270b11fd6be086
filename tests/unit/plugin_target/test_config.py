"""The demo-cloud plug-in's inputs: every problem found offline, each naming its source."""

from __future__ import annotations

import pytest

from pmcp_action.errors import ValidationError


def test_every_problem_is_reported_before_anything_is_called(make_target, cloud):
    target = make_target({"demo-endpoint": "", "demo-token": "", "region": "Mars"})
    problems = [(p.where, p.what) for p in target.validate()]
    assert problems == [
        ("input 'demo-endpoint'", "no Demo Cloud endpoint"),
        ("input 'demo-token'", "no Demo Cloud API token"),
        ("input 'region'", "'Mars' is no Demo Cloud region"),
    ]
    with pytest.raises(ValidationError):
        target.deploy()
    assert cloud.calls == []


def test_the_region_falls_back_to_the_cloud_s_variable_then_the_declared_default(make_target):
    assert make_target().config.region == "moon-1"
    assert make_target(environ={"DEMO_CLOUD_REGION": "moon-2"}).config.region == "moon-2"
