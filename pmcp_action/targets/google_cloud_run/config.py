"""The ``google-cloud-run`` target's inputs, resolved once into a typed configuration.

Precedence is declared in :mod:`.declaration`; cargo-pmcp's Cloud Run keys
(``[server].memory``/``cpu``/``max_instances``/``min_instances``/``ingress``, with the
``CLOUD_RUN_MEMORY``/``CLOUD_RUN_CPU``/``CLOUD_RUN_MAX_INSTANCES`` fallbacks) are read
here; the credential inputs by :mod:`.credential_inputs`, the image inputs by the rule every
container target shares. Every message names the source its value came from and never
quotes a secret or a file's content; every secret is masked the moment it is read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from urllib.parse import urlsplit

from ...artifact.oci_image.inputs import ImageInputs, read_image_inputs
from ...artifact.oci_image.reference import parse_repository
from ...context import RunContext
from ...endpoint import McpEndpoint
from ...errors import Problem
from ...settings.target_inputs import TargetInputs
from ...settings.vocabulary import McpPathRule
from ...urls import endpoint_problem, is_loopback_host
from .artifact_registry import REPOSITORY_ID, registry_host
from .credential_inputs import read_credential_inputs
from .declaration import REGISTRY_HOST_ENV, RUN_APP_ORIGIN_ENV
from .endpoints import GoogleEndpoints, resolve_endpoints
from .service import DEFAULTS, INGRESS, SERVICE_NAME, SecretRef, ServiceSettings

__all__ = [
    "MAX_SECRET_BYTES",
    "MAX_VARIABLES",
    "RESERVED_VARIABLES",
    "GoogleConfig",
    "resolve",
    "resolve_inputs",
    "secret_id",
]

#: cargo-pmcp's init placeholder, treated as unset.
PROJECT_PLACEHOLDER = "your-gcp-project-id"
#: A project id (6-30 of a-z 0-9 -, starting with a letter), optionally domain-scoped.
_PROJECT = re.compile(r"^(?:[a-z][a-z0-9.-]{0,61}[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_REGION = re.compile(r"^[a-z]+-[a-z]+[0-9]{1,2}$")
_MEMORY = re.compile(r"^[0-9]+(?:Mi|Gi|M|G)$")
_CPU = re.compile(r"^(?:[0-9]+(?:\.[0-9]+)?|[0-9]+m)$")
_HOST_PORT = re.compile(r"^(?P<host>\[[0-9A-Fa-f:]+\]|[A-Za-z0-9.-]+):(?P<port>[0-9]{1,5})$")
#: Secret Manager's secret ids.
_SECRET_ID = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_SECRET_ID_MAX = 255
#: Secret Manager keeps at most 64 KiB in one version.
MAX_SECRET_BYTES = 64 * 1024
#: Cloud Run's limit on a service's environment variables (secrets count among them).
MAX_VARIABLES = 1000
#: Variables Cloud Run's container contract sets itself.
RESERVED_VARIABLES = frozenset({"PORT", "K_SERVICE", "K_REVISION", "K_CONFIGURATION"})


def secret_id(service: str, name: str) -> str:
    """The Secret Manager id of the server's secret ``name``: ``<service>-<name>`` (the
    variable's letters, digits and _ are all in Secret Manager's alphabet, so kept as is)."""
    return f"{service}-{name}"


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
    #: The image inputs (image, image-repository, base-image, the registry login, platform,
    #: build-args), read by the rule every container target shares.
    images: ImageInputs = field(default_factory=ImageInputs)
    artifact: Path | None = None
    artifact_source: str = "input 'artifact'"
    memory: str = DEFAULTS.memory
    cpu: str = DEFAULTS.cpu
    max_instances: int = DEFAULTS.max_instances
    min_instances: int = DEFAULTS.min_instances
    ingress: str = DEFAULTS.ingress
    port: int = DEFAULTS.port
    environment: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: The MCP endpoint under a service URL (``[server].mcp_path``, else /mcp).
    endpoint: McpEndpoint = field(default_factory=lambda: McpEndpoint(McpPathRule.DEFAULT_MCP))
    endpoints: GoogleEndpoints = field(default_factory=GoogleEndpoints)
    #: The registry host images are pushed to (``<region>-docker.pkg.dev`` unless emulated).
    registry: str = ""
    run_app_origin: str = ""

    def settings(
        self, image: str, secrets: Mapping[str, SecretRef] | None = None
    ) -> ServiceSettings:
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
            secrets=MappingProxyType(dict(secrets or {})),
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


def _secret_problems(context: RunContext, service: str, environment: int) -> list[Problem]:
    """Secret Manager's and Cloud Run's rules for the server's secrets, checked offline."""
    secrets = context.project.secrets
    config = context.project.config
    problems: list[Problem] = []
    for name in sorted(set(secrets.values) | set(secrets.required)):
        where = (
            f"{secrets.sources[name]} ({name})"
            if name in secrets.sources
            else config.where(f"secrets.{name}")
        )
        if name in RESERVED_VARIABLES:
            problems.append(
                Problem(
                    where,
                    f"{name} is set by Cloud Run itself and cannot be a secret",
                    "give the secret another name (and read that in the server)",
                )
            )
        if not _SECRET_ID.match(secret_id(service, name)):
            longest = _SECRET_ID_MAX - len(service) - 1
            problems.append(
                Problem(
                    where,
                    f"the secret {name[:40]} would be the Secret Manager secret "
                    f"{service}-{name[:20]}…, longer than Secret Manager's {_SECRET_ID_MAX} "
                    "characters",
                    f"use a name of at most {longest} characters (the secret id is "
                    f"<service>-<name>)",
                )
            )
        size = len(secrets.values.get(name, "").encode("utf-8"))
        if size > MAX_SECRET_BYTES:
            problems.append(
                Problem(
                    where,
                    f"the secret {name} is {size} bytes; Secret Manager keeps at most "
                    f"{MAX_SECRET_BYTES} bytes (64 KiB) in one version",
                    "store a smaller value (e.g. a key that unlocks the rest)",
                )
            )
    count = environment + len(set(secrets.values) | set(secrets.required))
    if count > MAX_VARIABLES:
        problems.append(
            Problem(
                "inputs 'environment' and 'secrets'",
                f"{count} environment variables and secrets; a Cloud Run service takes at "
                f"most {MAX_VARIABLES}",
                "merge some of them (e.g. one JSON secret holding several values)",
            )
        )
    return problems


