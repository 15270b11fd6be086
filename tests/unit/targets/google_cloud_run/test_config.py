"""The google-cloud-run inputs resolved once: fallbacks, defaults, every problem with its source."""

from __future__ import annotations

from pathlib import Path

from .helpers import OIDC, PROVIDER, problems_text, resolve_config


def test_defaults_are_cargo_pmcps(tmp_path: Path) -> None:
    config, problems, _ = resolve_config(tmp_path)
    assert problems == []
    assert (config.project, config.region, config.service) == (
        "demo-project",
        "us-central1",
        "calc",
    )
    assert config.mode == "oidc" and config.audience == f"https://iam.googleapis.com/{PROVIDER}"
    assert (config.memory, config.cpu, config.max_instances, config.min_instances) == (
        "512Mi",
        "1",
        10,
        0,
    )
    assert config.ingress == "INGRESS_TRAFFIC_ALL" and config.port == 8080
    assert config.repository == "pmcp" and config.allow_unauthenticated is True
    assert config.endpoint.url("https://calc-uc.a.run.app") == "https://calc-uc.a.run.app/mcp"
    assert config.images.platform == "linux/amd64"
    assert config.default_repository == "us-central1-docker.pkg.dev/demo-project/pmcp/calc"


def test_deploy_toml_and_the_clouds_variables_in_order(tmp_path: Path) -> None:
    toml = (
        'memory = "1Gi"\ncpu = "2"\nmax_instances = 3\nmin_instances = 1\ningress = "internal"\n'
        'allow_unauthenticated = false\nmcp_path = "/rpc"\n'
        '[gcp]\nproject_id = "toml-project"\nregion = "europe-west1"\nrepository = "servers"\n'
    )
    environ = {"GOOGLE_CLOUD_PROJECT": "env-project", "CLOUD_RUN_REGION": "asia-east1"}
    config, problems, _ = resolve_config(
        tmp_path,
        {"gcp-workload-identity-provider": PROVIDER},
        toml=toml,
        environ=environ,
        environment={"GREETING": "hi", "PORT": "9"},
    )
    assert problems == []
    assert (config.project, config.region, config.repository) == (
        "toml-project",
        "europe-west1",
        "servers",
    )
    assert (config.memory, config.cpu, config.max_instances, config.min_instances) == (
        "1Gi",
        "2",
        3,
        1,
    )
    assert config.ingress == "INGRESS_TRAFFIC_INTERNAL_ONLY"
    assert config.allow_unauthenticated is False
    assert config.endpoint.url("https://calc-uc.a.run.app/") == "https://calc-uc.a.run.app/rpc"
    assert dict(config.environment) == {"GREETING": "hi"}  # never PORT

    config, _, _ = resolve_config(
        tmp_path / "b",
        {"gcp-workload-identity-provider": PROVIDER},
        environ={"CLOUDSDK_CORE_PROJECT": "sdk-project", "CLOUD_RUN_MEMORY": "2Gi"},
    )
    assert config.project == "sdk-project" and config.memory == "2Gi"


def test_cargo_pmcps_placeholder_project_counts_as_unset(tmp_path: Path) -> None:
    config, problems, _ = resolve_config(
        tmp_path,
        {"gcp-workload-identity-provider": PROVIDER},
        toml='[gcp]\nproject_id = "your-gcp-project-id"\n',
        environ={"GOOGLE_CLOUD_PROJECT": "real-project"},
    )
    assert problems == [] and config.project == "real-project"


def test_every_problem_is_reported_with_its_source(tmp_path: Path) -> None:
    _, problems, _ = resolve_config(
        tmp_path,
        {
            "gcp-project": "My Project",
            "gcp-workload-identity-provider": "projects/my-proj/locations/global/"
            "workloadIdentityPools/ci-pool/providers/github",
            "gcp-service-account": "deployer@example.com",
            "region": "Europe West",
            "gcp-repository": "Bad_Repo",
        },
        toml='memory = "lots"\ncpu = "x"\ningress = "everyone"\nmin_instances = 20\n',
        server_name="calc-",
    )
    text = problems_text(problems).replace(str(tmp_path), "<tmp>")
    assert "input 'gcp-project': 'My Project' is not a Google Cloud project id" in text
    assert "input 'gcp-workload-identity-provider': names the project 'my-proj'" in text
    assert "project number, not its id" in text
    assert "input 'gcp-service-account': 'deployer@example.com' is not a service-account" in text
    assert "input 'region': 'Europe West' is not a Cloud Run region" in text
    assert "input 'gcp-repository': 'Bad_Repo' is not an Artifact Registry repository id" in text
    assert "server name: 'calc-' cannot be a Cloud Run service name" in text
    assert "<tmp>/.pmcp/deploy.toml:3 [server].memory: memory 'lots' is not a size" in text
    assert "<tmp>/.pmcp/deploy.toml:4 [server].cpu: cpu 'x' is not a CPU count" in text
    assert "<tmp>/.pmcp/deploy.toml:5 [server].ingress: ingress 'everyone' is unknown" in text
    assert "[server].min_instances: min_instances (20) is above max_instances (10)" in text
    assert len(problems) == 10


