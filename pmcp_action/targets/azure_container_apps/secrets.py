"""The server's secrets as app secrets of the container app: read, written, pruned.

Container Apps keeps secrets per app (``configuration.secrets``), not per revision; a
revision reads them as ``secretRef`` variables when a replica starts. ARM shows their names
on a GET, never their values, so what this action stored is recognised by a fingerprint
(:func:`pmcp_action.secrets.fingerprint`, scrypt, salted with the app and the name) kept in
an app tag ``pmcp-secret-<VARIABLE>``: the tag lives where a reader of the app sees its
names and tags, and a fingerprint tells that reader nothing a guess would not cost scrypt
for. A secret given with the fingerprint on record is unchanged: nothing is written and the
revision suffix (which holds the fingerprints of the secrets it reads) stays the same.

A PUT of the app carries the whole ``configuration.secrets`` array, values and all; a value
not given this run (a kept secret, one made by hand, or one pruned but still read by a
revision) is read with ``listSecrets`` — only then — and masked at once. A PATCH (JSON merge
patch) without ``secrets`` leaves them as they are.

``prune-secrets`` removes the secrets this action stored (a tag) that the run does not give
and deploy.toml does not require. Container Apps refuses to remove a secret an active
revision reads, and the serving revision reads it until the new one serves: the removal
waits until the traffic moved (:func:`sync_secrets`, from ``promote``), and the earlier
revisions that read it are deactivated first (without the secret none could start again).
Destroy deletes the app, its secrets with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from ...ci.base import Platform
from ...errors import DeployError
from ...result import PlanChange
from ...secrets import SecretOutcome, SecretStatus, ServerSecrets, fingerprint, secret_outcomes
from .app import Live, Secrets, app_path, read_live
from .arm import APP_API, Arm
from .config import MAX_SECRETS, REGISTRY_PASSWORD_SECRET, AzureConfig, app_secret_name
from .declaration import NAME

__all__ = [
    "TAG_PREFIX",
    "SecretPlan",
    "app_secrets",
    "plan_secrets",
    "planned_secret_changes",
    "recorded",
    "sync_secrets",
]

#: The app tag holding one secret's fingerprint: ``pmcp-secret-API_KEY``.
TAG_PREFIX = "pmcp-secret-"


def _salt(config: AzureConfig) -> str:
    """The fingerprints' salt (the name is added to it per secret)."""
    return f"{NAME}/{config.app_name}"


def recorded(live: Live | None, names: Iterable[str] = ()) -> dict[str, str]:
    """Variable → fingerprint of each secret this action stored on the app (its tag, and the
    app secret still there: one deleted by hand is not stored any more). A tag name is
    matched to the one of ``names`` with its app secret (Azure compares tag names without
    case)."""
    if live is None:
        return {}
    held = live.secret_names
    spelled = {app_secret_name(n): n for n in names}
    found: dict[str, str] = {}
    for key, value in live.tags.items():
        if key[: len(TAG_PREFIX)].lower() != TAG_PREFIX:
            continue
        mapped = app_secret_name(key[len(TAG_PREFIX) :])
        if mapped in held:
            found[spelled.get(mapped, key[len(TAG_PREFIX) :])] = str(value)
    return found


@dataclass(frozen=True)
class SecretPlan:
    """What a deploy does with the server's secrets, decided from the app as read."""

    #: Each secret's status (``removed`` for every pruned one, even one removed later).
    outcomes: tuple[SecretOutcome, ...] = ()
    #: Variable → fingerprint of each secret the new revision reads (set, unchanged, kept).
    fingerprints: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: The values this run gives, of the secrets the revision reads.
    values: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    #: Pruned secrets an active revision still reads: removed once the traffic moved.
    later: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def names(self, *statuses: SecretStatus) -> tuple[str, ...]:
        return tuple(o.name for o in self.outcomes if o.status in statuses)

    @property
    def writes(self) -> bool:
        """A secret is set or removed: the app's secrets change."""
        return bool(self.names(SecretStatus.SET, SecretStatus.REMOVED))

    @property
    def reported(self) -> tuple[SecretOutcome, ...]:
        """The outcomes as a staged deploy leaves them: a removal that waits is still kept."""
        return tuple(
            SecretOutcome(o.name, SecretStatus.KEPT) if o.name in self.later else o
            for o in self.outcomes
        )


