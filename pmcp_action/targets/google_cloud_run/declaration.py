"""What the ``google-cloud-run`` target reads and writes (no HTTP client here).

The image is a prebuilt one (pinned by digest), the project's
Dockerfile built with the Docker SDK, or the Linux binary laid onto a base image, pushed
to Artifact Registry (``<region>-docker.pkg.dev/<project>/<repository>/<service>``).
"""

from __future__ import annotations

from types import MappingProxyType

from ...artifact.oci_image.inputs import IMAGE_INPUTS
from ...settings.declaration import ArtifactBuild, CiInputs, Fallback, OutputSpec, TargetDeclaration
from ...settings.spec import InputKind, InputSpec
from ...settings.vocabulary import McpPathRule

__all__ = ["DECLARATION", "GOOGLE_API_URL_ENV", "NAME", "REGISTRY_HOST_ENV", "RUN_APP_ORIGIN_ENV"]

NAME = "google-cloud-run"
GOOGLE_API_URL_ENV = "PMCP_GOOGLE_API_URL"
#: Emulators only: a loopback registry standing for ``<region>-docker.pkg.dev``.
REGISTRY_HOST_ENV = "PMCP_GOOGLE_REGISTRY_HOST"
#: Emulators only: an origin serving ``<origin>/<host>/<path>`` for every ``https://<host>``.
RUN_APP_ORIGIN_ENV = "PMCP_GOOGLE_RUN_APP_ORIGIN"

DECLARATION = TargetDeclaration(
    id=NAME,
    title="Google Cloud Run",
    summary="Cloud Run Admin API v2 with Workload Identity Federation (or a key JSON): a new "
    "revision without traffic under the tag candidate, verified at its own URL, then 100 %.",
    factory="pmcp_action.targets.google_cloud_run.target:create",
    order=30,
    uses=("region", "artifact", "auth", "audience"),
    audience="https://iam.googleapis.com/{gcp-workload-identity-provider}",
    ci=CiInputs(
        oidc=("gcp-workload-identity-provider", "gcp-service-account"),
        secrets=("gcp-credentials-json",),
        location=("gcp-project",),
    ),
    build=ArtifactBuild.OCI_IMAGE,
    inputs=(
        InputSpec(
            "gcp-project",
            "Google Cloud project id the service lives in (a key JSON's project_id when "
            "nothing else gives one).",
        ),
        InputSpec(
            "gcp-workload-identity-provider",
            "Workload Identity provider the CI's OIDC token is exchanged through: "
            "projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/"
            "<provider>.",
            env=("GCP_WORKLOAD_IDENTITY_PROVIDER",),
        ),
        InputSpec(
            "gcp-service-account",
            "Service account to impersonate after the exchange (optional: without it the "
            "federated principal itself acts).",
            env=("GCP_SERVICE_ACCOUNT",),
        ),
        InputSpec(
            "gcp-credentials-json",
            "A service-account key JSON or an external_account credential configuration "
            "(masked). Workload Identity Federation is recommended instead.",
            secret=True,
            env=("GCP_CREDENTIALS_JSON",),
        ),
        InputSpec(
            "gcp-repository",
            "Artifact Registry Docker repository for the images the action pushes (created "
            "when missing).",
        ),
        InputSpec(
            "allow-unauthenticated",
            "Grant allUsers roles/run.invoker so MCP clients reach the service without a "
            "Google identity token (false withdraws it).",
            kind=InputKind.BOOL,
        ),
        *IMAGE_INPUTS,
    ),
    fallbacks=MappingProxyType(
        {
            "gcp-project": Fallback(
                config=("gcp.project_id",), env=("GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT")
            ),
            "region": Fallback(
                config=("gcp.region",), env=("CLOUD_RUN_REGION",), default="us-central1"
            ),
            "gcp-repository": Fallback(config=("gcp.repository",), default="pmcp"),
            "allow-unauthenticated": Fallback(
                config=("server.allow_unauthenticated",), default="true"
            ),
        }
    ),
    notes=MappingProxyType(
        {
            "region": "the Cloud Run region of the service and its Artifact Registry repository.",
            "artifact": "the Linux server binary laid onto base-image (instead of "
            "target/release/<name>).",
            "audience": "default https://iam.googleapis.com/<gcp-workload-identity-provider>.",
            "auth": "auto uses gcp-credentials-json when set, else OIDC through "
            "gcp-workload-identity-provider; ambient reads Application Default Credentials: the "
            "file GOOGLE_APPLICATION_CREDENTIALS names (a key or an external_account JSON), else "
            "the authorized_user file gcloud auth application-default login writes.",
        }
    ),
    logs=True,
    outputs=(
        OutputSpec("image", "The image deployed, by digest.", "Image"),
        OutputSpec("project", "The Google Cloud project.", "Project"),
    ),
    terminal=(
        "run gcloud auth application-default login and pass --auth ambient, which reads "
        "Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, else gcloud's "
        "application_default_credentials.json)"
    ),
    credentials=(
        "Create a Workload Identity pool and an OIDC provider for the CI's issuer (attribute "
        "condition e.g. assertion.repository == 'owner/repo'), grant the federated principal "
        "(or a service account it may impersonate, roles/iam.workloadIdentityUser) "
        "roles/run.admin, roles/artifactregistry.writer, roles/iam.serviceAccountUser on the "
        "runtime service account (and roles/logging.viewer for the logs, "
        "roles/secretmanager.admin for the server's secrets), and pass "
        "gcp-workload-identity-provider (and gcp-service-account). A service-account key "
        "(gcp-credentials-json) works too, with a warning."
    ),
    variables=MappingProxyType(
        {
            GOOGLE_API_URL_ENV: "Replaces https://<service>.googleapis.com for every Google API "
            "(https, or http on loopback for an emulator).",
            REGISTRY_HOST_ENV: "For emulators only, with a loopback PMCP_GOOGLE_API_URL: the "
            "loopback registry host:port standing for <region>-docker.pkg.dev.",
            RUN_APP_ORIGIN_ENV: "For emulators only: a loopback URL serving <origin>/<host>/ "
            "for every https://<host> of the service and its tags (verification goes there).",
            "GOOGLE_APPLICATION_CREDENTIALS": "With auth: ambient, the credentials file to use.",
            "CLOUDSDK_CONFIG": "With auth: ambient and no GOOGLE_APPLICATION_CREDENTIALS: "
            "gcloud's directory, whose application_default_credentials.json is read (default "
            "~/.config/gcloud).",
        }
    ),
    example=(
        "target: google-cloud-run\n"
        "gcp-project: my-project\n"
        "gcp-workload-identity-provider: projects/123456789/locations/global/"
        "workloadIdentityPools/github/providers/my-repo\n"
        "gcp-service-account: deployer@my-project.iam.gserviceaccount.com\n"
        "region: europe-west1"
    ),
    mcp_path=McpPathRule.DEFAULT_MCP,
)
