"""The credential inputs, read once and checked offline: which way to sign in (OIDC through
Workload Identity Federation, a key or external_account JSON, or Application Default
Credentials: the file ``GOOGLE_APPLICATION_CREDENTIALS`` names, else the one ``gcloud auth
application-default login`` writes), the provider's resource name, the service account to
impersonate, the audience. A credentials JSON is masked the moment it is read; a message
names its source and its size, never its content.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...context import RunContext
from ...credential_hint import CredentialHint, github_secret
from ...errors import Problem
from ...runner_paths import container_path, unseen_problem
from ...settings.target_inputs import TargetInputs
from .declaration import DECLARATION

__all__ = [
    "ADC_ENV",
    "CREDENTIAL_TYPES",
    "well_known_file",
    "MAX_CREDENTIALS_FILE",
    "CredentialInputs",
    "default_audience",
    "read_credential_inputs",
]

ADC_ENV = "GOOGLE_APPLICATION_CREDENTIALS"
#: gcloud's configuration directory when it is not ~/.config/gcloud.
CLOUDSDK_CONFIG_ENV = "CLOUDSDK_CONFIG"
#: What ``gcloud auth application-default login`` writes into gcloud's directory.
WELL_KNOWN_FILE = "application_default_credentials.json"
#: The credentials JSON types a sign-in reads, and the fields each needs.
CREDENTIAL_TYPES = {
    "service_account": ("client_email", "private_key"),
    "external_account": (),
    "authorized_user": ("client_id", "client_secret", "refresh_token"),
}
_PROVIDER = re.compile(
    r"^projects/(?P<number>[^/]+)/locations/global/workloadIdentityPools/(?P<pool>[^/]+)"
    r"/providers/(?P<provider>[^/]+)$"
)
_POOL_ID = re.compile(r"^[a-z0-9-]{4,32}$")
_SERVICE_ACCOUNT = re.compile(
    r"^[a-z0-9][a-z0-9._-]{0,99}@[a-z0-9][a-z0-9.-]*\.gserviceaccount\.com$"
)
#: A credentials file (key or external_account) is a few kB.
MAX_CREDENTIALS_FILE = 64 * 1024


@dataclass(frozen=True)
class CredentialInputs:
    """How to sign in, as the inputs say."""

    #: "oidc" (WIF), "key" (gcp-credentials-json) or "ambient" (GOOGLE_APPLICATION_CREDENTIALS).
    mode: str
    provider: str = ""
    #: The service account to impersonate after the exchange (OIDC only).
    service_account: str = ""
    audience: str = ""
    credentials_json: str = field(default="", repr=False)
    #: The credentials JSON's type: service_account, external_account or authorized_user
    #: ("" for OIDC).
    credentials_type: str = ""
    ambient_file: str = ""
    #: A key file's project_id: the last fallback for the project.
    key_project: str = ""


def default_audience(provider: str) -> str:
    """The OIDC audience Google expects by default for a provider resource name."""
    return DECLARATION.default_audience({"gcp-workload-identity-provider": provider}.__getitem__)


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


def _credentials_info(
    text: str, where: str, problems: list[Problem], *, person: bool = False
) -> dict[str, Any]:
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
                + github_secret("GCP_CREDENTIALS_JSON"),
            )
        )
        return {}
    kind = info.get("type")
    # A person's refresh token is read where they signed in (auth: ambient), never from
    # an input a CI job would fill from a stored secret.
    allowed = [k for k in CREDENTIAL_TYPES if person or k != "authorized_user"]
    if kind not in allowed:
        problems.append(
            Problem(
                where,
                f"has type {str(kind)[:40]!r}; expected {' or '.join(allowed)}",
                "use a service-account key, a Workload Identity credential configuration "
                "(gcloud iam workload-identity-pools create-cred-config) or the file gcloud "
                "auth application-default login writes",
            )
        )
        return {}
    missing = [name for name in CREDENTIAL_TYPES[str(kind)] if not info.get(name)]
    if missing:
        fix = (
            "create a new JSON key for the service account"
            if kind == "service_account"
            else "sign in again with gcloud auth application-default login"
        )
        problems.append(Problem(where, f"is {kind} JSON without {', '.join(missing)}", fix))
    return info


def well_known_file(environ: Mapping[str, str]) -> str:
    """Where ``gcloud auth application-default login`` writes its credentials ("" without a
    home directory): ``$CLOUDSDK_CONFIG/``, else ``~/.config/gcloud/``."""
    folder = environ.get(CLOUDSDK_CONFIG_ENV, "").strip()
    home = environ.get("HOME", "").strip()
    if not folder and home:
        folder = str(Path(home) / ".config" / "gcloud")
    return str(Path(folder) / WELL_KNOWN_FILE) if folder else ""


def _ambient_file(context: RunContext, problems: list[Problem]) -> tuple[str, str]:
    path = context.environ.get(ADC_ENV, "").strip()
    where = f"environment variable {ADC_ENV}"
    if not path:
        known = well_known_file(context.environ)
        if known and Path(known).is_file():
            path, where = known, f"the file {known[:200]}"
    if not path:
        problems.append(
            Problem(
                "input 'auth'",
                "auth: ambient reads Application Default Credentials from the file "
                f"{ADC_ENV} names, else gcloud's {WELL_KNOWN_FILE}, and there is neither "
                "(the metadata server is not used)",
                CredentialHint(
                    ci=f"set {ADC_ENV} (google-github-actions/auth does), or use OIDC with "
                    "gcp-workload-identity-provider",
                    terminal="run gcloud auth application-default login, or set "
                    f"{ADC_ENV} to a key file",
                ).text(context.console),
            )
        )
        return "", ""
    seen = container_path(path, context.environ)
    if seen is None:
        problems.append(
            unseen_problem(
                ADC_ENV,
                path,
                context.environ,
                "let google-github-actions/auth write it into the workspace (its default, "
                "create_credentials_file: true), or use OIDC with gcp-workload-identity-provider",
            )
        )
        return path, ""
    file = Path(seen)
    try:
        size = file.stat().st_size if file.is_file() else -1
    except OSError:
        size = -1
    if size < 0:
        looked = "" if seen == path else f" (looked for at {seen[:200]} in the action's container)"
        problems.append(
            Problem(
                where,
                f"{path[:200]} is not a readable regular file{looked}",
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


def _mode(
    context: RunContext,
    inputs: TargetInputs,
    provider: str,
    json_text: str,
    problems: list[Problem],
) -> str:
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
                CredentialHint(
                    ci="set gcp-workload-identity-provider (and give the job id-token: write), "
                    "or pass gcp-credentials-json from a secret",
                    gitlab="set gcp-workload-identity-provider (and give the job an ID token "
                    "with id_tokens:), or store the key JSON in the masked CI/CD variable "
                    "GCP_CREDENTIALS_JSON",
                    terminal=DECLARATION.terminal,
                ).text(context.console),
            )
        )
    return "oidc"


def read_credential_inputs(
    context: RunContext, inputs: TargetInputs, problems: list[Problem]
) -> CredentialInputs:
    """The way to sign in; each problem is added to ``problems`` with its source."""
    mask = context.console.mask
    json_text = inputs.text("gcp-credentials-json")
    if json_text:
        mask(json_text)
    provider = _provider(inputs, problems)
    mode = _mode(context, inputs, provider, json_text, problems)
    ambient_file = ""
    info: dict[str, Any] = {}
    if mode == "ambient":
        ambient_file, ambient_text = _ambient_file(context, problems)
        if ambient_text:
            info = _credentials_info(
                ambient_text, f"the file {ambient_file[:200]}", problems, person=True
            )
            json_text = ambient_text
    elif mode == "key" and json_text:
        info = _credentials_info(json_text, inputs.source("gcp-credentials-json"), problems)
    for secret in ("private_key", "client_secret", "refresh_token"):
        mask(str(info.get(secret) or ""))
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
    kind = str(info.get("type", ""))
    return CredentialInputs(
        mode=mode,
        provider=provider,
        service_account=service_account if mode == "oidc" else "",
        audience=inputs.text("audience") or (default_audience(provider) if provider else ""),
        credentials_json=json_text,
        credentials_type=kind,
        ambient_file=ambient_file,
        key_project=str(info.get("project_id", "")) if kind == "service_account" else "",
    )