def plan_secrets(config: AzureConfig, secrets: ServerSecrets, live: Live | None) -> SecretPlan:
    """Each secret's status and fingerprint; refused (before any change) when the app would
    hold more secrets than it has tags for."""
    stored = recorded(live, (*secrets.values, *secrets.required))
    outcomes = secret_outcomes(secrets, stored, salt=_salt(config))
    fingerprints: dict[str, str] = {}
    values: dict[str, str] = {}
    later: dict[str, str] = {}
    for outcome in outcomes:
        name = outcome.name
        if outcome.status is SecretStatus.SET:
            values[name] = secrets.values[name]
            fingerprints[name] = fingerprint(values[name], salt=f"{_salt(config)}/{name}")
        elif outcome.status is SecretStatus.UNCHANGED:
            values[name] = secrets.values[name]
            fingerprints[name] = stored[name]
        elif outcome.status is SecretStatus.KEPT:
            fingerprints[name] = stored[name]
        elif live is not None and any(
            app_secret_name(name) in reads for reads in live.reading.values()
        ):
            later[name] = stored[name]
    held = len(fingerprints) + len(later)
    if held > MAX_SECRETS:
        kept = len([o for o in outcomes if o.status is SecretStatus.KEPT])
        raise DeployError(
            f"Container app {config.app_name} would hold {held} secrets ({kept} stored earlier "
            f"and not given this run); at most {MAX_SECRETS} fit (each keeps its fingerprint in "
            "an app tag, and Azure allows 50 tags on a resource). Nothing was changed.",
            target=NAME,
            remediation="Set prune-secrets: true to remove the ones no longer given, or keep "
            "fewer secrets.",
        )
    return SecretPlan(
        outcomes=outcomes,
        fingerprints=MappingProxyType(fingerprints),
        values=MappingProxyType(values),
        later=MappingProxyType(later),
    )


def _list_secrets(arm: Arm, config: AzureConfig, console: Platform) -> dict[str, dict[str, Any]]:
    """The app's secrets with their values (``listSecrets``), each masked as it is read; a
    Key Vault reference stays a reference."""
    data = arm.post(
        f"{app_path(arm, config)}/listSecrets",
        APP_API,
        f"reading the secrets of container app {config.app_name} (to keep them)",
        reads=True,
    )
    found: dict[str, dict[str, Any]] = {}
    for item in data.get("value") or []:
        if not isinstance(item, dict) or not item.get("name"):
            continue
        value = item.get("value")
        if isinstance(value, str) and value:
            console.mask(value)
        name = str(item["name"])
        if item.get("keyVaultUrl"):
            found[name] = {
                "name": name,
                "keyVaultUrl": item["keyVaultUrl"],
                "identity": item.get("identity") or "system",
            }
        else:
            found[name] = {"name": name, "value": value if isinstance(value, str) else ""}
    return found


def _entries(
    arm: Arm,
    config: AzureConfig,
    plan: SecretPlan,
    live: Live | None,
    console: Platform,
    *,
    keep_password: bool,
) -> tuple[dict[str, Any], ...]:
    """The app's ``configuration.secrets`` after this run, values and all: this run's values,
    and (read with ``listSecrets`` only when there are any) those of the secrets it keeps,
    that it removes later, that someone else made (and the registry password when asked)."""
    ours = {app_secret_name(n) for n in (*recorded(live), *plan.fingerprints)}
    keep = {app_secret_name(n) for n in plan.fingerprints if n not in plan.values}
    keep |= {app_secret_name(n) for n in plan.later}
    if live is not None:
        keep |= live.secret_names - ours - {REGISTRY_PASSWORD_SECRET}
        if keep_password and REGISTRY_PASSWORD_SECRET in live.secret_names:
            keep.add(REGISTRY_PASSWORD_SECRET)
    listed = _list_secrets(arm, config, console) if keep else {}
    missing = sorted(keep - set(listed))
    if missing:
        raise DeployError(
            f"Container app {config.app_name} did not list the secrets {', '.join(missing)} "
            "that this deploy keeps; nothing was changed.",
            target=NAME,
            remediation="Run again; if it persists, check the app's Secrets blade.",
        )
    given = [{"name": app_secret_name(n), "value": v} for n, v in sorted(plan.values.items())]
    return (*given, *(listed[name] for name in sorted(keep)))


