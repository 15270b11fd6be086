"""The inputs, resolved once: defaults, precedence, clouds, every problem with its source."""

from __future__ import annotations

import io
from pathlib import Path

from pmcp_action.ci.base import Platform
from pmcp_action.settings.deploy_toml_reading import load_deploy_config

from .helpers import CLIENT, SUBSCRIPTION, TENANT, resolved


def _toml(tmp_path: Path, text: str):
    path = tmp_path / ".pmcp" / "deploy.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return load_deploy_config(path)[0]


def test_defaults_follow_the_server_name_and_azure_cloud(tmp_path: Path) -> None:
    _, config, problems = resolved(tmp_path)
    assert problems == []
    assert (config.tenant_id, config.client_id, config.subscription_id) == (
        TENANT,
        CLIENT,
        SUBSCRIPTION,
    )
    assert config.resource_group == "calc-rg"
    assert config.environment == "calc-env"
    assert config.location == "eastus"
    assert config.login_url == "https://login.microsoftonline.com"
    assert config.scope == "https://management.azure.com/.default"
    assert config.audience == "api://AzureADTokenExchange"
    assert (config.target_port, config.min_replicas) == (8080, 1)
    assert not config.uses_secret and not config.delete_resource_group


def test_input_beats_deploy_toml_beats_azure_variables(tmp_path: Path) -> None:
    deploy = _toml(
        tmp_path,
        '[azure]\nresource_group = "from-toml"\nlocation = "westeurope"\n'
        "target_port = 3000\nmin_replicas = 0\n",
    )
    environ = {
        "AZURE_RESOURCE_GROUP": "from-env",
        "AZURE_CONTAINERAPP_ENV": "env-from-env",
        "AZURE_LOCATION": "northeurope",
        "AZURE_MIN_REPLICAS": "2",
    }
    _, config, problems = resolved(
        tmp_path, {"azure-resource-group": "from-input"}, environ=environ, config=deploy
    )
    assert problems == []
    assert config.resource_group == "from-input"
    assert config.environment == "env-from-env"
    assert config.location == "westeurope"
    assert config.target_port == 3000
    assert config.min_replicas == 2  # AZURE_MIN_REPLICAS overrides [azure].min_replicas


def test_sovereign_clouds_and_endpoint_overrides(tmp_path: Path) -> None:
    _, config, _ = resolved(tmp_path, {"azure-cloud": "AzureUSGovernment"})
    assert config.login_url == "https://login.microsoftonline.us"
    assert config.arm_url == "https://management.usgovcloudapi.net"
    assert config.registry_suffix == "azurecr.us"
    _, config, problems = resolved(
        tmp_path,
        environ={
            "PMCP_AZURE_LOGIN_URL": "http://127.0.0.1:9000/",
            "PMCP_AZURE_ARM_URL": "http://127.0.0.1:9001",
        },
    )
    assert problems == []
    assert (config.login_url, config.arm_url) == ("http://127.0.0.1:9000", "http://127.0.0.1:9001")


def test_the_token_is_for_the_clouds_arm_wherever_requests_go(tmp_path: Path) -> None:
    moved = {"PMCP_AZURE_ARM_URL": "https://arm-proxy.internal.example"}
    _, config, problems = resolved(tmp_path, environ=moved)
    assert problems == [] and config.arm_url == "https://arm-proxy.internal.example"
    assert config.scope == "https://management.azure.com/.default"

    _, config, problems = resolved(tmp_path, {"azure-cloud": "AzureChinaCloud"}, environ=moved)
    assert problems == []
    assert config.scope == "https://management.chinacloudapi.cn/.default"

    private = moved | {"PMCP_AZURE_ARM_RESOURCE": "https://management.stack.example/8f2c"}
    _, config, problems = resolved(tmp_path, environ=private)
    assert problems == [] and config.scope == "https://management.stack.example/8f2c/.default"