def test_service_names_follow_cloud_runs_rules(tmp_path: Path) -> None:
    for name, ok in (
        ("calc", True),
        ("a" * 49, True),
        ("a" * 50, False),
        ("9calc", False),
        ("calc-", False),
        ("Calc", False),
    ):
        _, problems, _ = resolve_config(tmp_path / name, server_name=name)
        assert (not problems) == ok, (name, problems)


def test_the_emulator_registry_needs_a_loopback_api(tmp_path: Path) -> None:
    _, problems, _ = resolve_config(
        tmp_path, environ={"PMCP_GOOGLE_REGISTRY_HOST": "127.0.0.1:5000"}
    )
    assert "needs a loopback PMCP_GOOGLE_API_URL" in problems_text(problems)
    config, problems, _ = resolve_config(
        tmp_path / "b",
        environ={
            "PMCP_GOOGLE_REGISTRY_HOST": "127.0.0.1:5000",
            "PMCP_GOOGLE_API_URL": "http://localhost",
        },
    )
    assert problems == [] and config.default_repository == "127.0.0.1:5000/demo-project/pmcp/calc"
    _, problems, _ = resolve_config(
        tmp_path / "c",
        environ={
            "PMCP_GOOGLE_REGISTRY_HOST": "registry.example.com:443",
            "PMCP_GOOGLE_API_URL": "http://127.0.0.1:9",
        },
    )
    assert "is not a loopback host:port" in problems_text(problems)


def test_the_image_inputs_are_checked_offline_by_the_shared_rule(tmp_path: Path) -> None:
    _, problems, log = resolve_config(
        tmp_path,
        {
            **OIDC,
            "image": "not a reference",
            "image-repository": "ghcr.io/acme/calc:1.0",
            "registry-password": "s3cret-registry-token",
            "build-args": "FEATURES=full\nnot a pair",
        },
    )
    text = problems_text(problems)
    assert "input 'image': 'not a reference' is not an image reference" in text
    assert "input 'image-repository': " in text and "takes no tag or digest" in text
    assert "registry-password is given without registry-username" in text
    assert "input 'build-args'" in text
    assert "s3cret-registry-token" not in text + log


def test_secrets_within_secret_managers_and_cloud_runs_limits_are_taken(tmp_path: Path) -> None:
    longest = "A" * (255 - len("calc-"))
    many = {f"S{i:03d}": f"value-{i}" for i in range(198)}
    secrets = {**many, "BIG": "v" * 65536, longest: "multi\nline=value"}
    _, problems, _ = resolve_config(tmp_path, secrets=secrets)
    assert problems == []


def test_a_secret_the_platform_cannot_hold_is_named_with_its_source(tmp_path: Path) -> None:
    too_long = "A" * (256 - len("calc-"))
    secrets = {"PORT": "xxxx", "K_SERVICE": "yyyy", "BIG": "v" * 65537, too_long: "zzzz"}
    _, problems, log = resolve_config(tmp_path, secrets=secrets, required=["K_REVISION"])
    text = problems_text(problems)
    assert "input 'secrets' (PORT): PORT is set by Cloud Run itself" in text
    assert "input 'secrets' (K_SERVICE): K_SERVICE is set by Cloud Run itself" in text
    assert "K_REVISION is set by Cloud Run itself" in text
    assert "the secret BIG is 65537 bytes; Secret Manager keeps at most 65536" in text
    assert "longer than Secret Manager's 255 characters" in text
    assert "use a name of at most 250 characters" in text
    assert len(problems) == 5
    for value in secrets.values():
        assert value not in text and value not in log


def test_secrets_and_variables_together_within_cloud_runs_thousand(tmp_path: Path) -> None:
    environment = {f"E{i}": "v" for i in range(900)}
    secrets = {f"S{i}": "value" for i in range(101)}
    _, problems, _ = resolve_config(tmp_path, environment=environment, secrets=secrets)
    assert "1001 environment variables and secrets; a Cloud Run service takes at most 1000" in (
        problems_text(problems)
    )
