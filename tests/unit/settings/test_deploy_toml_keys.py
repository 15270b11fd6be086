"""settings.deploy_toml_keys: an unknown key is warned about, with the closest known one."""

from __future__ import annotations

from pmcp_action.settings.deploy_toml_reading import load_deploy_config

from .helpers import EXAMPLE, write


def test_unknown_keys_and_tables_are_warned_with_the_closest_known_key(tmp_path):
    from pmcp_action.settings.deploy_toml_keys import unknown_key_warnings

    path = write(
        tmp_path,
        '[server]\nname = "x"\nmemry_mb = 1024\n\n[bogus]\na = 1\n\n'
        '[environment]\nANY_NAME = "ok"\n\n[auth.dcr]\nenabld = true\n\n[demo]\nendpoint = "u"\n',
    )
    config, _ = load_deploy_config(path)
    rendered = [w.render() for w in unknown_key_warnings(config, declared=["demo.endpoint"])]
    assert rendered == [
        f"{path}:3 [server].memry_mb: unknown key [server].memry_mb — did you mean memory_mb?",
        f"{path}:5 [bogus]: unknown table [bogus] — it is ignored",
        f"{path}:12 [auth].dcr.enabld: unknown key [auth.dcr].enabld — did you mean enabled?",
    ]
    assert unknown_key_warnings(load_deploy_config(EXAMPLE / ".pmcp" / "deploy.toml")[0]) == []