def _tags(plan: SecretPlan) -> dict[str, str]:
    return {
        f"{TAG_PREFIX}{name}": value
        for name, value in sorted({**plan.fingerprints, **plan.later}.items())
    }


def app_secrets(
    arm: Arm, config: AzureConfig, plan: SecretPlan, live: Live | None, console: Platform
) -> Secrets:
    """The secrets part of the app a deploy PUTs (the registry password is the pull's)."""
    entries = (
        _entries(arm, config, plan, live, console, keep_password=False)
        if plan.fingerprints or plan.later or (live and live.secret_names)
        else ()
    )
    return Secrets(
        entries=entries,
        reads=tuple((n, app_secret_name(n)) for n in sorted(plan.fingerprints)),
        tags=MappingProxyType(_tags(plan)),
        fingerprints=plan.fingerprints,
    )


def sync_secrets(
    arm: Arm,
    config: AzureConfig,
    secrets: ServerSecrets,
    serving: str,
    console: Platform,
) -> tuple[tuple[str, ...], tuple[PlanChange, ...]]:
    """Write the app's secrets without a new revision (a PATCH): the pruned ones removed once
    ``serving`` (which does not read them) serves, this run's values where they differ from
    those on record. The earlier revisions that read a removed secret are deactivated first.
    Returns the variables removed and the changes made."""
    app = arm.get(app_path(arm, config), APP_API, f"reading container app {config.app_name}")
    if app is None:
        return (), ()
    live = read_live(app, arm.revisions(config.resource_group, config.app_name))
    plan = plan_secrets(config, secrets, live)
    # The serving revision reads what its suffix names; a secret it reads stays.
    serves = live.reading.get(serving, frozenset())
    removed = tuple(n for n in plan.names(SecretStatus.REMOVED) if app_secret_name(n) not in serves)
    if not (removed or plan.names(SecretStatus.SET)):
        return (), ()
    gone = {app_secret_name(n) for n in removed}
    changes: list[PlanChange] = []
    for revision, reads in sorted(live.reading.items()):
        if revision != serving and reads & gone:
            arm.activate(config.resource_group, config.app_name, revision, action="deactivate")
            console.info(
                f"Deactivated revision {revision}: it reads a secret prune-secrets removes "
                "(without it the revision could not start again)."
            )
            changes.append(PlanChange("update", f"revision {revision}", "deactivated"))
    without = replace(
        plan, later=MappingProxyType({n: v for n, v in plan.later.items() if n not in removed})
    )
    entries = _entries(arm, config, without, live, console, keep_password=True)
    tags: dict[str, str | None] = {f"{TAG_PREFIX}{n}": None for n in removed}
    tags.update(_tags(without))
    arm.patch(
        app_path(arm, config),
        {"tags": tags, "properties": {"configuration": {"secrets": list(entries)}}},
        f"writing the secrets of container app {config.app_name}",
    )
    for name in plan.names(SecretStatus.SET):
        changes.append(PlanChange("update", f"app secret {app_secret_name(name)}", name))
    for name in removed:
        changes.append(PlanChange("delete", f"app secret {app_secret_name(name)}", name))
    return removed, tuple(changes)


def planned_secret_changes(plan: SecretPlan, live: Live | None) -> list[PlanChange]:
    """One line per secret of a plan (names only, never a value)."""
    stored = {app_secret_name(n) for n in recorded(live)}
    words = {
        SecretStatus.SET: ("update", "a new value"),
        SecretStatus.UNCHANGED: ("keep", "the same value"),
        SecretStatus.KEPT: ("keep", "stored earlier, not given"),
        SecretStatus.REMOVED: ("delete", "prune-secrets, once the new revision serves"),
    }
    changes = []
    for outcome in plan.outcomes:
        action, detail = words[outcome.status]
        if outcome.status is SecretStatus.SET and app_secret_name(outcome.name) not in stored:
            action, detail = "create", "new"
        changes.append(
            PlanChange(
                action, f"app secret {app_secret_name(outcome.name)}", f"{outcome.name}: {detail}"
            )
        )
    return changes
