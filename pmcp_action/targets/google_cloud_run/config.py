"""The ``google-cloud-run`` target's inputs, resolved once into a typed configuration.

Precedence is declared in :mod:`.declaration`; cargo-pmcp's Cloud Run keys
(``[server].memory``/``cpu``/``max_instances``/``min_instances``/``ingress``, with the
``CLOUD_RUN_MEMORY``/``CLOUD_RUN_CPU``/``CLOUD_RUN_MAX_INSTANCES`` fallbacks) are read
here. Every message names the source its value came from and never quotes a secret or a
file's content; every secret is masked the moment it is read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from ...context import RunContext
from ...errors import Problem
from ...target_inputs import TargetInputs
from ...urls import endpoint_problem, is_loopback_host
from .artifact_registry import REPOSITORY_ID, registry_host
from .credentials import default_audience
from .declaration import REGISTRY_HOST_ENV, RUN_APP_ORIGIN_ENV
from .endpoints import GoogleEndpoints, resolve_endpoints
from .service import DEFAULTS, INGRESS, SERVICE_NAME, ServiceSettings

__all__ = ["ADC_ENV", "GoogleConfig", "resolve", "resolve_inputs"]

ADC_ENV = "GOOGLE_APPLICATION_CREDENTIALS"
#: cargo-pmcp's init placeholder, treated as unset.
PROJECT_PLACEHOLDER = "your-gcp-project-id"
#: A project id (6-30 of a-z 0-9 -, starting with a letter), optionally domain-scoped.
_PROJECT = re.compile(r"^(?:[a-z][a-z0-9.-]{0,61}[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_PROVIDER = re.compile(
    r"^projects/(?P<number>[^/]+)/locations/global/workloadIdentityPools/(?P<pool>[^/]+)"
    r"/providers/(?P<provider>[^/]+)$"
)
_POOL_ID = re.compile(r"^[a-z0-9-]{4,32}$")
_SERVICE_ACCOUNT = re.compile(
    r"^[a-z0-9][a-z0-9._-]{0,99}@[a-z0-9][a-z0-9.-]*\.gserviceaccount\.com$"
)
_REGION = re.compile(r"^[a-z]+-[a-z]+[0-9]{1,2}$")
_MEMORY = re.compile(r"^[0-9]+(?:Mi|Gi|M|G)$")
_CPU = re.compile(r"^(?:[0-9]+(?:\.[0-9]+)?|[0-9]+m)$")
_HOST_PORT = re.compile(r"^(?P<host>\[[0-9A-Fa-f:]+\]|[A-Za-z0-9.-]+):(?P<port>[0-9]{1,5})$")
#: A credentials file (key or external_account) is a few kB.
MAX_CREDENTIALS_FILE = 64 * 1024


@dataclass(frozen=True)
class GoogleConfig:
    """What the google-cloud-run target was asked to use, offline-checked."""

    project: str
    region: str
    service: str
    #: "oidc" (WIF), "key" (gcp-credentials-json) or "ambient" (GOOGLE_APPLICATION_CREDENTIALS).
    mode: str
    provider: str = ""
    service_account: str = ""
    audience: str = ""
    credentials_json: str = field(default="", repr=False)
    #: The credentials JSON's type: service_account or external_account ("" for OIDC).
    credentials_type: str = ""
    ambient_file: str = ""
    repository: str = ""
    allow_unauthenticated: bool = False
    image: str = ""
    image_repository: str = ""
    base_image: str = ""
    registry_username: str = ""
    registry_password: str = field(default="", repr=False)
    platform: str = ""
    build_args: tuple[tuple[str, str], ...] = ()
    artifact: Path | None = None
    artifact_source: str = "input 'artifact'"
    memory: str = DEFAULTS.memory
    cpu: str = DEFAULTS.cpu
    max_instances: int = DEFAULTS.max_instances
    min_instances: int = DEFAULTS.min_instances
    ingress: str = DEFAULTS.ingress
    port: int = DEFAULTS.port
    environment: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: ``[server].mcp_path`` with a leading slash (default /mcp).
    mcp_path: str = "/mcp"
    endpoints: GoogleEndpoints = field(default_factory=GoogleEndpoints)
    #: The registry host images are pushed to (``<region>-docker.pkg.dev`` unless emulated).
    registry: str = ""
    run_app_origin: str = ""
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def settings(self, image: str) -> ServiceSettings:
        return ServiceSettings(
            server_name=self.service,
            image=image,
            memory=self.memory,
            cpu=self.cpu,
            max_instances=self.max_instances,
            min_instances=self.min_instances,
            ingress=self.ingress,
            port=self.port,
            environment=self.environment,
        )

    @property
    def default_repository(self) -> str:
        """``<registry>/<project>/<repository>/<service>`` (a scoped project's ``:`` → ``/``)."""
        return f"{self.registry}/{self.project.replace(':', '/')}/{self.repository}/{self.service}"


def resolve(context: RunContext) -> tuple[GoogleConfig, list[Problem]]:
    """Read the target's inputs from the run's settings; see :func:`resolve_inputs`."""
    return resolve_inputs(context, context.settings.inputs)


def _project(
    context: RunContext, inputs: TargetInputs, key_project: str, problems: list[Problem]
) -> str:
    value = inputs.text("gcp-project")
    where = inputs.source("gcp-project")
    if value == PROJECT_PLACEHOLDER and where.endswith("[gcp].project_id"):
        value = ""  # cargo-pmcp's placeholder counts as unset: go on down the chain
        for variable in ("GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT"):
            found = context.environ.get(variable, "").strip()
            if found:
                value, where = found, f"environment variable {variable}"
                break
    if not value and key_project:
        value, where = key_project, "the project_id of gcp-credentials-json"
    if not value:
        problems.append(
            Problem(
                "input 'gcp-project'",
                "no Google Cloud project",
                "set gcp-project, [gcp].project_id in .pmcp/deploy.toml or GOOGLE_CLOUD_PROJECT",
            )
        )
    elif not _PROJECT.match(value):
        problems.append(
            Problem(
                where,
                f"{value[:40]!r} is not a Google Cloud project id",
                "use the project id (6 to 30 lower-case letters, digits or -, starting with a "
                "letter), not its name or number: gcloud projects list",
            )
        )
    return value


def _provider(inputs: TargetInputs, problems: list[Problem]) -> str:
    value = inputs.text("gcp-workload-identity-provider").removeprefix("//iam.googleapis.com/")
    if not value:
        return ""
    match = _PROVIDER.match(value)
    fix = (
        "use projects/<project number>/locations/global/workloadIdentityPools/<pool>/providers/"
        "<provider> (gcloud iam workload-identity-pools providers describe <provider> "
        "--location=global --workload-identity-pool=<pool> --format='value(name)')"
    )
    where = inputs.source("gcp-workload-identity-provider")
    if match is None:
        problems.append(Problem(where, "is not a Workload Identity provider resource name", fix))
    elif not match["number"].isdigit():
        problems.append(
            Problem(
                where,
                f"names the project {match['number'][:40]!r}; a provider's name holds the "
                "project number, not its id",
                "find the number with gcloud projects describe <project> "
                "--format='value(projectNumber)'",
            )
        )
    elif not (_POOL_ID.match(match["pool"]) and _POOL_ID.match(match["provider"])):
        problems.append(
            Problem(where, "has a pool or provider id that is not 4-32 of a-z 0-9 -", fix)
        )
    return value


def _credentials_info(text: str, where: str, problems: list[Problem]) -> dict[str, Any]:
    """The JSON's non-secret facts (type, client_email, project_id), never its content."""
    try:
        info = json.loads(text)
    except ValueError:
        info = None
    if not isinstance(info, dict):
        problems.append(
            Problem(
                where,
                f"is not a JSON object ({len(text)} characters)",
                "pass the whole key or credential-configuration file, e.g. "
                "${{ secrets.GCP_CREDENTIALS_JSON }}",
            )
        )
        return {}
    kind = info.get("type")
    if kind not in ("service_account", "external_account"):
        problems.append(
            Problem(
                where,
                f"has type {str(kind)[:40]!r}; expected service_account or external_account",
                "use a service-account key or a Workload Identity credential configuration "
                "(gcloud iam workload-identity-pools create-cred-config)",
            )
        )
        return {}
    if kind == "service_account" and not (info.get("client_email") and info.get("private_key")):
        problems.append(
            Problem(
                where,
                "is a service-account key without client_email or private_key",
                "create a new JSON key for the service account",
            )
        )
    return info


def _ambient_file(context: RunContext, problems: list[Problem]) -> tuple[str, str]:
    path = context.environ.get(ADC_ENV, "").strip()
    where = f"environment variable {ADC_ENV}"
    if not path:
        problems.append(
            Problem(
                "input 'auth'",
                f"auth: ambient reads Application Default Credentials from the file {ADC_ENV} "
                "names, and it is not set (the metadata server is not used)",
                f"set {ADC_ENV} (google-github-actions/auth does), or use OIDC with "
                "gcp-workload-identity-provider",
            )
        )
        return "", ""
    file = Path(path)
    try:
        size = file.stat().st_size if file.is_file() else -1
    except OSError:
        size = -1
    if size < 0:
        problems.append(
            Problem(
                where,
                f"{path[:200]} is not a readable regular file",
                f"point {ADC_ENV} at the credentials file (google-github-actions/auth writes one)",
            )
        )
        return path, ""
    if size > MAX_CREDENTIALS_FILE:
        problems.append(
            Problem(
                where,
                f"{path[:200]} holds {size} bytes; a credentials file is a few kB",
                f"point {ADC_ENV} at a key or external_account JSON",
            )
        )
        return path, ""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        problems.append(
            Problem(
                where,
                f"{path[:200]} cannot be read as UTF-8 text",
                f"point {ADC_ENV} at a key or external_account JSON",
            )
        )
        return path, ""
    context.console.mask(text)
    return path, text


def _mode(inputs: TargetInputs, provider: str, json_text: str, problems: list[Problem]) -> str:
    auth = inputs.text("auth")
    if auth == "ambient":
        return "ambient"
    if auth == "secrets" or (auth == "auto" and json_text):
        if not json_text:
            problems.append(
                Problem(
                    inputs.source("auth"),
                    "auth: secrets, but gcp-credentials-json is empty",
                    "pass gcp-credentials-json from a secret, or use OIDC with "
                    "gcp-workload-identity-provider",
                )
            )
        return "key"
    if not provider:
        problems.append(
            Problem(
                "input 'gcp-workload-identity-provider'",
                "no Google credentials: neither gcp-workload-identity-provider (OIDC) nor "
                "gcp-credentials-json is set",
                "set gcp-workload-identity-provider (and give the job id-token: write), or "
                "pass gcp-credentials-json from a secret",
            )
        )
    return "oidc"


def _server_value(
    context: RunContext, key: str, env: str, default: str, problems: list[Problem]
) -> tuple[str, str]:
    """``[server].<key>`` > ``env`` > ``default``, with the source."""
    config = context.project.config
    raw: object = config.table("server").get(key)
    where = config.where(f"server.{key}")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raw, where = None, ""
    if raw is None and env and context.environ.get(env, "").strip():
        raw, where = context.environ[env].strip(), f"environment variable {env}"
    if raw is None:
        return default, "default"
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        problems.append(Problem(where, "must be a single value", "fix the file"))
        return default, where
    return str(raw).strip(), where


def _count(context: RunContext, key: str, env: str, default: int, problems: list[Problem]) -> int:
    text, where = _server_value(context, key, env, str(default), problems)
    if text.isdigit() and 0 <= int(text) <= 1000:
        return int(text)
    problems.append(
        Problem(where, f"{key} must be an integer from 0 to 1000", f"set {key} to such a number")
    )
    return default


def _registry(
    context: RunContext, endpoints: GoogleEndpoints, region: str, problems: list[Problem]
) -> str:
    value = context.environ.get(REGISTRY_HOST_ENV, "").strip().removeprefix("http://")
    value = value.rstrip("/")
    if not value:
        return registry_host(region)
    where = f"environment variable {REGISTRY_HOST_ENV}"
    match = _HOST_PORT.match(value)
    api_host = urlsplit(endpoints.override).hostname or ""
    if match is None or not is_loopback_host(match["host"]):
        problems.append(
            Problem(where, f"{value[:80]!r} is not a loopback host:port", "e.g. 127.0.0.1:5000")
        )
    elif not endpoints.override or not is_loopback_host(api_host):
        problems.append(
            Problem(
                where,
                "is for emulators only and needs a loopback PMCP_GOOGLE_API_URL beside it",
                f"unset {REGISTRY_HOST_ENV} to push to {registry_host(region)}",
            )
        )
    return value


def _build_args(inputs: TargetInputs, problems: list[Problem]) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for line in inputs.text("build-args").splitlines():
        if not line.strip():
            continue
        key, sep, value = line.strip().partition("=")
        if not sep or not key.strip():
            problems.append(
                Problem(inputs.source("build-args"), "each line must be KEY=VALUE", "fix the line")
            )
            continue
        pairs.append((key.strip(), value))
    return tuple(pairs)


def resolve_inputs(context: RunContext, inputs: TargetInputs) -> tuple[GoogleConfig, list[Problem]]:
    """Read the target's inputs; return them with every offline problem found."""
    problems: list[Problem] = []
    mask = context.console.mask
    json_text = inputs.text("gcp-credentials-json")
    if json_text:
        mask(json_text)
    password = inputs.text("registry-password")
    if password:
        mask(password)

    provider = _provider(inputs, problems)
    mode = _mode(inputs, provider, json_text, problems)
    ambient_file = ""
    info: dict[str, Any] = {}
    if mode == "ambient":
        ambient_file, ambient_text = _ambient_file(context, problems)
        if ambient_text:
            info = _credentials_info(ambient_text, f"the file {ADC_ENV} names", problems)
            json_text = ambient_text
    elif mode == "key" and json_text:
        info = _credentials_info(json_text, inputs.source("gcp-credentials-json"), problems)
        if info.get("private_key"):
            mask(str(info["private_key"]))
    key_project = str(info.get("project_id", "")) if info.get("type") == "service_account" else ""
    project = _project(context, inputs, key_project, problems)

    service_account = inputs.text("gcp-service-account")
    if service_account and not _SERVICE_ACCOUNT.match(service_account):
        problems.append(
            Problem(
                inputs.source("gcp-service-account"),
                f"{service_account[:80]!r} is not a service-account email",
                "use <name>@<project>.iam.gserviceaccount.com",
            )
        )
    if service_account and mode != "oidc":
        context.console.warning(
            f"{inputs.source('gcp-service-account')} is used only with OIDC (Workload Identity "
            "Federation); the credentials JSON says whom it impersonates itself.",
            title="Input not used",
        )

    service = context.project.server_name
    if not SERVICE_NAME.match(service):
        problems.append(
            Problem(
                "server name",
                f"{service[:70]!r} cannot be a Cloud Run service name",
                "use at most 49 lower-case letters, digits or -, starting with a letter and not "
                "ending with - (set server-name or [server].name)",
            )
        )
    region = inputs.string("region", problems)
    if not _REGION.match(region):
        problems.append(
            Problem(
                inputs.source("region"),
                f"{region[:40]!r} is not a Cloud Run region",
                "use a region such as us-central1 or europe-west1 (gcloud run regions list)",
            )
        )
    repository = inputs.string("gcp-repository", problems)
    if not REPOSITORY_ID.match(repository):
        problems.append(
            Problem(
                inputs.source("gcp-repository"),
                f"{repository[:70]!r} is not an Artifact Registry repository id",
                "use lower-case letters, digits and -, starting with a letter (at most 63)",
            )
        )

    memory, where = _server_value(context, "memory", "CLOUD_RUN_MEMORY", DEFAULTS.memory, problems)
    if not _MEMORY.match(memory):
        problems.append(Problem(where, f"memory {memory[:20]!r} is not a size", "e.g. 512Mi, 1Gi"))
    cpu, where = _server_value(context, "cpu", "CLOUD_RUN_CPU", DEFAULTS.cpu, problems)
    if not _CPU.match(cpu):
        problems.append(Problem(where, f"cpu {cpu[:20]!r} is not a CPU count", "e.g. 1, 2, 1000m"))
    max_instances = _count(
        context, "max_instances", "CLOUD_RUN_MAX_INSTANCES", DEFAULTS.max_instances, problems
    )
    min_instances = _count(context, "min_instances", "", DEFAULTS.min_instances, problems)
    if max_instances and min_instances > max_instances:
        problems.append(
            Problem(
                context.project.config.where("server.min_instances"),
                f"min_instances ({min_instances}) is above max_instances ({max_instances})",
                "lower [server].min_instances or raise [server].max_instances",
            )
        )
    default_ingress = next(key for key, name in INGRESS.items() if name == DEFAULTS.ingress)
    ingress_name, where = _server_value(context, "ingress", "", default_ingress, problems)
    ingress = INGRESS.get(ingress_name, "")
    if not ingress:
        problems.append(
            Problem(where, f"ingress {ingress_name[:40]!r} is unknown", f"use {', '.join(INGRESS)}")
        )

    mcp_path: object = context.project.config.table("server").get("mcp_path", "")
    if not isinstance(mcp_path, str):
        problems.append(
            Problem(
                context.project.config.where("server.mcp_path"),
                "must be a string",
                'write it as mcp_path = "/mcp"',
            )
        )
        mcp_path = ""
    mcp_path = mcp_path.strip().strip("/") or "mcp"

    endpoints = resolve_endpoints(context.environ, problems)
    origin = context.environ.get(RUN_APP_ORIGIN_ENV, "").strip().rstrip("/")
    if origin:
        problem = endpoint_problem(origin, f"environment variable {RUN_APP_ORIGIN_ENV}")
        if problem is not None:
            problems.append(problem)
            origin = ""

    environment = {k: v for k, v in context.project.environment.items() if k != "PORT"}
    if "PORT" in context.project.environment:
        context.console.warning(
            "PORT is set by Cloud Run itself (8080) and cannot be given; it is left out of "
            "the service's environment.",
            title="Environment",
        )

    audience = inputs.text("audience") or (default_audience(provider) if provider else "")
    resolved = GoogleConfig(
        project=project,
        region=region,
        service=service,
        mode=mode,
        provider=provider,
        service_account=service_account if mode == "oidc" else "",
        audience=audience,
        credentials_json=json_text,
        credentials_type=str(info.get("type", "")),
        ambient_file=ambient_file,
        repository=repository,
        allow_unauthenticated=inputs.flag("allow-unauthenticated", problems),
        image=inputs.text("image"),
        image_repository=inputs.text("image-repository"),
        base_image=inputs.text("base-image"),
        registry_username=inputs.text("registry-username"),
        registry_password=password,
        platform=inputs.string("platform", problems),
        build_args=_build_args(inputs, problems),
        artifact=inputs.path("artifact"),
        artifact_source=inputs.source("artifact"),
        memory=memory,
        cpu=cpu,
        max_instances=max_instances,
        min_instances=min_instances,
        ingress=ingress or DEFAULTS.ingress,
        environment=MappingProxyType(environment),
        mcp_path=f"/{mcp_path}",
        endpoints=endpoints,
        registry=_registry(context, endpoints, region, problems),
        run_app_origin=origin,
        sources=MappingProxyType(dict(inputs.sources)),
    )
    return resolved, problems
