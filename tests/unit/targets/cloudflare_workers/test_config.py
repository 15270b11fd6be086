"""config.resolve: precedence of the compatibility date, missing and bad inputs."""

from __future__ import annotations

import pytest

from pmcp_action.errors import ValidationError
from tests.unit.targets.cloudflare_workers.helpers import NAME, make_target, write_project


def test_compatibility_date_input_beats_wrangler_toml_beats_the_default(tmp_path, fake):
    write_project(
        tmp_path,
        wrangler_toml='name = "weather"\ncompatibility_date = "2025-03-01"\n'
        'compatibility_flags = ["nodejs_compat"]\n',
    )
    make_target(tmp_path, fake).target.deploy()
    version = fake.script(NAME).versions[-1]
    assert version.compatibility_date == "2025-03-01"
    assert version.compatibility_flags == ["nodejs_compat"]
    harness = make_target(tmp_path, fake, inputs={"compatibility-date": "2025-06-01"})
    harness.target.deploy()
    assert fake.script(NAME).versions[-1].compatibility_date == "2025-06-01"


def test_no_token_anywhere_is_an_input_problem(tmp_path, fake):
    write_project(tmp_path)
    harness = make_target(tmp_path, fake, token=None)
    problems = harness.target.validate()
    assert [p.where for p in problems] == ["input 'cloudflare-api-token'"]
    assert "no OIDC federation" in problems[0].what
    with pytest.raises(ValidationError):
        harness.target.deploy()
    assert fake.requests == []


def test_bad_inputs_are_reported_together_without_quoting_secrets(tmp_path, fake):
    write_project(tmp_path, deploy_toml='[server]\nname = "Bad Name"\n')
    harness = make_target(
        tmp_path,
        fake,
        inputs={
            "worker-secrets": "just-a-secret-without-equals",
            "cloudflare-account-id": "nope",
            "compatibility-date": "yesterday",
        },
    )
    rendered = "\n".join(p.render() for p in harness.target.validate())
    assert "cannot be a Worker name" in rendered
    assert "32 hexadecimal" in rendered and "is not a date" in rendered
    assert "line 1: expected KEY=VALUE" in rendered
    assert "just-a-secret" not in rendered