def test_an_arm_resource_that_is_no_resource_id_is_a_problem(tmp_path: Path) -> None:
    _, _, problems = resolved(tmp_path, environ={"PMCP_AZURE_ARM_RESOURCE": "management azure"})
    (problem,) = problems
    assert problem.where == "environment variable PMCP_AZURE_ARM_RESOURCE"
    assert problem.what.startswith("'management azure' is not a resource id")
    assert "activeDirectoryResourceId" in problem.fix
    _, _, problems = resolved(tmp_path, environ={"PMCP_AZURE_ARM_URL": "http://arm.example"})
    assert [p.where for p in problems] == ["environment variable PMCP_AZURE_ARM_URL"]


def test_every_problem_is_reported_with_its_source(tmp_path: Path) -> None:
    environ = {"AZURE_TARGET_PORT": "eighty", "AZURE_MIN_REPLICAS": "-1"}
    _, _, problems = resolved(
        tmp_path,
        {
            "azure-tenant-id": "contoso",
            "azure-client-id": "",
            "azure-registry": "no-dashes",
            "region": "East US!",
            "azure-managed-environment": "-bad-",
        },
        environ=environ,
        server_name="Calc_Server",
    )
    where = {p.where for p in problems}
    assert {
        "input 'azure-tenant-id'",
        "input 'azure-client-id'",
        "input 'azure-registry'",
        "input 'region'",
        "input 'azure-managed-environment'",
        "server name",
        "environment variable AZURE_TARGET_PORT",
        "environment variable AZURE_MIN_REPLICAS",
    } <= where


def test_the_client_secret_is_masked_when_read(tmp_path: Path) -> None:
    log = io.StringIO()
    console = Platform(environ={}, log_stream=log)
    context, config, problems = resolved(
        tmp_path, {"azure-client-secret": "s3cr3t~value"}, console=console
    )
    assert problems == [] and config.uses_secret
    context.console.info("the secret is s3cr3t~value")
    assert "s3cr3t~value" not in log.getvalue()
    assert "the secret is" in log.getvalue()


def test_mcp_path_is_appended_with_one_slash_when_set(tmp_path: Path) -> None:
    deploy = _toml(tmp_path, '[server]\nmcp_path = "/mcp/"\n')
    _, config, _ = resolved(tmp_path, config=deploy)
    assert config.endpoint.url("https://calc.example.io/") == "https://calc.example.io/mcp/"
    _, unset, _ = resolved(tmp_path / "unset")
    assert unset.endpoint.url("https://calc.example.io") == "https://calc.example.io"


def test_the_image_input_is_the_shared_spec() -> None:
    from pmcp_action.artifact.oci_image.inputs import IMAGE as SHARED
    from pmcp_action.targets.azure_container_apps.declaration import DECLARATION

    assert [spec for spec in DECLARATION.inputs if spec.name == "image"] == [SHARED]
    assert next(spec for spec in DECLARATION.inputs if spec.name == "image") is SHARED


def test_image_inputs_registry_default_and_their_problems(tmp_path: Path) -> None:
    from pmcp_action.targets.azure_container_apps.config import derived_registry_name

    _, config, problems = resolved(tmp_path, {"image": ""})
    assert problems == [] and config.image == ""
    assert config.registry_derived and config.registry == derived_registry_name(
        SUBSCRIPTION, "calc-rg", "calc"
    )
    assert config.registry.startswith("calc") and len(config.registry) == 14
    assert config.registry.isalnum() and config.registry_host.endswith(".azurecr.io")
    _, again, _ = resolved(tmp_path, {"image": "", "azure-resource-group": "other"})
    assert again.registry != config.registry  # a hash of the subscription, group and name
    _, given, _ = resolved(tmp_path, {"azure-registry": "AcmeRegistry1"})
    assert given.registry == "AcmeRegistry1" and not given.registry_derived

    _, tagged, problems = resolved(tmp_path, {"image": "ghcr.io/acme/calc:latest"})
    assert problems == [] and tagged.image == "ghcr.io/acme/calc:latest"
    _, config, problems = resolved(
        tmp_path,
        {
            "image": "calc:latest",
            "base-image": "not a ref",
            "build-args": "GOOD=1\nnot-a-pair\n",
            "azure-registry": "no",
        },
    )
    where = [p.where for p in problems]
    assert where == [
        "input 'azure-registry'",
        "input 'image'",
        "input 'base-image'",
        "input 'build-args', line 2",
    ], problems
    assert "must start with the registry host" in problems[1].what
    assert "expected KEY=VALUE" in problems[3].what
    assert config.build_args == (("GOOD", "1"),)