def resolve_inputs(context: RunContext, inputs: TargetInputs) -> tuple[GoogleConfig, list[Problem]]:
    """Read the target's inputs; return them with every offline problem found."""
    problems: list[Problem] = []
    mask = context.console.mask
    images = read_image_inputs(inputs, problems, mask=mask)
    if images.repository:
        try:
            parse_repository(images.repository, "")
        except ValueError as exc:
            problems.append(Problem(inputs.source("image-repository"), str(exc)))

    signer = read_credential_inputs(context, inputs, problems)
    project = _project(context, inputs, signer.key_project, problems)

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

    problems += _secret_problems(context, service, len(environment))

    resolved = GoogleConfig(
        project=project,
        region=region,
        service=service,
        mode=signer.mode,
        provider=signer.provider,
        service_account=signer.service_account,
        audience=signer.audience,
        credentials_json=signer.credentials_json,
        credentials_type=signer.credentials_type,
        ambient_file=signer.ambient_file,
        repository=repository,
        allow_unauthenticated=inputs.flag("allow-unauthenticated", problems),
        images=images,
        artifact=inputs.path("artifact"),
        artifact_source=inputs.source("artifact"),
        memory=memory,
        cpu=cpu,
        max_instances=max_instances,
        min_instances=min_instances,
        ingress=ingress or DEFAULTS.ingress,
        environment=MappingProxyType(environment),
        endpoint=McpEndpoint.of(context),
        endpoints=endpoints,
        registry=_registry(context, endpoints, region, problems),
        run_app_origin=origin,
    )
    return resolved, problems
