"""The server's secrets in Secret Manager, and what the service's revisions read of them.

- **One secret per name**: ``<service>-<NAME>`` (:func:`.config.secret_id`), labelled
  ``managed-by=pmcp`` and ``pmcp-server=<service>``; the server reads it as the variable
  ``NAME``. A secret of that id this action did not make is left alone (the deploy stops
  before any change, naming it).
- **A value is a version**: a value already stored makes no write. The secret's
  annotations record the fingerprint of the value it holds (``pmcp-fingerprint``, never
  the value: :mod:`pmcp_action.secrets.fingerprint`) and the version holding it
  (``pmcp-version``). A new value is ``addVersion``, which is not idempotent: sent once,
  and after a lost answer sent again only when a read of the latest version shows it did
  not happen.
- **Pinned**: the container's variable reads that version *number*
  (``valueSource.secretKeyRef``), so a new value is a new revision, staged and verified
  at its candidate URL before traffic like a code change, and a rollback reads the
  values its revision was verified with.
- **Access**: the runtime service account (the template's, else the project's default
  compute account ``<number>-compute@developer.gserviceaccount.com``) is granted
  ``roles/secretmanager.secretAccessor`` on each secret the service reads, and on
  nothing else.
- **Removal**: ``prune-secrets`` deletes a secret once no serving revision reads it
  (after the new revision takes the traffic); destroy deletes every secret the action
  made for the service.

A run that gives, requires or prunes no secret reads Secret Manager not at all: what the
service's template reads is kept as it is.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from ...context import RunContext
from ...errors import DeployError
from ...keyvalue import ENV_KEY
from ...once import create_once
from ...ownership import MANAGED_BY, OWNER, is_managed, labels
from ...result import PlanChange
from ...secrets import SecretOutcome, SecretStatus, fingerprint, secret_outcomes
from .config import GoogleConfig, secret_id
from .declaration import NAME
from .failures import GoogleApiError
from .iam_policy import ensure_member
from .secret_manager import SecretManagerApi, version_number
from .service import SERVER_LABEL, SecretRef, runtime_service_account, secret_refs

__all__ = [
    "ACCESSOR",
    "FINGERPRINT_ANNOTATION",
    "VERSION_ANNOTATION",
    "SecretStore",
    "SecretsSurvey",
    "StoredSecret",
    "default_service_account",
    "shown",
]

#: The role the runtime service account needs on each secret it reads.
ACCESSOR = "roles/secretmanager.secretAccessor"
#: The secret's annotations: the fingerprint of the value it holds, and the version holding it.
FINGERPRINT_ANNOTATION = "pmcp-fingerprint"
VERSION_ANNOTATION = "pmcp-version"


def default_service_account(project_number: str) -> str:
    """The project's default compute service account, what revisions run as unless told."""
    return f"{project_number}-compute@developer.gserviceaccount.com"


def _project_number(resource: str) -> str:
    """``projects/123456789012/secrets/x`` -> ``123456789012`` ("" when not a number)."""
    parts = resource.split("/")
    return parts[1] if len(parts) > 1 and parts[1].isdigit() else ""


@dataclass(frozen=True)
class StoredSecret:
    """A secret this action made for the server."""

    name: str
    secret_id: str
    #: As Secret Manager names it (``projects/<number>/secrets/<id>``; "" when not read).
    resource: str = ""
    #: The recorded fingerprint and version ("" when none is recorded).
    fingerprint: str = ""
    version: str = ""
    #: The recorded version can be read (enabled, or read by the service already).
    usable: bool = False
    etag: str = ""
    annotations: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def ref(self) -> SecretRef:
        return SecretRef(self.secret_id, self.version)


