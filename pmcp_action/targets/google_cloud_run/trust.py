"""What Google Cloud needs so a CI job's OIDC token can deploy: a Workload Identity pool, an
OIDC provider with an attribute mapping and a condition on the repository's scope, a service
account that principals of the repository may impersonate (``roles/iam.workloadIdentityUser``
on a ``principalSet``), and the project roles of what this target calls (:data:`ROLES`);
probed by ``check`` with the project's ``testIamPermissions``.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from ...access import Access, Missing
from ...errors import CredentialExchangeError
from ...rest import RestApi
from ...settings.vocabulary import CiSystem
from ...trust.model import (
    Applied,
    Outcome,
    TrustDocument,
    TrustPlan,
    TrustRequest,
    differences,
)
from ...trust.subjects import TokenSource
from .config import GoogleConfig
from .failures import GoogleEnvelope
from .resource_manager import ResourceManagerApi

__all__ = ["PERMISSIONS", "ROLES", "apply", "attribute_condition", "plan", "probe"]

#: The pool and provider ids trust names when gcp-workload-identity-provider is not given.
DEFAULT_POOL = "pmcp-deploy"
#: The deploying service account's id when gcp-service-account is not given.
DEFAULT_ACCOUNT_ID = "pmcp-deploy"
_NUMBER_PLACEHOLDER = "PROJECT_NUMBER"

#: A ``getIamPolicy`` body asking for the policy with its conditional bindings (version 3):
#: a policy read without it cannot be written back over them.
POLICY_VERSION_3: Mapping[str, Any] = {"options": {"requestedPolicyVersion": 3}}
#: The project roles the deploying service account needs, with what for.
ROLES: Mapping[str, str] = {
    "roles/run.admin": "create and update the service, and let everyone invoke it",
    "roles/artifactregistry.admin": "create the image repository and push the image",
    "roles/secretmanager.admin": "keep the server's secrets",
    "roles/logging.viewer": "read what a revision logged",
    "roles/iam.serviceAccountUser": "run the service as its runtime service account",
}

#: The permissions of the calls the target makes (``check`` asks the project for each).
PERMISSIONS: Mapping[str, str] = {
    "run.services.get": "read the service",
    "run.services.create": "create the service",
    "run.services.update": "deploy a revision and move traffic",
    "run.services.getIamPolicy": "read who may invoke the service",
    "run.services.setIamPolicy": "let everyone invoke the service",
    "artifactregistry.repositories.get": "find the image repository",
    "artifactregistry.repositories.create": "create the image repository",
    "artifactregistry.repositories.uploadArtifacts": "push the image",
    "secretmanager.secrets.create": "store a server secret",
    "secretmanager.versions.add": "change a server secret",
    "secretmanager.secrets.list": "find the server's secrets",
    "logging.logEntries.list": "read what a revision logged",
    "iam.serviceAccounts.actAs": "run the service as its service account",
}

_MAPPING: Mapping[CiSystem, Mapping[str, str]] = {
    CiSystem.GITHUB: {
        "google.subject": "assertion.sub",
        "attribute.repository": "assertion.repository",
        "attribute.ref": "assertion.ref",
        "attribute.environment": "assertion.environment",
    },
    CiSystem.GITLAB: {
        "google.subject": "assertion.sub",
        "attribute.project_path": "assertion.project_path",
        "attribute.ref": "assertion.ref",
        "attribute.ref_type": "assertion.ref_type",
        "attribute.environment": "assertion.environment",
    },
}


def _quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def attribute_condition(source: TokenSource) -> str:
    """The provider's CEL condition: the repository, and the scope's claims."""
    claims = dict(source.claims)
    if source.exact:
        claims["sub"] = source.subject
    return " && ".join(f"assertion.{name} == {_quoted(value)}" for name, value in claims.items())


def _principal_set(pool: str, source: TokenSource) -> str:
    attribute = "repository" if source.ci is CiSystem.GITHUB else "project_path"
    return f"principalSet://iam.googleapis.com/{pool}/attribute.{attribute}/{source.repository}"


def _names(config: GoogleConfig, source: TokenSource) -> tuple[str, str, str, str]:
    """(project number, pool id, provider id, service account email)."""
    if config.provider:
        parts = config.provider.split("/")
        number, pool, provider = parts[1], parts[5], parts[7]
    else:
        number, pool, provider = _NUMBER_PLACEHOLDER, DEFAULT_POOL, source.ci.value
    email = config.service_account or (
        f"{DEFAULT_ACCOUNT_ID}@{config.project or 'PROJECT_ID'}.iam.gserviceaccount.com"
    )
    return number, pool, provider, email


def _config(target: Any) -> GoogleConfig:
    config = target.config
    assert isinstance(config, GoogleConfig), "the google-cloud-run target holds a GoogleConfig"
    return config


def plan(target: Any, request: TrustRequest) -> TrustPlan:
    """The pool, the provider, the service account, its binding and roles, as documents and
    gcloud commands."""
    config = _config(target)
    source = request.source
    number, pool_id, provider_id, email = _names(config, source)
    project = config.project or "PROJECT_ID"
    pool = f"projects/{number}/locations/global/workloadIdentityPools/{pool_id}"
    provider = f"{pool}/providers/{provider_id}"
    audience = config.audience or f"https://iam.googleapis.com/{provider}"
    condition = attribute_condition(source)
    mapping = dict(_MAPPING[source.ci])
    member = _principal_set(pool, source)
    documents = (
        TrustDocument("Workload Identity pool", pool, {"displayName": "pmcp-deploy"}),
        TrustDocument(
            "Workload Identity provider",
            provider,
            {
                "oidc": {"issuerUri": source.issuer, "allowedAudiences": [audience]},
                "attributeMapping": mapping,
                "attributeCondition": condition,
            },
        ),
        TrustDocument("Service account", email, {"displayName": f"pmcp-deploy {config.service}"}),
        TrustDocument(
            "Service account IAM binding",
            email,
            {"bindings": [{"role": "roles/iam.workloadIdentityUser", "members": [member]}]},
        ),
        TrustDocument(
            "Project IAM bindings",
            f"projects/{project}",
            {
                "bindings": [
                    {"role": role, "members": [f"serviceAccount:{email}"]} for role in ROLES
                ]
            },
        ),
    )
    q = shlex.quote
    commands = [
        f"gcloud iam workload-identity-pools create {q(pool_id)} --project {q(project)} "
        "--location global --display-name pmcp-deploy",
        f"gcloud iam workload-identity-pools providers create-oidc {q(provider_id)} "
        f"--project {q(project)} --location global --workload-identity-pool {q(pool_id)} "
        f"--issuer-uri {q(source.issuer)} --allowed-audiences {q(audience)} "
        f"--attribute-mapping {q(','.join(f'{k}={v}' for k, v in mapping.items()))} "
        f"--attribute-condition {q(condition)}",
        f"gcloud iam service-accounts create {q(email.split('@')[0])} --project {q(project)}",
        f"gcloud iam service-accounts add-iam-policy-binding {q(email)} --project {q(project)} "
        f"--role roles/iam.workloadIdentityUser --member {q(member)}",
        *(
            f"gcloud projects add-iam-policy-binding {q(project)} "
            f"--member {q('serviceAccount:' + email)} --role {role} --condition None"
            for role in ROLES
        ),
    ]
    notes = []
    if number == _NUMBER_PLACEHOLDER:
        notes.append(
            f"Replace {_NUMBER_PLACEHOLDER} with the project's number (gcloud projects describe "
            f"{project} --format 'value(projectNumber)'), or give gcp-workload-identity-provider."
        )
    return TrustPlan(
        summary=(
            f"Google Cloud: let {source.describe()} act as {email} through the Workload "
            f"Identity provider {provider} (audience {audience}), and let {email} deploy "
            f"Cloud Run services in {project}. Set gcp-workload-identity-provider to {provider} "
            f"and gcp-service-account to {email}."
        ),
        documents=documents,
        commands=tuple(commands),
        notes=tuple(notes),
        applies=True,
    )


def _grant(project: str, email: str, missing: list[str]) -> str:
    roles = ", ".join(ROLES)
    return (
        f"Grant {email} the roles that hold them ({roles}): gcloud projects "
        f"add-iam-policy-binding {project} --member serviceAccount:{email} --role ROLE; "
        "`pmcp-action trust --target google-cloud-run` prints each."
    )


def probe(
    test_permissions: Callable[[list[str]], list[str]],
    config: GoogleConfig,
    identity: str,
) -> Access:
    """Ask the project which of :data:`PERMISSIONS` the caller holds; name the others."""
    wanted = list(PERMISSIONS)
    held = set(test_permissions(wanted))
    missing = [permission for permission in wanted if permission not in held]
    resource = f"projects/{config.project}"
    grant = _grant(config.project, identity, missing) if missing else ""
    return Access(
        identity=identity,
        allowed=tuple(f"{p} on {resource}" for p in wanted if p in held),
        missing=tuple(Missing(p, resource, grant, PERMISSIONS[p]) for p in missing),
        notes=("Probed with the project's testIamPermissions.",),
    )


# --- --apply ----------------------------------------------------------------------------------
#: A token gcloud prints (`gcloud auth print-access-token`), the terminal's first choice.
ACCESS_TOKEN_VARIABLE = "GOOGLE_OAUTH_ACCESS_TOKEN"


def _terminal_token(target: Any, client: httpx.Client) -> str:
    """The terminal's own access token: GOOGLE_OAUTH_ACCESS_TOKEN, else the key or credential
    configuration GOOGLE_APPLICATION_CREDENTIALS names."""
    from .credentials import from_credentials_json

    context = target.context
    environ: Mapping[str, str] = context.environ
    token = environ.get(ACCESS_TOKEN_VARIABLE, "").strip()
    if token:
        context.console.mask(token)
        return token
    path = environ.get("GOOGLE_APPLICATION_CREDENTIALS", "").strip()
    if path:
        text = Path(path).read_text(encoding="utf-8")
        context.console.mask(text)
        info = json.loads(text) if text.strip().startswith("{") else {}
        if info.get("type") in ("service_account", "external_account"):
            endpoints = _config(target).endpoints
            return from_credentials_json(
                client, endpoints, text, mask=context.console.mask
            ).access_token
    raise CredentialExchangeError(
        "trust --apply uses this terminal's own Google credentials, and there are none it can "
        f"use ({ACCESS_TOKEN_VARIABLE} is empty; GOOGLE_APPLICATION_CREDENTIALS names no "
        "service-account key or credential configuration).",
        remediation=f'export {ACCESS_TOKEN_VARIABLE}="$(gcloud auth print-access-token)", '
        "then run trust --apply again; or run the printed gcloud commands yourself.",
    )


class _IamAdmin(RestApi):
    """The IAM and Resource Manager calls of ``trust --apply``."""

    def __init__(self, client: httpx.Client, config: GoogleConfig, token: str) -> None:
        super().__init__(
            client,
            config.endpoints.base("iam"),
            envelope=GoogleEnvelope(config.project),
            headers={"Authorization": f"Bearer {token}"},
            reach_hint=config.endpoints.reach_hint,
        )
        self.crm = ResourceManagerApi(client, config.endpoints, token=token, project=config.project)


def _ensure(
    api: RestApi, what: str, path: str, create: Callable[[], object], wanted: Mapping[str, Any]
) -> Applied:
    found = api.find_json(path, f"reading {what}")
    if found is None:
        create()
        return Applied(what, Outcome.CREATED)
    differing = differences(found, wanted)
    if differing:
        return Applied(what, Outcome.DIFFERS, "\n".join(differing))
    return Applied(what, Outcome.UNCHANGED)


def _add_bindings(
    read: Callable[[], dict[str, Any]],
    write: Callable[[dict[str, Any]], object],
    what: str,
    wanted: list[tuple[str, str]],
) -> Applied:
    """Add each (role, member) the policy lacks, with the policy's etag (additive only)."""
    policy = read()
    bindings = [dict(b) for b in policy.get("bindings", [])]
    added = 0
    for role, member in wanted:
        binding = next(
            (b for b in bindings if b.get("role") == role and "condition" not in b), None
        )
        if binding is None:
            bindings.append({"role": role, "members": [member]})
            added += 1
        elif member not in binding.get("members", []):
            binding["members"] = [*binding.get("members", []), member]
            added += 1
    if not added:
        return Applied(what, Outcome.UNCHANGED)
    # Version 3 carries conditional bindings (read as such, written back unchanged); a
    # policy without one stays as it was read.
    version = 3 if any("condition" in b for b in bindings) else int(policy.get("version", 1))
    write({"bindings": bindings, "etag": policy.get("etag", ""), "version": version})
    return Applied(what, Outcome.CREATED, f"{added} binding(s) added")


