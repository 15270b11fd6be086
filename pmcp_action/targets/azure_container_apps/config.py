"""The ``azure-container-apps`` target's inputs, resolved once into a typed configuration.

Precedence is declared in :mod:`.declaration`; the name-derived defaults (``<name>-rg``,
``<name>-env``, the registry name), the image inputs (read by the shared
:func:`~pmcp_action.artifact.oci_image.inputs.read_image_inputs`) and cargo-pmcp's
``[azure].target_port`` / ``[azure].min_replicas`` (with their ``AZURE_TARGET_PORT`` /
``AZURE_MIN_REPLICAS`` overrides) are applied here. Every message names the source the
value came from; every secret is masked when it is read.

The server's secrets become app secrets of Container Apps, whose names are lower-case
letters, digits and ``-``, starting and ending with a letter or digit, at most 253
characters: :func:`app_secret_name` maps a variable name to one (``API_KEY`` → ``api-key``),
and two names that map to one, or one that maps to the registry password's secret, are
refused here. Each secret's fingerprint is an app tag (Azure allows 50 tags on a resource,
one is the ownership mark), so an app holds at most :data:`MAX_SECRETS` of them; their
values are written in the app's one request, so all of them together are at most
:data:`MAX_SECRET_BYTES` (ARM takes at most 4 MB in a request).
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
from ...secrets.model import ServerSecrets
from ...settings.deploy_toml import DeployConfig
from ...settings.target_inputs import TargetInputs
from ...urls import endpoint_problem
from .declaration import CLOUDS, DECLARATION, DEFAULT_AUDIENCE

__all__ = [
    "ARM_RESOURCE_ENV",
    "ARM_URL_ENV",
    "LOGIN_URL_ENV",
    "MAX_SECRETS",
    "MAX_SECRET_BYTES",
    "REGISTRY_PASSWORD_SECRET",
    "AzureConfig",
    "app_secret_name",
    "derived_registry_name",
    "resolve",
    "resolve_inputs",
    "secret_problems",
]

LOGIN_URL_ENV = "PMCP_AZURE_LOGIN_URL"
ARM_URL_ENV = "PMCP_AZURE_ARM_URL"
#: ARM's resource id for a private cloud: what the token is for, wherever ARM is reached.
ARM_RESOURCE_ENV = "PMCP_AZURE_ARM_RESOURCE"
TARGET_PORT_ENV = "AZURE_TARGET_PORT"
MIN_REPLICAS_ENV = "AZURE_MIN_REPLICAS"
#: Emulators only: a loopback URL standing for every https://<fqdn> of the app.
APPS_ORIGIN_ENV = "PMCP_AZURE_APPS_ORIGIN"

#: A resource id Entra ID issues tokens for: an https:// or api:// URI, or an app id.
_RESOURCE_ID = re.compile(
    r"^((https|api)://[^\s/]+(/\S*)?|[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12})$"
)
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
#: Resource group: 1-90 of letters, digits, _ - . ( ); not ending in a period.
_RESOURCE_GROUP = re.compile(r"^[\w\-.()]{0,89}[\w\-()]$")
#: Container app and managed environment: 2-32 lower-case letters, digits and -.
_APP_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
_ENV_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,58}[A-Za-z0-9]$")
#: Registry: 5-50 alphanumerics.
_REGISTRY = re.compile(r"^[A-Za-z0-9]{5,50}$")
_LOCATION = re.compile(r"^[a-z][a-z0-9]{1,39}$")
#: An app secret's name: lower-case letters, digits and -, a letter or digit at each end.
_SECRET_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,251}[a-z0-9])?$")
#: The app secret holding the registry's admin password (:mod:`.pull_access`).
REGISTRY_PASSWORD_SECRET = "acr-admin-password"
#: Secrets one app holds: each fingerprint is a tag, Azure allows 50, the mark is one.
MAX_SECRETS = 49
#: All secret values together, in UTF-8 (the app, values and all, is one ARM request).
MAX_SECRET_BYTES = 1024 * 1024


@dataclass(frozen=True)
class AzureConfig:
    """What the azure-container-apps target was asked to use, offline-checked."""

    tenant_id: str
    client_id: str
    subscription_id: str
    client_secret: str
    audience: str
    login_url: str
    #: Where ARM requests go (the cloud's, or PMCP_AZURE_ARM_URL).
    arm_url: str
    #: ARM's resource id, the audience of its tokens (Entra ID's scope, a managed identity's
    #: or the az CLI's resource): the cloud's ARM URL (azure-cloud), or
    #: PMCP_AZURE_ARM_RESOURCE; never PMCP_AZURE_ARM_URL, which moves only the requests.
    arm_resource: str
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
    #: The server's secrets (given or required) by variable name → their app secret names.
    secret_names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def uses_secret(self) -> bool:
        return bool(self.client_secret)

    @property
    def scope(self) -> str:
        """What Entra ID is asked for: a token for ARM (its resource id), as Entra ID names
        it (``<resource>/.default``)."""
        return f"{self.arm_resource}/.default"

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


def app_secret_name(variable: str) -> str:
    """The app secret a variable reads: lower case, ``_`` → ``-`` (``API_KEY`` → ``api-key``)."""
    return variable.lower().replace("_", "-")


def secret_problems(
    secrets: ServerSecrets, config: DeployConfig
) -> tuple[dict[str, str], list[Problem]]:
    """Each secret's app secret name, and what Container Apps would refuse, found offline."""
    names: dict[str, str] = {}
    problems: list[Problem] = []
    by_app_name: dict[str, list[str]] = {}
    wanted = sorted(set(secrets.values) | set(secrets.required))
    for variable in wanted:
        where = (
            f"{secrets.sources[variable]} ({variable})"
            if variable in secrets.sources
            else config.where(f"secrets.{variable}")
        )
        mapped = app_secret_name(variable)
        if not _SECRET_NAME.match(mapped):
            problems.append(
                Problem(
                    where,
                    f"{variable} cannot be a Container Apps secret: its app secret name "
                    f"{mapped[:60]!r} must start and end with a letter or digit and be at most "
                    "253 characters (the name is lower-cased, _ becomes -)",
                    "rename the variable (no leading or trailing _)",
                )
            )
            continue
        names[variable] = mapped
        by_app_name.setdefault(mapped, []).append(variable)
    for mapped, variables in sorted(by_app_name.items()):
        if len(variables) > 1:
            problems.append(
                Problem(
                    ", ".join(sorted({secrets.sources.get(v, "deploy.toml") for v in variables})),
                    f"{' and '.join(variables)} would both be the app secret {mapped} (Container "
                    "Apps secret names are lower case, _ becomes -)",
                    "give them names that differ in more than case and _",
                )
            )
        elif mapped == REGISTRY_PASSWORD_SECRET:
            problems.append(
                Problem(
                    secrets.sources.get(variables[0], config.where(f"secrets.{variables[0]}")),
                    f"{variables[0]} would be the app secret {mapped}, which holds the "
                    "registry's admin password",
                    "rename the variable",
                )
            )
    if len(wanted) > MAX_SECRETS:
        problems.append(
            Problem(
                "input 'secrets'",
                f"{len(wanted)} secrets; a container app holds at most {MAX_SECRETS} of them "
                "here (each keeps its fingerprint in an app tag, and Azure allows 50 tags)",
                "keep fewer secrets (e.g. one JSON value holding several)",
            )
        )
    size = sum(len(v.encode("utf-8")) for v in secrets.values.values())
    if size > MAX_SECRET_BYTES:
        problems.append(
            Problem(
                "input 'secrets'",
                f"the secrets' values add up to {size} bytes, over {MAX_SECRET_BYTES} (they are "
                "written in the app's one ARM request, which takes at most 4 MB)",
                "keep large values elsewhere (a storage account) and pass their location",
            )
        )
    return names, problems


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