@dataclass(frozen=True)
class SecretsSurvey:
    """What the service's secrets are now, and what this run does with each."""

    #: Read from Secret Manager (False: only the service's template was read).
    listed: bool = False
    #: The secrets this action made for the server, by variable name.
    stored: Mapping[str, StoredSecret] = field(default_factory=lambda: MappingProxyType({}))
    #: Given names whose secret id a secret this action did not make holds.
    foreign: tuple[str, ...] = ()
    #: What the service's template reads from this action's secrets, by variable name.
    referenced: Mapping[str, SecretRef] = field(default_factory=lambda: MappingProxyType({}))
    #: Stored secrets left out: no usable version, and no value given this run.
    unusable: tuple[str, ...] = ()
    #: Each name's status (set, unchanged, kept, removed).
    outcomes: tuple[SecretOutcome, ...] = ()
    #: The project's number, when a Secret Manager answer named it.
    project_number: str = ""

    def names(self, *statuses: SecretStatus) -> list[str]:
        return [o.name for o in self.outcomes if o.status in statuses]

    @property
    def writes(self) -> bool:
        """Some value is new or changed: a version will be added."""
        return bool(self.names(SecretStatus.SET))

    @property
    def usable_names(self) -> frozenset[str]:
        return frozenset(n for n, s in self.stored.items() if s.usable)


