"""auth: ambient — wrangler login's OAuth token, found where wrangler keeps it, used as is
(never refreshed), refused offline once expired, never shown."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pmcp_action.targets.cloudflare_workers.failures import CloudflareAuthError
from pmcp_action.targets.cloudflare_workers.wrangler_login import wrangler_config_files
from tests.fakes.cloudflare_workers import ACCOUNT_ID
from tests.unit.targets.cloudflare_workers.helpers import NAME, make_target, write_project

OAUTH = "oauth-aBcD1234efGH5678.wrangler-login-token"
REFRESH = "refresh-ZyXw9876.wrangler-refresh-token"


def _login(folder: Path, *, expires_in: float = 3600, token: str = OAUTH) -> Path:
    """What wrangler login writes (wrangler 3/4's default.toml)."""
    expiry = datetime.fromtimestamp(time.time() + expires_in, UTC)
    path = folder / "config" / "default.toml"
    path.parent.mkdir(parents=True)
    path.write_text(
        f'oauth_token = "{token}"\n'
        f'expiration_time = "{expiry.strftime("%Y-%m-%dT%H:%M:%S.000Z")}"\n'
        f'refresh_token = "{REFRESH}"\n'
        'scopes = [ "account:read", "user:read", "workers:write", "workers_scripts:write" ]\n'
    )
    return path


def _ambient(tmp_path: Path, fake, environ: dict[str, str]):
    write_project(tmp_path)
    return make_target(tmp_path, fake, token=None, inputs={"auth": "ambient"}, environ=environ)


def test_wrangler_logins_token_deploys_without_the_api_token_check(tmp_path: Path, fake):
    home = tmp_path / "home"
    path = _login(home / ".config" / ".wrangler")
    fake.add_token(OAUTH, oauth=True)
    harness = _ambient(tmp_path, fake, {"HOME": str(home)})

    result = harness.target.deploy()

    script = fake.script(NAME)
    assert script is not None and len(script.versions) == 1
    assert result.identity == f"wrangler login's OAuth token ({path}) on account {ACCOUNT_ID}"
    assert not [r for r in fake.requests if r.path.endswith("/tokens/verify")]
    harness.target.context.console.info(f"{OAUTH} {REFRESH}")
    for secret in (OAUTH, REFRESH):
        for form in (secret, base64.b64encode(secret.encode()).decode()):
            assert form not in harness.output + repr(result)


def test_the_legacy_home_directory_comes_first_and_xdg_config_home_is_honoured(tmp_path: Path):
    home = tmp_path / "home"
    xdg = tmp_path / "xdg"
    assert wrangler_config_files({"HOME": str(home), "XDG_CONFIG_HOME": str(xdg)})[0] == (
        xdg / ".wrangler" / "config" / "default.toml"
    )
    (home / ".wrangler").mkdir(parents=True)
    assert wrangler_config_files({"HOME": str(home), "XDG_CONFIG_HOME": str(xdg)}) == [
        home / ".wrangler" / "config" / "default.toml"
    ]
    assert wrangler_config_files({}) == []


def test_an_expired_sign_in_is_refused_before_any_call(tmp_path: Path, fake):
    home = tmp_path / "home"
    path = _login(home / ".wrangler", expires_in=-60)
    harness = _ambient(tmp_path, fake, {"HOME": str(home)})

    (problem,) = harness.target.validate()

    assert f"wrangler's sign-in in {path} expired at" in problem.what
    assert "wrangler whoami" in problem.fix
    assert fake.requests == [] and OAUTH not in problem.render()


def test_no_sign_in_a_token_beside_it_and_oidc_are_named(tmp_path: Path, fake):
    write_project(tmp_path)
    home = {"HOME": str(tmp_path / "nobody")}
    (missing,) = _ambient(tmp_path, fake, home).target.validate()
    assert "there is none" in missing.what and "run wrangler login" in missing.fix

    both = make_target(tmp_path, fake, inputs={"auth": "ambient"}, environ=home)
    (problem,) = both.target.validate()
    assert "auth: ambient uses wrangler login's token instead" in problem.what

    oidc = make_target(tmp_path, fake, inputs={"auth": "oidc"}, environ=home)
    (problem,) = oidc.target.validate()
    assert "Cloudflare has no OIDC federation" in problem.what
    assert fake.requests == []


def test_a_token_cloudflare_no_longer_knows_says_to_sign_in_again(tmp_path: Path, fake):
    home = tmp_path / "home"
    _login(home / ".wrangler", token="oauth-revoked")
    harness = _ambient(tmp_path, fake, {"HOME": str(home)})

    with pytest.raises(CloudflareAuthError) as caught:
        harness.target.deploy()

    assert "Cloudflare refused wrangler login's token" in caught.value.message
    assert "Run wrangler login again" in caught.value.remediation
    assert harness.mutations() == []
