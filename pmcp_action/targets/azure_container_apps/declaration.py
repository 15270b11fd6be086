"""What the ``azure-container-apps`` target reads and writes (no HTTP client here).

The image is a prebuilt ``image`` (a tag pinned to its digest), else the
project's Dockerfile built in the cloud by ACR Tasks, else the release Linux binary laid onto
``base-image`` and pushed to the registry (``azure-registry``).
"""

from __future__ import annotations

from types import MappingProxyType

from ...artifact.oci_image.inputs import BASE_IMAGE, BUILD_ARGS, IMAGE
from ...settings.declaration import ArtifactBuild, CiInputs, Fallback, OutputSpec, TargetDeclaration
from ...settings.spec import InputKind, InputSpec

__all__ = ["CLOUDS", "DECLARATION", "DEFAULT_AUDIENCE", "NAME"]

NAME = "azure-container-apps"

#: The audience Entra ID expects in a federated credential's token.
DEFAULT_AUDIENCE = "api://AzureADTokenExchange"
#: The sovereign clouds by name: (login host, ARM host, registry suffix).
CLOUDS = MappingProxyType(
    {
        "AzureCloud": (
            "https://login.microsoftonline.com",
            "https://management.azure.com",
            "azurecr.io",
        ),
        "AzureUSGovernment": (
            "https://login.microsoftonline.us",
            "https://management.usgovcloudapi.net",
            "azurecr.us",
        ),
        "AzureChinaCloud": (
            "https://login.chinacloudapi.cn",
            "https://management.chinacloudapi.cn",
            "azurecr.cn",
        ),
    }
)

