"""The ``mcp:*`` template metadata: from Cargo.toml, .pmcp/ files and a built-in manifest."""

from __future__ import annotations

from pathlib import Path

from pmcp_action.targets.pmcp_run.metadata import extract_metadata

from .helpers import (
    deployed_template,
    lint,
    make_harness,
)


def test_metadata_from_cargo_toml_fallback(tmp_path: Path) -> None:
    h = make_harness(tmp_path)

    template = deployed_template(h)

    assert template["Metadata"] == {
        "mcp:version": "1.0",
        "mcp:serverType": "custom",
        "mcp:serverId": "weather",
        "mcp:resources": {},
        "mcp:capabilities": {"resources": False, "composition": False},
    }


def test_metadata_from_pmcp_toml_and_deploy_toml_overrides(tmp_path: Path) -> None:
    pmcp_toml = (
        '[server]\nname = "weather-srv"\n'
        '[[secrets.definitions]]\nname = "API_KEY"\ndescription = "Weather API key"\n'
        'env_var = "WEATHER_API_KEY"\nobtain_url = "https://weather.example/keys"\n'
        '[[secrets.definitions]]\nname = "OPTIONAL"\nrequired = false\n'
        '[[tools]]\nname = "forecast"\n[[tools]]\nname = "alerts"\n'
    )
    toml = (
        '[target]\ntype = "pmcp-run"\n[server]\nname = "weather"\n[environment]\n'
        '[metadata]\nserver_type = "graph-rag"\nsnapshot_baked = true\n'
    )
    h = make_harness(tmp_path, deploy_toml=toml, extra_files={"pmcp.toml": pmcp_toml})

    template = deployed_template(h)

    assert template["Metadata"] == {
        "mcp:version": "1.0",
        "mcp:serverType": "graph-rag",
        "mcp:serverId": "weather-srv",
        "mcp:resources": {
            "secrets": [
                {
                    "name": "API_KEY",
                    "description": "Weather API key",
                    "required": True,
                    "env_var": "WEATHER_API_KEY",
                    "obtain_url": "https://weather.example/keys",
                },
                {"name": "OPTIONAL", "required": False},
            ]
        },
        "mcp:capabilities": {
            "tools": ["forecast", "alerts"],
            "resources": False,
            "composition": False,
        },
        "mcp:snapshotBaked": True,
    }
    assert lint(template, "us-east-1") == []


def test_metadata_from_a_builtin_manifest(tmp_path: Path) -> None:
    (tmp_path / "instances").mkdir()
    (tmp_path / "builtin-manifest.toml").write_text(
        '[server]\ntype = "graphql-api"\nconfig = "instances/prod.toml"\n'
        '[server.template]\nid = "types/graphql"\nversion = "2.1.0"\n'
        "[features]\nsecrets_from_config = true\ncomposition_enabled = true\n"
        '[[resources.parameters]]\nname = "ENDPOINT"\nvalue = "https://api.example"\n'
        '[[resources.permissions]]\nid = "net"\ntype = "outbound_https"\n'
        'targets = ["api.example"]\n'
    )
    (tmp_path / "instances" / "prod.toml").write_text(
        '[server]\nid = "states-api"\nname = "States API"\n'
        '[[secrets.definitions]]\nname = "TOKEN"\n[[tools]]\nname = "query"\n'
    )

    metadata = extract_metadata(tmp_path).to_cloudformation_metadata()

    assert metadata == {
        "mcp:version": "1.0",
        "mcp:serverType": "graphql-api",
        "mcp:serverId": "states-api",
        "mcp:templateId": "types/graphql",
        "mcp:templateVersion": "2.1.0",
        "mcp:resources": {
            "secrets": [{"name": "TOKEN", "required": True}],
            "parameters": [{"name": "ENDPOINT", "value": "https://api.example"}],
            "permissions": [{"id": "net", "type": "outbound_https", "targets": ["api.example"]}],
        },
        "mcp:capabilities": {"tools": ["query"], "resources": False, "composition": True},
    }


def test_config_toml_that_is_not_an_instance_config_names_the_folder(tmp_path: Path) -> None:
    (tmp_path / ".pmcp").mkdir()
    (tmp_path / ".pmcp" / "config.toml").write_text('target = "pmcp"\n')

    assert extract_metadata(tmp_path).server_id == ".pmcp"  # cargo-pmcp's quirk, kept
