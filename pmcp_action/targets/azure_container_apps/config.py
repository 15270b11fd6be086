"""The ``azure-container-apps`` target's inputs, resolved once into a typed configuration.

Precedence is declared in :mod:`.declaration`; the name-derived defaults (``<name>-rg``,
``<name>-env``, the registry name), the image inputs (read by the shared
:func:`~pmcp_action.artifact.oci_image.inputs.read_image_inputs`) and cargo-pmcp's
``[azure].target_port`` / ``[azure].min_replicas`` (with their ``AZURE_TARGET_PORT`` /
``AZURE_MIN_REPLICAS`` overrides) are applied here. Every message names the source the
value came from; every secret is masked when it is read.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from ...artifact.oci_image.inputs import read_image_inputs
from ...context import RunContext
from ...endpoint import McpEndpoint
from ...errors import Problem
from ...settings.target_inputs import TargetInputs
from ...urls import endpoint_problem
from .declaration import CLOUDS, DEFAULT_AUDIENCE

__all__ = [
    "ARM_URL_ENV",
    "LOGIN_URL_ENV",
    "AzureConfig",
    "derived_registry_name",
    "resolve",
    "resolve_inputs",
]

LOGIN_URL_ENV = "PMCP_AZURE_LOGIN_URL"
ARM_URL_ENV = "PMCP_AZURE_ARM_URL"
TARGET_PORT_ENV = "AZURE_TARGET_PORT"
MIN_REPLICAS_ENV = "AZURE_MIN_REPLICAS"
#: Emulators only: a loopback URL standing for every https://<fqdn> of the app.
APPS_ORIGIN_ENV = "PMCP_AZURE_APPS_ORIGIN"

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
#: Resource group: 1-90 of letters, digits, _ - . ( ); not ending in a period.
_RESOURCE_GROUP = re.compile(r"^[\w\-.()]{0,89}[\w\-()]$")
#: Container app and managed environment: 2-32 lower-case letters, digits and -.
_APP_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
_ENV_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,58}[A-Za-z0-9]$")
#: Registry: 5-50 alphanumerics.
_REGISTRY = re.compile(r"^[A-Za-z0-9]{5,50}$")
_LOCATION = re.compile(r"^[a-z][a-z0-9]{1,39}$")


@dataclass(frozen=True)
class AzureConfig:
    """What the azure-container-apps target was asked to use, offline-checked."""

    tenant_id: str
    client_id: str
    subscription_id: str
    client_secret: str
    audience: str
    login_url: str
    arm_url: str
    registry_suffix: str
    cloud: str
    resource_group: str
    environment: str
    app_name: str
    location: str
    #: The ACR name: the input's, else :func:`derived_registry_name` (``registry_derived``).
    registry: str
    image: str
    target_port: int
    min_replicas: int
    delete_resource_group: bool
    #: The auth input: auto, oidc, secrets or ambient.
    auth: str = "auto"
    #: The MCP endpoint under the app's URL (``[server].mcp_path`` when set).
    endpoint: McpEndpoint = field(default_factory=McpEndpoint)
    apps_origin: str = ""
    registry_derived: bool = False
    base_image: str = ""
    #: Container Apps runs linux/amd64 only.
    platform: str = "linux/amd64"
    build_args: tuple[tuple[str, str], ...] = ()
    artifact: Path | None = None
    variables: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def uses_secret(self) -> bool:
        return bool(self.client_secret)

    @property
    def scope(self) -> str:
        return f"{self.arm_url}/.default"

    @property
    def registry_host(self) -> str:
        """The registry's usual login server (ARM's ``loginServer`` is what is used)."""
        return f"{self.registry.lower()}.{self.registry_suffix}"


def derived_registry_name(subscription: str, group: str, name: str) -> str:
    """The registry name when none is given: the server name's letters and digits and 10 hex
    of a hash of the subscription, group and name (ACR names are global, hence the hash)."""
    letters = re.sub(r"[^a-z0-9]", "", name.lower())[:40]
    digest = hashlib.sha256(f"{subscription}/{group.lower()}/{name}".encode()).hexdigest()
    return f"{letters or 'pmcp'}{digest[:10]}"


def _guid(inputs: TargetInputs, name: str, what: str, problems: list[Problem]) -> str:
    value = inputs.text(name).strip()
    if not value:
        problems.append(
            Problem(
                inputs.source(name),
                f"no {what}",
                f"set {name} (the {what} of the app registration's Overview page)",
            )
        )
    elif not _GUID.match(value):
        problems.append(
            Problem(inputs.source(name), f"is not a {what} (a GUID)", "copy it from the portal")
        )
    return value.lower()


def _endpoint(environ: Mapping[str, str], name: str, default: str, problems: list[Problem]) -> str:
    value = environ.get(name, "").strip().rstrip("/")
    if not value:
        return default
    problem = endpoint_problem(value, f"environment variable {name}")
    if problem is not None:
        problems.append(problem)
    return value


def _number(
    context: RunContext,
    key: str,
    env: str,
    default: int,
    bounds: tuple[int, int],
    problems: list[Problem],
) -> int:
    config = context.project.config
    raw: object = config.table("azure").get(key, default)
    where = config.where(f"azure.{key}")
    text = context.environ.get(env, "").strip()
    if text:
        raw, where = text, f"environment variable {env}"
    try:
        value = int(str(raw)) if not isinstance(raw, bool) else None
    except ValueError:
        value = None
    low, high = bounds
    if value is None or not low <= value <= high:
        problems.append(
            Problem(where, f"must be an integer from {low} to {high}", f"set {key} to such")
        )
        return default
    return value


def resolve(context: RunContext) -> tuple[AzureConfig, list[Problem]]:
    """Read the target's inputs from the run's settings; see :func:`resolve_inputs`."""
    return resolve_inputs(context, context.settings.inputs)


def resolve_inputs(context: RunContext, inputs: TargetInputs) -> tuple[AzureConfig, list[Problem]]:
    """Read the target's inputs; return them with every offline problem found."""
    problems: list[Problem] = []
    tenant = _guid(inputs, "azure-tenant-id", "tenant id", problems)
    client = _guid(inputs, "azure-client-id", "client id", problems)
    subscription = _guid(inputs, "azure-subscription-id", "subscription id", problems)
    secret = inputs.text("azure-client-secret")
    if secret:
        context.console.mask(secret)

    cloud = inputs.string("azure-cloud", problems)
    login, arm, suffix = CLOUDS.get(cloud, CLOUDS["AzureCloud"])
    login = _endpoint(context.environ, LOGIN_URL_ENV, login, problems)
    arm = _endpoint(context.environ, ARM_URL_ENV, arm, problems)

    name = context.project.server_name
    if not _APP_NAME.match(name):
        problems.append(
            Problem(
                "server name",
                f"{name[:70]!r} cannot be a container app name",
                "use 2 to 32 lower-case letters, digits or -, starting with a letter and not "
                "ending with - (set server-name or [server].name)",
            )
        )
    group = inputs.text("azure-resource-group").strip() or f"{name}-rg"
    if not _RESOURCE_GROUP.match(group):
        problems.append(
            Problem(
                inputs.source("azure-resource-group"),
                f"{group[:90]!r} is not a resource group name",
                "use 1 to 90 letters, digits, _ - . ( ), not ending in a period",
            )
        )
    environment = inputs.text("azure-managed-environment").strip() or f"{name}-env"
    if not _ENV_NAME.match(environment):
        problems.append(
            Problem(
                inputs.source("azure-managed-environment"),
                f"{environment[:60]!r} is not a managed environment name",
                "use 2 to 60 letters, digits or -, starting and ending with a letter or digit",
            )
        )
    location = inputs.text("region").strip().lower().replace(" ", "")
    if not _LOCATION.match(location):
        problems.append(
            Problem(
                inputs.source("region"),
                f"{location[:40]!r} is not an Azure location",
                "use a name such as eastus or westeurope (az account list-locations)",
            )
        )
    registry = inputs.text("azure-registry").strip()
    if registry and not _REGISTRY.match(registry):
        problems.append(
            Problem(
                inputs.source("azure-registry"),
                f"{registry[:50]!r} is not a container registry name",
                "use 5 to 50 letters and digits",
            )
        )
    audience = inputs.text("audience").strip() or DEFAULT_AUDIENCE

    image = read_image_inputs(inputs, problems, mask=context.console.mask)
    derived = not registry
    if derived:
        registry = derived_registry_name(subscription, group, name)
    apps_origin = _endpoint(context.environ, APPS_ORIGIN_ENV, "", problems)

    resolved = AzureConfig(
        tenant_id=tenant,
        client_id=client,
        subscription_id=subscription,
        client_secret=secret,
        audience=audience,
        login_url=login,
        arm_url=arm,
        registry_suffix=suffix,
        cloud=cloud,
        resource_group=group,
        environment=environment,
        app_name=name,
        location=location,
        registry=registry,
        image=image.image,
        target_port=_number(context, "target_port", TARGET_PORT_ENV, 8080, (1, 65535), problems),
        min_replicas=_number(context, "min_replicas", MIN_REPLICAS_ENV, 1, (0, 300), problems),
        delete_resource_group=inputs.flag("azure-delete-resource-group", problems),
        auth=inputs.text("auth"),
        endpoint=McpEndpoint.of(context),
        apps_origin=apps_origin,
        registry_derived=derived,
        base_image=image.base_image,
        build_args=image.build_args,
        artifact=inputs.path("artifact"),
        variables=MappingProxyType(dict(context.project.environment)),
        sources=MappingProxyType(dict(inputs.sources)),
    )
    return resolved, problems