def apply(target: Any, request: TrustRequest, _shown: TrustPlan) -> tuple[Applied, ...]:
    """Create the pool, provider and service account where missing; add the bindings."""
    config = _config(target)
    source = request.source
    context = target.context
    with context.http() as client:
        api = _IamAdmin(client, config, _terminal_token(target, client))
        project = config.project
        number = str(
            api.crm.call_json("GET", f"/v1/projects/{project}", f"reading the project {project}")[
                "projectNumber"
            ]
        )
        _, pool_id, provider_id, email = _names(config, source)
        pool = f"projects/{number}/locations/global/workloadIdentityPools/{pool_id}"
        provider = f"{pool}/providers/{provider_id}"
        audience = config.audience or f"https://iam.googleapis.com/{provider}"
        pools = f"/v1/projects/{project}/locations/global/workloadIdentityPools"
        provider_body = {
            "oidc": {"issuerUri": source.issuer, "allowedAudiences": [audience]},
            "attributeMapping": dict(_MAPPING[source.ci]),
            "attributeCondition": attribute_condition(source),
        }
        results = [
            _ensure(
                api,
                f"the pool {pool}",
                f"{pools}/{pool_id}",
                lambda: (
                    api.call_json(
                        "POST",
                        pools,
                        f"creating the pool {pool_id}",
                        params={"workloadIdentityPoolId": pool_id},
                        json={"displayName": "pmcp-deploy"},
                        once=True,
                    )
                    and None
                ),
                {},
            ),
            _ensure(
                api,
                f"the provider {provider}",
                f"{pools}/{pool_id}/providers/{provider_id}",
                lambda: (
                    api.call_json(
                        "POST",
                        f"{pools}/{pool_id}/providers",
                        f"creating the provider {provider_id}",
                        params={"workloadIdentityPoolProviderId": provider_id},
                        json=provider_body,
                        once=True,
                    )
                    and None
                ),
                provider_body,
            ),
            _ensure(
                api,
                f"the service account {email}",
                f"/v1/projects/{project}/serviceAccounts/{email}",
                lambda: (
                    api.call_json(
                        "POST",
                        f"/v1/projects/{project}/serviceAccounts",
                        f"creating the service account {email}",
                        json={
                            "accountId": email.split("@")[0],
                            "serviceAccount": {"displayName": f"pmcp-deploy {config.service}"},
                        },
                        once=True,
                    )
                    and None
                ),
                {},
            ),
        ]
        account = f"/v1/projects/{project}/serviceAccounts/{email}"
        results.append(
            _add_bindings(
                lambda: api.call_json(
                    "POST",
                    f"{account}:getIamPolicy",
                    f"reading {email}'s policy",
                    params={"options.requestedPolicyVersion": "3"},
                ),
                lambda policy: (
                    api.call_json(
                        "POST",
                        f"{account}:setIamPolicy",
                        f"binding {email}",
                        json={"policy": policy},
                    )
                    and None
                ),
                f"roles/iam.workloadIdentityUser on {email} for {source.repository}",
                [("roles/iam.workloadIdentityUser", _principal_set(pool, source))],
            )
        )
        crm = api.crm
        results.append(
            _add_bindings(
                lambda: crm.call_json(
                    "POST",
                    f"/v1/projects/{project}:getIamPolicy",
                    f"reading {project}'s policy",
                    json=POLICY_VERSION_3,
                ),
                lambda policy: (
                    crm.call_json(
                        "POST",
                        f"/v1/projects/{project}:setIamPolicy",
                        f"granting {email} its roles",
                        json={"policy": policy},
                    )
                    and None
                ),
                f"the roles of {email} on {project}",
                [(role, f"serviceAccount:{email}") for role in ROLES],
            )
        )
    return tuple(results)