DECLARATION = TargetDeclaration(
    id=NAME,
    title="Azure Container Apps",
    summary="ARM REST with an Entra ID federated credential (or a client secret): a new "
    "revision without traffic, verified at its own FQDN, then 100 %.",
    factory="pmcp_action.targets.azure_container_apps.target:create",
    order=40,
    uses=("region", "artifact", "auth", "audience"),
    audience=DEFAULT_AUDIENCE,
    ci=CiInputs(
        oidc=("azure-client-id", "azure-tenant-id", "azure-subscription-id"),
        secrets=(
            "azure-client-id",
            "azure-tenant-id",
            "azure-subscription-id",
            "azure-client-secret",
        ),
    ),
    build=ArtifactBuild.OCI_IMAGE,
    inputs=(
        InputSpec(
            "azure-client-id",
            "Client (application) id of the Entra ID app registration or user-assigned "
            "identity deployed as.",
            env=("AZURE_CLIENT_ID",),
        ),
        InputSpec("azure-tenant-id", "Entra ID tenant (directory) id.", env=("AZURE_TENANT_ID",)),
        InputSpec(
            "azure-subscription-id",
            "Azure subscription id the container app lives in.",
            env=("AZURE_SUBSCRIPTION_ID",),
        ),
        InputSpec(
            "azure-client-secret",
            "Client secret of the app registration (masked). Without it, the CI's OIDC token "
            "is exchanged through a federated credential (recommended).",
            secret=True,
            env=("AZURE_CLIENT_SECRET",),
        ),
        InputSpec(
            "azure-resource-group",
            "Resource group of the container app (created when missing). Default: <name>-rg.",
        ),
        InputSpec(
            "azure-managed-environment",
            "Container Apps managed environment (created when missing). Default: <name>-env.",
        ),
        InputSpec(
            "azure-registry",
            "Azure Container Registry (5-50 letters and digits) the action builds into or "
            "pushes to, in the resource group (created Basic when missing). Default: the server "
            "name's letters and digits and 10 hex of a hash of the subscription, group and name.",
            env=("AZURE_CONTAINER_REGISTRY",),
        ),
        InputSpec(
            "azure-cloud",
            "Azure cloud: its login, Resource Manager and registry host names.",
            kind=InputKind.CHOICE,
            choices=tuple(CLOUDS),
            default="AzureCloud",
            env=("AZURE_CLOUD",),
            noun="Azure cloud",
        ),
        InputSpec(
            "azure-delete-resource-group",
            "destroy: also delete the resource group (only when pmcp-action created it).",
            kind=InputKind.BOOL,
            default="false",
        ),
        IMAGE,
        BASE_IMAGE,
        BUILD_ARGS,
    ),
    fallbacks=MappingProxyType(
        {
            "region": Fallback(
                config=("azure.location",), env=("AZURE_LOCATION",), default="eastus"
            ),
            "azure-resource-group": Fallback(
                config=("azure.resource_group",), env=("AZURE_RESOURCE_GROUP",)
            ),
            "azure-managed-environment": Fallback(
                config=("azure.environment",), env=("AZURE_CONTAINERAPP_ENV",)
            ),
        }
    ),
    notes=MappingProxyType(
        {
            "region": "the Azure location of the resource group, environment and app.",
            "audience": f"default {DEFAULT_AUDIENCE}.",
            "auth": "auto uses the client secret when azure-client-secret is set, else OIDC; "
            "ambient needs no app registration: an app's managed identity (IDENTITY_ENDPOINT), "
            "else the az CLI's sign-in (az login), else a VM's managed identity (IMDS).",
            "artifact": "the Linux x86_64 server binary laid onto base-image when there is no "
            "image and no Dockerfile (default target/release/<name>); Container Apps runs "
            "linux/amd64 only, so images are built for it (there is no platform input).",
            "logs": "not offered: Container Apps keeps console logs only in a Log Analytics "
            "workspace, which this target does not create (the environment has none).",
        }
    ),
    outputs=(
        OutputSpec("image", "The image deployed, by digest.", "Image"),
        OutputSpec(
            "image-source",
            "Where the image came from: prebuilt, cloud-build (ACR Tasks) or assembled.",
            "Image source",
        ),
        OutputSpec(
            "registry-access",
            "How the app pulls from ACR: managed-identity (AcrPull) or admin-credentials; "
            "empty for a public image.",
            "Registry access",
        ),
        OutputSpec("resource-group", "The resource group of the container app.", "Resource group"),
    ),
    terminal=(
        "run az login and pass --auth ambient with azure-subscription-id, which uses the az "
        "CLI's token (or the managed identity of the machine it runs on)"
    ),
    credentials=(
        "Add a federated credential to the app registration (Certificates & secrets → "
        "Federated credentials) matching the CI's token (issuer, subject, audience "
        f"{DEFAULT_AUDIENCE}), grant it Contributor on the resource group (or the "
        "subscription, to create the group), and pass azure-client-id, azure-tenant-id and "
        "azure-subscription-id. A client secret (azure-client-secret) works too, with a warning. "
        "The app pulls from ACR with its managed identity when the deployer may assign AcrPull "
        "(Owner, or User Access Administrator on the registry); with Contributor only, the "
        "registry's admin credentials are used instead (stored as an app secret)."
    ),
    variables=MappingProxyType(
        {
            "PMCP_AZURE_LOGIN_URL": "Replaces https://login.microsoftonline.com (https, or "
            "http on loopback for an emulator).",
            "PMCP_AZURE_ARM_URL": "Replaces https://management.azure.com (https, or http on "
            "loopback for an emulator) as where ARM requests go; the token is still asked for "
            "azure-cloud's ARM.",
            "PMCP_AZURE_ARM_RESOURCE": "For a private cloud: ARM's resource id, the token's "
            "audience (scope <it>/.default; az cloud show --query "
            "endpoints.activeDirectoryResourceId). Default: azure-cloud's ARM URL.",
            "AZURE_TARGET_PORT": "Overrides [azure].target_port (8080).",
            "AZURE_MIN_REPLICAS": "Overrides [azure].min_replicas (1).",
            "IDENTITY_ENDPOINT, IDENTITY_HEADER": "With auth: ambient: the managed identity "
            "endpoint of App Service or Container Apps, used first.",
            "AZURE_CLIENT_ID": "With auth: ambient: the client id of a user-assigned managed "
            "identity (the system-assigned one without it).",
            "PMCP_AZURE_IMDS_URL": "For emulators only, with auth: ambient: a loopback URL "
            "replacing the VM's Instance Metadata Service token URL.",
            "PMCP_AZURE_GRAPH_URL": "For emulators only, with trust --apply: a loopback URL "
            "replacing https://graph.microsoft.com.",
            "PMCP_AZURE_APPS_ORIGIN": "For emulators only: a loopback URL that stands for "
            "every https://<fqdn> of the app and its revisions (verification goes there).",
        }
    ),
    example=(
        "target: azure-container-apps\n"
        "azure-client-id: ${{ vars.AZURE_CLIENT_ID }}\n"
        "azure-tenant-id: ${{ vars.AZURE_TENANT_ID }}\n"
        "azure-subscription-id: ${{ vars.AZURE_SUBSCRIPTION_ID }}\n"
        "region: westeurope"
    ),
)