def _arm_resource(environ: Mapping[str, str], default: str, problems: list[Problem]) -> str:
    """ARM's resource id: PMCP_AZURE_ARM_RESOURCE when set, else the cloud's ARM URL."""
    value = environ.get(ARM_RESOURCE_ENV, "").strip()
    if not value:
        return default
    if not _RESOURCE_ID.match(value):
        problems.append(
            Problem(
                f"environment variable {ARM_RESOURCE_ENV}",
                f"{value[:80]!r} is not a resource id (an https:// or api:// URI, or a GUID)",
                "give ARM's resource id in your cloud (az cloud show --query "
                "endpoints.activeDirectoryResourceId), or unset it to use azure-cloud's",
            )
        )
    return value


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
    auth = inputs.text("auth")
    identity: list[Problem] = []
    tenant = _guid(inputs, "azure-tenant-id", "tenant id", identity)
    client = _guid(inputs, "azure-client-id", "client id", identity)
    if auth == "ambient":
        pass  # a person's or a machine's own sign-in needs no app registration
    elif not (tenant or client or context.console.ci):
        problems.append(
            Problem(
                "inputs 'azure-tenant-id' and 'azure-client-id'",
                "no app registration to sign in as",
                f"{DECLARATION.terminal}; or set both (the app registration's Overview page)",
            )
        )
    else:
        problems += identity
    subscription = _guid(inputs, "azure-subscription-id", "subscription id", problems)
    secret = inputs.text("azure-client-secret")
    if secret:
        context.console.mask(secret)

    cloud = inputs.string("azure-cloud", problems)
    login, arm, suffix = CLOUDS.get(cloud, CLOUDS["AzureCloud"])
    login = _endpoint(context.environ, LOGIN_URL_ENV, login, problems)
    resource = _arm_resource(context.environ, arm, problems)
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
    secret_names, secret_refusals = secret_problems(context.project.secrets, context.project.config)
    problems += secret_refusals

    resolved = AzureConfig(
        tenant_id=tenant,
        client_id=client,
        subscription_id=subscription,
        client_secret=secret,
        audience=audience,
        login_url=login,
        arm_url=arm,
        arm_resource=resource,
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
        auth=auth,
        endpoint=McpEndpoint.of(context),
        apps_origin=apps_origin,
        registry_derived=derived,
        base_image=image.base_image,
        build_args=image.build_args,
        artifact=inputs.path("artifact"),
        variables=MappingProxyType(dict(context.project.environment)),
        sources=MappingProxyType(dict(inputs.sources)),
        secret_names=MappingProxyType(secret_names),
    )
    return resolved, problems