class SecretStore:
    """Secret Manager for one server's secrets (every call over one connection)."""

    def __init__(self, context: RunContext, config: GoogleConfig, api: SecretManagerApi) -> None:
        self.context = context
        self.config = config
        self.api = api
        self.secrets = context.project.secrets
        self.service = config.service
        #: Each fingerprint is salted with where the value is stored.
        self.salt = f"{NAME}/{config.service}"

    # --- reading ---------------------------------------------------------------------
    @property
    def labels(self) -> dict[str, str]:
        return labels(self.service, server_key=SERVER_LABEL)

    @property
    def label_filter(self) -> str:
        return f"labels.{MANAGED_BY}={OWNER} AND labels.{SERVER_LABEL}={self.service}"

    def _ours(self, body: Mapping[str, Any]) -> str:
        """The variable name of a secret this action made for the server ("" otherwise)."""
        found = str(body.get("name", "")).rsplit("/", 1)[-1]
        name = found.removeprefix(f"{self.service}-")
        owned = is_managed(body.get("labels"), server=self.service, server_key=SERVER_LABEL)
        ok = found.startswith(f"{self.service}-") and ENV_KEY.match(name) is not None
        return name if ok and owned else ""

    def survey(self, current: Mapping[str, Any]) -> SecretsSurvey:
        """The secrets the server has (read only); ``current`` is the service's body."""
        referenced = {
            name: ref
            for name, ref in secret_refs(current).items()
            if ref.secret == secret_id(self.service, name)
        }
        if not self.secrets:
            stored = {
                name: StoredSecret(name, ref.secret, version=ref.version, usable=True)
                for name, ref in referenced.items()
            }
            return self._decided(SecretsSurvey(False, stored, referenced=referenced))
        found: dict[str, StoredSecret] = {}
        foreign: list[str] = []
        for body in self.api.list_secrets(self.label_filter):
            name = self._ours(body)
            if name:
                found[name] = self._stored(name, body, referenced)
        for name in sorted(set(self.secrets.values) - set(found)):
            read = self.api.get_secret(secret_id(self.service, name))
            if read is None:
                continue
            if self._ours(read) == name:
                found[name] = self._stored(name, read, referenced)
            else:
                foreign.append(name)
        number = next((n for n in (_project_number(s.resource) for s in found.values()) if n), "")
        kept = {n: s for n, s in found.items() if s.usable or n in self.secrets.values}
        for name in sorted(set(found) - set(kept)):
            self.context.console.warning(
                f"Secret Manager secret {secret_id(self.service, name)} has no version this "
                f"action recorded that can be read, so {name} is left out of the service; "
                "give its value in secrets to store it again.",
                title="Secrets",
            )
        return self._decided(
            SecretsSurvey(
                True,
                MappingProxyType(kept),
                tuple(foreign),
                MappingProxyType(referenced),
                tuple(sorted(set(found) - set(kept))),
                project_number=number,
            )
        )

    def _stored(
        self, name: str, body: Mapping[str, Any], referenced: Mapping[str, SecretRef]
    ) -> StoredSecret:
        annotations = {str(k): str(v) for k, v in (body.get("annotations") or {}).items()}
        stored = StoredSecret(
            name,
            secret_id(self.service, name),
            resource=str(body.get("name", "")),
            fingerprint=annotations.get(FINGERPRINT_ANNOTATION, ""),
            version=annotations.get(VERSION_ANNOTATION, ""),
            etag=str(body.get("etag", "")),
            annotations=MappingProxyType(annotations),
        )
        if not stored.version:
            return stored
        usable = referenced.get(name) == stored.ref or self._enabled(stored)
        return replace(stored, usable=usable)

    def _enabled(self, stored: StoredSecret) -> bool:
        version = self.api.get_version(stored.secret_id, stored.version)
        return version is not None and version.get("state") in ("ENABLED", 1)

    def _decided(self, survey: SecretsSurvey) -> SecretsSurvey:
        recorded = {n: (s.fingerprint if s.usable else "") for n, s in survey.stored.items()}
        outcomes = secret_outcomes(self.secrets, recorded, salt=self.salt)
        return replace(survey, outcomes=outcomes)

    # --- checking and planning --------------------------------------------------------
    def check(self, survey: SecretsSurvey) -> None:
        """Refuse, before any change, a secret id another secret holds."""
        if survey.foreign:
            ids = ", ".join(secret_id(self.service, n) for n in survey.foreign)
            first = secret_id(self.service, survey.foreign[0])
            raise DeployError(
                f"Secret Manager already holds {ids} in project {self.config.project}, not "
                f"made by pmcp-action for {self.service} (it lacks the labels "
                f"{MANAGED_BY}={OWNER} and {SERVER_LABEL}={self.service}); it is left alone.",
                target=NAME,
                remediation=f"Delete it, rename the secret, or adopt it: gcloud secrets update "
                f"{first} --project {self.config.project} --update-labels "
                f"{MANAGED_BY}={OWNER},{SERVER_LABEL}={self.service}",
            )

    def planned(self, survey: SecretsSurvey) -> tuple[PlanChange, ...]:
        """One line per secret: what a deploy would do with it (no value, no fingerprint)."""
        changes: list[PlanChange] = []
        for outcome in survey.outcomes:
            name = outcome.name
            where = f"Secret Manager {secret_id(self.service, name)}"
            if outcome.status is SecretStatus.SET:
                new = "" if name in survey.stored else ", a new secret"
                changes.append(PlanChange("set", f"secret {name}", f"{where}: a new version{new}"))
            elif outcome.status is SecretStatus.REMOVED:
                changes.append(
                    PlanChange("delete", f"secret {name}", f"{where}, once nothing serves it")
                )
            else:
                changes.append(PlanChange("keep", f"secret {name}", outcome.status.value))
        return tuple(changes)

    @staticmethod
    def _kept(survey: SecretsSurvey) -> dict[str, SecretRef]:
        """The versions the service goes on reading (unchanged and kept secrets)."""
        wanted = survey.names(SecretStatus.UNCHANGED, SecretStatus.KEPT)
        return {name: survey.stored[name].ref for name in wanted}

    def planned_refs(self, survey: SecretsSurvey) -> dict[str, SecretRef]:
        """What a deploy would pin (a value to write: its version shown as ``new``)."""
        refs = self._kept(survey)
        for name in survey.names(SecretStatus.SET):
            refs[name] = SecretRef(secret_id(self.service, name), "new")
        return refs

    def pinned(self, survey: SecretsSurvey) -> dict[str, SecretRef] | None:
        """What the service reads when nothing is written (None: a value must be written)."""
        return None if survey.writes else self._kept(survey)

    # --- writing ----------------------------------------------------------------------
    def write(
        self, survey: SecretsSurvey, current: Mapping[str, Any]
    ) -> tuple[dict[str, SecretRef], tuple[PlanChange, ...]]:
        """Store each new or changed value as a new version, grant the runtime service
        account access to what the service will read; the references to pin."""
        refs = self._kept(survey)
        changes: list[PlanChange] = []
        number = survey.project_number
        for name in survey.names(SecretStatus.SET):
            stored, created = self._version(name, survey.stored.get(name))
            number = number or _project_number(stored.resource)
            refs[name] = stored.ref
            detail = f"version {stored.version} of {stored.secret_id}" + (
                " (a new secret)" if created else ""
            )
            changes.append(PlanChange("set", f"secret {name}", f"Secret Manager: {detail}"))
            self.context.console.info(f"Secret {name}: stored as {detail}.")
        changes += self._grant(refs, survey, current, number)
        return refs, tuple(changes)

    def _version(self, name: str, stored: StoredSecret | None) -> tuple[StoredSecret, bool]:
        """A new version holding the run's value, recorded in the annotations."""
        sid = secret_id(self.service, name)
        created = stored is None
        if stored is None:
            body = create_once(
                self.context,
                lambda: self.api.create_secret(sid, self.labels, {}),
                lambda: self._found(sid),
                f"the creation of secret {sid}",
            )
            stored = StoredSecret(
                name, sid, resource=str(body.get("name", "")), etag=str(body.get("etag", ""))
            )
            before = 0
        else:
            latest = self.api.get_version(sid, "latest")
            before = int(version_number(str(latest.get("name", "0")))) if latest else 0
        value = self.secrets.values[name]
        added = create_once(
            self.context,
            lambda: self.api.add_version(sid, value),
            lambda: self._newer(sid, before),
            f"the new version of secret {sid}",
        )
        version = version_number(str(added.get("name", "")))
        recorded = fingerprint(value, salt=f"{self.salt}/{name}")
        self._annotate(stored, {FINGERPRINT_ANNOTATION: recorded, VERSION_ANNOTATION: version})
        return replace(stored, fingerprint=recorded, version=version, usable=True), created

    def _found(self, sid: str) -> dict[str, Any] | None:
        """The secret ``sid`` when this action made it (a create whose answer was lost)."""
        body = self.api.get_secret(sid)
        return body if body is not None and self._ours(body) else None

    def _newer(self, sid: str, before: int) -> dict[str, Any] | None:
        """The latest version when it is newer than ``before`` (the lost add happened)."""
        latest = self.api.get_version(sid, "latest")
        if latest is None or int(version_number(str(latest.get("name", "0")))) <= before:
            return None
        return latest

    def _annotate(self, stored: StoredSecret, wanted: Mapping[str, str], attempts: int = 3) -> None:
        """Record ``wanted`` in the secret's annotations (others kept), with its etag; a
        concurrent change re-reads and tries again."""
        annotations, etag = dict(stored.annotations), stored.etag
        for _ in range(attempts):
            if all(annotations.get(k) == v for k, v in wanted.items()):
                return
            try:
                self.api.update_annotations(stored.secret_id, {**annotations, **wanted}, etag)
                return
            except GoogleApiError as exc:
                if exc.status not in (409, 412) and exc.google.status != "FAILED_PRECONDITION":
                    raise
            body = self.api.get_secret(stored.secret_id) or {}
            annotations = {str(k): str(v) for k, v in (body.get("annotations") or {}).items()}
            etag = str(body.get("etag", ""))
        raise DeployError(
            f"the annotations of secret {stored.secret_id} kept changing under this deploy",
            target=NAME,
            remediation="run the deploy again once other changes to the secret have finished",
        )

    def _grant(
        self,
        refs: Mapping[str, SecretRef],
        survey: SecretsSurvey,
        current: Mapping[str, Any],
        number: str,
    ) -> list[PlanChange]:
        """``roles/secretmanager.secretAccessor`` for the runtime service account on each
        secret the service will read and does not read yet."""
        new = [
            ref
            for name, ref in sorted(refs.items())
            if survey.referenced.get(name, SecretRef("", "")).secret != ref.secret
        ]
        if not new:
            return []
        account = runtime_service_account(current)
        if not account:
            if not number:  # pragma: no cover - every secret named here was read or created
                raise DeployError(
                    "Secret Manager named no project number, so the runtime service account "
                    "is unknown.",
                    target=NAME,
                    remediation="set the service's service account, then deploy again",
                )
            account = default_service_account(number)
        member = f"serviceAccount:{account}"
        changes: list[PlanChange] = []
        for ref in new:
            if self._grant_one(ref.secret, member):
                changes.append(
                    PlanChange("update", f"IAM of secret {ref.secret}", f"{ACCESSOR} for {account}")
                )
        if changes:
            self.context.console.info(
                f"Granted {account} {ACCESSOR} on {len(changes)} secret(s) it reads."
            )
        return changes

    def _grant_one(self, sid: str, member: str) -> bool:
        return ensure_member(
            lambda: self.api.get_iam_policy(sid),
            lambda policy: self.api.set_iam_policy(sid, policy),
            role=ACCESSOR,
            member=member,
            present=True,
            what=f"secret {sid}",
        )

    # --- removing ---------------------------------------------------------------------
    def delete(self, names: Iterable[str], why: str) -> dict[str, PlanChange]:
        """Delete the secrets of ``names``; the change for each one deleted (one already
        gone is left out)."""
        deleted: dict[str, PlanChange] = {}
        for name in sorted(names):
            sid = secret_id(self.service, name)
            if self.api.delete_secret(sid):
                deleted[name] = PlanChange("delete", f"Secret Manager secret {sid}", why)
        if deleted:
            ids = ", ".join(secret_id(self.service, name) for name in deleted)
            self.context.console.info(f"Deleted Secret Manager secrets {ids} ({why}).")
        return deleted

    def removable(self, current: Mapping[str, Any]) -> list[str]:
        """The secrets ``prune-secrets`` removes, read again (``current``: after the move)."""
        if not self.secrets.prune:
            return []
        return self.survey(current).names(SecretStatus.REMOVED)

    def destroy(self) -> dict[str, PlanChange]:
        """Delete every secret this action made for the server (destroy)."""
        try:
            listed = self.api.list_secrets(self.label_filter)
        except GoogleApiError as exc:
            if exc.google.reason == "SERVICE_DISABLED":
                return {}  # no Secret Manager, so no secret of ours either
            if exc.status != 403:
                raise
            # The service is gone; the secrets (if this action stored any) are not.
            self.context.console.warning(
                f"Could not list the Secret Manager secrets of {self.service}: {exc.message} "
                f"Delete any this action stored with gcloud secrets list --project "
                f"{self.config.project} --filter='{self.label_filter}' and gcloud secrets "
                "delete.",
                title="Secrets",
            )
            return {}
        names = [name for name in (self._ours(body) for body in listed) if name]
        return self.delete(names, f"a secret of {self.service}")


def shown(
    outcomes: Collection[SecretOutcome], removed: Collection[str]
) -> tuple[SecretOutcome, ...]:
    """``outcomes`` as a result reports them: a secret is removed once it is deleted
    (``removed``); one to prune that is not deleted yet (it goes once the new revision
    serves) is still kept."""
    return tuple(
        SecretOutcome(o.name, SecretStatus.REMOVED)
        if o.name in removed
        else SecretOutcome(o.name, SecretStatus.KEPT)
        if o.status is SecretStatus.REMOVED
        else o
        for o in outcomes
    )
