"""The Worker's secrets from the secrets input: secret_text bindings, what each deploy did with
each, and the inputs Workers cannot honour refused before any call."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from pmcp_action.errors import ValidationError
from pmcp_action.settings.deploy_toml_reading import load_deploy_config

from .helpers import NAME, make_target, write_project

KEY, DB = "api-key-0f9e8d7c6b5a", "postgres://calc:pw-77aa@db/calc"


def _secret_bindings(fake, index: int = -1) -> dict[str, str]:
    version = fake.script(NAME).versions[index]
    return {b["name"]: b["text"] for b in version.bindings if b["type"] == "secret_text"}


def _statuses(result) -> dict[str, str]:
    return {s.name: s.status.value for s in result.secrets}


def _scan(harness, *secrets: str) -> None:
    for secret in secrets:
        for shown in (secret, base64.b64encode(secret.encode()).decode()):
            assert shown not in harness.output


def test_set_unchanged_changed_kept_and_dropped(tmp_path: Path, fake) -> None:
    write_project(tmp_path)
    given = {"secrets": f"API_KEY={KEY}\nDB_URL={DB}\n"}
    first = make_target(tmp_path, fake, inputs=given)
    assert _statuses(first.target.deploy()) == {"API_KEY": "set", "DB_URL": "set"}
    assert _secret_bindings(fake) == {"API_KEY": KEY, "DB_URL": DB}

    again = make_target(tmp_path, fake, inputs=given)
    result = again.target.deploy()
    assert result.unchanged and _statuses(result) == {"API_KEY": "unchanged", "DB_URL": "unchanged"}
    assert len(fake.script(NAME).versions) == 1  # no write, no new version

    changed = make_target(tmp_path, fake, inputs={"secrets": f"API_KEY={KEY}-v2\n"})
    result = changed.target.deploy()
    assert _statuses(result) == {"API_KEY": "set", "DB_URL": "kept"}
    assert len(fake.script(NAME).versions) == 2
    dropped = make_target(
        tmp_path, fake, inputs={"secrets": f"API_KEY={KEY}-v2\n", "keep-bindings": False}
    )
    result = dropped.target.deploy()
    assert _statuses(result) == {
        "API_KEY": "unchanged" if result.unchanged else "set",
        "DB_URL": "removed",
    }
    for harness in (first, again, changed, dropped):
        _scan(harness, KEY, DB)


def test_multi_line_values_and_equals_signs_reach_the_binding(tmp_path: Path, fake) -> None:
    write_project(tmp_path)
    pem = "-----BEGIN KEY-----\nab=cd==\n-----END KEY-----"
    harness = make_target(tmp_path, fake, inputs={"secrets": f"PEM<<EOF\n{pem}\nEOF\nQ=a=b=c\n"})
    harness.target.deploy()
    assert _secret_bindings(fake) == {"PEM": pem, "Q": "a=b=c"}
    _scan(harness, pem, "ab=cd==")


def test_worker_secrets_still_works_with_a_warning_but_not_twice(tmp_path: Path, fake) -> None:
    write_project(tmp_path)
    harness = make_target(tmp_path, fake, inputs={"worker-secrets": f"API_KEY={KEY}"})
    assert _statuses(harness.target.deploy()) == {"API_KEY": "set"}
    assert "input 'worker-secrets' is deprecated" in harness.output
    both = make_target(
        tmp_path, fake, inputs={"worker-secrets": f"API_KEY={KEY}", "secrets": f"API_KEY={KEY}"}
    )
    assert any("API_KEY is given in both" in p.what for p in both.target.validate())


def test_what_workers_cannot_do_is_refused_before_any_call(tmp_path: Path, fake) -> None:
    write_project(tmp_path)
    many = "\n".join(f"S{i:03d}=value-{i:03d}" for i in range(200))
    big = "x" * (64 * 1024)
    for inputs, what in (
        ({"secrets": f"API_KEY={KEY}", "prune-secrets": True}, "cannot remove only those"),
        ({"secrets": many}, "bindings, above Workers' 128"),
        ({"secrets": f"BIG={big}"}, "above Workers' 5 KB per variable"),
    ):
        harness = make_target(tmp_path, fake, inputs=inputs)
        problems = harness.target.validate()
        assert any(what in p.render() for p in problems), [p.render() for p in problems]
        with pytest.raises(ValidationError):
            harness.target.deploy()
    assert fake.requests == []


def test_a_required_secret_comes_from_the_run_or_the_live_version(tmp_path: Path, fake) -> None:
    write_project(tmp_path)
    toml = tmp_path / ".pmcp" / "deploy.toml"
    toml.write_text(toml.read_text() + '\n[secrets]\nAPI_KEY = ""\n')
    config = load_deploy_config(toml)[0]
    missing = make_target(tmp_path, fake)
    assert config.secrets and missing.target.context.project.secrets.missing == ("API_KEY",)
    with pytest.raises(ValidationError, match="requires the secret API_KEY"):
        missing.target.deploy()
    assert fake.script(NAME) is None  # nothing was created

    make_target(tmp_path, fake, environ={"API_KEY": KEY}).target.deploy()  # from the run's env
    assert _secret_bindings(fake) == {"API_KEY": KEY}
    write_project(tmp_path, version="2.0.0")
    toml.write_text(toml.read_text() + '\n[secrets]\nAPI_KEY = ""\n')
    later = make_target(tmp_path, fake).target.deploy()  # not given: the live one is kept
    assert _statuses(later) == {"API_KEY": "kept"}
