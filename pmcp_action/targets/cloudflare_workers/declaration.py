"""What the ``cloudflare-workers`` target reads and writes (no HTTP client here)."""

from __future__ import annotations

from types import MappingProxyType

from ...settings.declaration import ArtifactBuild, CiInputs, OutputSpec, TargetDeclaration
from ...settings.spec import InputKind, InputSpec

__all__ = ["DECLARATION", "DEFAULT_COMPATIBILITY_DATE", "NAME"]

NAME = "cloudflare-workers"

#: cargo-pmcp's ``deploy init --target cloudflare-workers`` writes this date into wrangler.toml.
DEFAULT_COMPATIBILITY_DATE = "2024-11-20"

DECLARATION = TargetDeclaration(
    id=NAME,
    title="Cloudflare Workers",
    summary="The Workers API with an API token: the workers-rs bundle as a new version, "
    "verified at its preview URL before it takes traffic, one-call rollback.",
    factory="pmcp_action.targets.cloudflare_workers.target:create",
    order=50,
    uses=("artifact", "auth"),
    ci=CiInputs(secrets=("cloudflare-api-token",), location=("cloudflare-account-id",)),
    build=ArtifactBuild.WORKERS_BUNDLE,
    inputs=(
        InputSpec(
            "cloudflare-api-token",
            "Cloudflare API token with the account permission Workers Scripts: Edit (and "
            "Account Settings: Read to read the workers.dev subdomain).",
            secret=True,
            env=("CLOUDFLARE_API_TOKEN",),
        ),
        InputSpec(
            "cloudflare-account-id",
            "Cloudflare account id. Default: the only account the token can see.",
            env=("CLOUDFLARE_ACCOUNT_ID",),
        ),
        InputSpec(
            "cloudflare-api-base-url",
            "Cloudflare API base URL (https, or http on loopback for an emulator; with one, "
            "PMCP_WORKERS_DEV_ORIGIN maps the workers.dev host names onto a local origin).",
            kind=InputKind.URL,
            default="https://api.cloudflare.com/client/v4",
            env=("CLOUDFLARE_API_BASE_URL", "CF_API_BASE_URL"),
        ),
        InputSpec(
            "compatibility-date",
            "Workers compatibility date (YYYY-MM-DD). Without this input: compatibility_date "
            "of deploy/cloudflare/wrangler.toml, then the default.",
            default=DEFAULT_COMPATIBILITY_DATE,
        ),
        InputSpec(
            "worker-secrets",
            "Deprecated: the secrets input (which every target reads) gives the Worker's "
            "secrets, uploaded as secret_text bindings. Read as before, with a warning.",
            kind=InputKind.MULTILINE,
            secret=True,
        ),
        InputSpec(
            "keep-bindings",
            "Keep the Worker's bindings that this deploy does not send (variables and secrets "
            "set in the dashboard or with wrangler secret put).",
            kind=InputKind.BOOL,
            default="true",
            env=("PMCP_CLOUDFLARE_KEEP_BINDINGS",),
        ),
    ),
    notes=MappingProxyType(
        {
            "artifact": "the workers-rs bundle: worker-build's output directory (default "
            "deploy/cloudflare/build, built with worker-build when missing) or its main "
            "module (index.js, or worker/shim.mjs of the older layout).",
            "auth": "auto or secrets: cloudflare-api-token; ambient: the OAuth token wrangler "
            "login keeps (used as is, never refreshed here; refused once expired); oidc is "
            "refused (Cloudflare has no OIDC federation).",
        }
    ),
    outputs=(
        OutputSpec("account-id", "The Cloudflare account deployed to.", "Account"),
        OutputSpec("script-name", "The Worker's script name (the server name).", "Worker"),
        OutputSpec(
            "version-preview-url",
            "The new version's preview URL, where it was verified before taking traffic.",
            "Version preview URL",
        ),
    ),
    terminal=(
        "run wrangler login and pass --auth ambient, which uses wrangler's own OAuth token "
        "(or export an API token as CLOUDFLARE_API_TOKEN)"
    ),
    credentials=(
        "Cloudflare has no OIDC federation: create an API token (My Profile → API Tokens) "
        "with the account permission Workers Scripts: Edit, plus Account Settings: Read, and "
        "pass it from a secret as cloudflare-api-token (or CLOUDFLARE_API_TOKEN). "
        "cloudflare-account-id may be left out when the token sees exactly one account."
    ),
    variables=MappingProxyType(
        {
            "XDG_CONFIG_HOME": "With auth: ambient and no ~/.wrangler: where wrangler's "
            ".wrangler/config/default.toml is looked for (default ~/.config).",
            "PMCP_WORKERS_DEV_ORIGIN": "For emulators only: a loopback origin that serves the "
            "workers.dev host names as <origin>/<host>/<path> (verification goes there).",
        }
    ),
    example=(
        "target: cloudflare-workers\n"
        "cloudflare-api-token: ${{ secrets.CLOUDFLARE_API_TOKEN }}\n"
        "cloudflare-account-id: ${{ vars.CLOUDFLARE_ACCOUNT_ID }}\n"
        "secrets: |\n"
        "  API_KEY=${{ secrets.API_KEY }}"
    ),
)