def test_the_derived_name_is_a_valid_registry_name_for_any_server_name() -> None:
    from pmcp_action.targets.azure_container_apps.config import derived_registry_name

    for name in ("calc", "a-b", "x" * 32, "9lives"):
        derived = derived_registry_name(SUBSCRIPTION, "rg", name)
        assert derived.isalnum() and 5 <= len(derived) <= 50
        assert derived == derived_registry_name(SUBSCRIPTION, "RG", name)


def _secret_problems(tmp_path: Path, text: str, deploy: str = "") -> list[str]:
    config = _toml(tmp_path, deploy) if deploy else None
    _, _, problems = resolved(tmp_path, {"secrets": text}, config=config)
    return [f"{p.where}: {p.what}" for p in problems]


def test_secret_names_map_to_app_secret_names(tmp_path: Path) -> None:
    _, config, problems = resolved(
        tmp_path, {"secrets": "API_KEY=sk-live-abcdef\nDb_Url2=postgres://x"}
    )
    assert problems == []
    assert dict(config.secret_names) == {"API_KEY": "api-key", "Db_Url2": "db-url2"}
    longest = "A" * 253
    assert _secret_problems(tmp_path, f"{longest}=value-1234") == []


def test_secret_names_container_apps_refuses_are_problems_before_any_call(
    tmp_path: Path,
) -> None:
    said = _secret_problems(
        tmp_path,
        "API_KEY=one-value-1\napi_key=two-value-2\n_TOKEN=three-value\nTOKEN_=four-value\n"
        f"ACR_ADMIN_PASSWORD=five-value\n{'B' * 254}=six-value",
    )
    assert any("API_KEY and api_key would both be the app secret api-key" in s for s in said)
    assert any(s.startswith("input 'secrets' (_TOKEN): _TOKEN cannot be") for s in said)
    assert any(s.startswith("input 'secrets' (TOKEN_): TOKEN_ cannot be") for s in said)
    assert any("holds the registry's admin password" in s for s in said)
    assert any(f"{'B' * 254} cannot be a Container Apps secret" in s for s in said)
    assert len(said) == 5
    # A name deploy.toml requires is checked too, named by its line.
    said = _secret_problems(tmp_path, "", '[secrets]\n_HIDDEN = ""\n')
    assert len(said) == 1 and ".pmcp/deploy.toml:2 [secrets]._HIDDEN: _HIDDEN cannot" in said[0]


def test_how_many_secrets_and_how_large_they_may_be(tmp_path: Path) -> None:
    many = "\n".join(f"S{n:03d}=value-{n:03d}" for n in range(200))
    said = _secret_problems(tmp_path, many)
    assert said == [
        "input 'secrets': 200 secrets; a container app holds at most 49 of them here (each "
        "keeps its fingerprint in an app tag, and Azure allows 50 tags)"
    ]
    assert _secret_problems(tmp_path, "\n".join(many.splitlines()[:49])) == []
    assert _secret_problems(tmp_path, "BIG=" + "x" * 64 * 1024) == []
    huge = "\n".join(f"BIG{n}=" + "x" * 300 * 1024 for n in range(4))
    [said_huge] = _secret_problems(tmp_path, huge)
    assert "add up to 1228800 bytes, over 1048576" in said_huge
