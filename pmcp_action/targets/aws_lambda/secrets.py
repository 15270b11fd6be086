"""The server's secrets on Lambda: variables of the function's environment, encrypted at rest
with a KMS key (:mod:`.kms`), and one tag per secret recording its fingerprint.

Lambda has no variables that refer to a secret store, so each secret is an environment
variable of its name, beside ``[environment]``, and the function's ``KMSKeyArn`` encrypts
all of them. The tag ``pmcp:secret:<NAME>`` holds the secret's fingerprint
(:mod:`pmcp_action.secrets.fingerprint`: scrypt, salted with the server and the name),
never the value: it says that this action stored the secret and which value the version
behind alias ``live`` has, and a reader needs no ``kms:Decrypt`` to see it. The tags are
written once ``live`` serves a new version, and again from the version a rollback serves.

Lambda replaces the whole environment on every write, so a secret stored earlier and not
given this run (*kept*) is written again with the value the serving version has: read with
GetFunction, which returns the variables decrypted to a caller that may decrypt with the
key. To a caller that may not, Lambda returns an error instead of the variables; such a run
can still compare the secrets (by their tags) and write every secret it is given, but one it
must keep stops the deploy before any change (:func:`check_writable`).

- :func:`read_stored` — what the serving version stores (names, fingerprints, variables);
- :func:`plan_secrets` — each secret's status (:func:`pmcp_action.secrets.secret_outcomes`)
  and the variables a deploy writes;
- :func:`check_limits`, :func:`check_writable` — Lambda's 4 KB and 50 tags with the kept
  values, and the values a write needs, before any change;
- :func:`record` — the tags once ``live`` serves; :func:`resync` — after a rollback;
- :func:`plan_changes`, :func:`removed_changes` — what a plan and a destroy say.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ...errors import DeployError, Problem, ValidationError
from ...result import PlanChange
from ...secrets import SecretOutcome, SecretStatus, ServerSecrets, fingerprint, secret_outcomes
from .config import (
    MAX_FUNCTION_TAGS,
    SECRET_TAG_PREFIX,
    LambdaConfig,
    environment_size_problem,
)
from .declaration import NAME
from .function import FunctionManager, FunctionState, environment_error, environment_of

__all__ = [
    "SecretPlan",
    "StoredSecrets",
    "check_limits",
    "check_writable",
    "plan_changes",
    "plan_secrets",
    "read_stored",
    "record",
    "removed_changes",
    "resync",
]

_EMPTY: Mapping[str, str] = MappingProxyType({})
_ORDER = (SecretStatus.SET, SecretStatus.UNCHANGED, SecretStatus.KEPT, SecretStatus.REMOVED)


def _tag(name: str) -> str:
    return SECRET_TAG_PREFIX + name


@dataclass(frozen=True)
class StoredSecrets:
    """The secrets the serving version stores, as the survey reads them."""

    #: Name -> the fingerprint its tag records ("" when not known).
    fingerprints: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    #: The serving version's variables; None when Lambda would not show them to this caller.
    environment: Mapping[str, str] | None = field(default_factory=lambda: _EMPTY, repr=False)
    #: Why Lambda did not show them (its error code; "" when it did).
    unreadable: str = ""

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.fingerprints)


def read_stored(state: FunctionState) -> StoredSecrets:
    """What the function's tags record and the version behind ``live`` (else $LATEST) has."""
    if not state.exists:
        return StoredSecrets()
    fingerprints = {
        key.removeprefix(SECRET_TAG_PREFIX): value
        for key, value in state.tags.items()
        if key.startswith(SECRET_TAG_PREFIX)
    }
    serving = state.live if state.live is not None else state.latest
    environment = environment_of(serving)
    if environment is None:
        return StoredSecrets(MappingProxyType(fingerprints), None, environment_error(serving))
    # A name the tags record that the serving version lacks is not stored there.
    stored = {name: fp for name, fp in fingerprints.items() if name in environment}
    return StoredSecrets(MappingProxyType(stored), MappingProxyType(environment))


@dataclass(frozen=True)
class SecretPlan:
    """What a deploy does with each secret, and the variables it writes for them."""

    outcomes: tuple[SecretOutcome, ...] = ()
    #: Name -> value for every secret the new environment holds (given, or kept and read).
    values: Mapping[str, str] = field(default_factory=lambda: _EMPTY, repr=False)
    #: Kept secrets whose values Lambda would not show this caller.
    unreadable: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """A secret is written or removed (a new version)."""
        return any(o.status in (SecretStatus.SET, SecretStatus.REMOVED) for o in self.outcomes)

    def named(self, status: SecretStatus) -> tuple[str, ...]:
        return tuple(o.name for o in self.outcomes if o.status is status)

    def summary(self) -> str:
        """``set API_KEY; kept DB_URL`` — names and what happens to them, never a value."""
        parts = [
            f"{status.value} {', '.join(names)}"
            for status in _ORDER
            if (names := self.named(status))
        ]
        return "; ".join(parts)


def plan_secrets(secrets: ServerSecrets, stored: StoredSecrets, *, salt: str) -> SecretPlan:
    """Each secret's status, decided by the fingerprints the tags record, and the values.

    Where the serving version's values are readable, a given value that differs from the
    stored one is written whatever its tag says (a tag left stale by an interrupted run
    never hides a change).
    """
    fingerprints = dict(stored.fingerprints)
    environment = stored.environment
    if environment is not None:
        for name, value in secrets.values.items():
            if name in fingerprints and not hmac.compare_digest(
                environment.get(name, "").encode(), value.encode()
            ):
                fingerprints[name] = ""
    outcomes = secret_outcomes(secrets, fingerprints, salt=salt)
    values: dict[str, str] = {}
    unreadable: list[str] = []
    for outcome in outcomes:
        if outcome.status in (SecretStatus.SET, SecretStatus.UNCHANGED):
            values[outcome.name] = secrets.values[outcome.name]
        elif outcome.status is SecretStatus.KEPT:
            if environment is not None and outcome.name in environment:
                values[outcome.name] = environment[outcome.name]
            else:
                unreadable.append(outcome.name)
    return SecretPlan(outcomes, MappingProxyType(values), tuple(unreadable))


def check_limits(config: LambdaConfig, plan: SecretPlan, state: FunctionState) -> None:
    """Lambda's limits with the kept values counted too, before any change."""
    kept = set(plan.named(SecretStatus.KEPT))
    given = {k: v for k, v in plan.values.items() if k not in kept}
    problem = environment_size_problem(
        config.environment, given, {k: v for k, v in plan.values.items() if k in kept}
    )
    if plan.values and problem is not None:
        raise ValidationError([problem])
    theirs = {
        key
        for key in state.tags
        if not key.startswith(SECRET_TAG_PREFIX) and key not in config.tags
    }
    total = len(theirs) + len(config.tags) + len(plan.values)
    if total > MAX_FUNCTION_TAGS:
        raise ValidationError(
            [
                Problem(
                    "input 'secrets'",
                    f"the function would carry {total} tags: {len(theirs)} not set by "
                    f"pmcp-action, {len(config.tags)} of the ownership mark and "
                    f"{len(plan.values)} recording the secrets; Lambda keeps "
                    f"{MAX_FUNCTION_TAGS}",
                    "remove tags the function does not need, or keep fewer secrets "
                    "(prune-secrets: true removes those not given)",
                )
            ]
        )


def check_writable(plan: SecretPlan, stored: StoredSecrets, key: str, identity: str) -> None:
    """A write replaces the whole environment: refuse, before any change, to lose a kept
    secret whose value Lambda would not show this caller."""
    if not plan.unreadable:
        return
    names = ", ".join(plan.unreadable)
    raise DeployError(
        f"This deploy writes the function's environment, which Lambda replaces whole, and it "
        f"cannot keep the secrets {names}: they are not given this run, and Lambda does not "
        f"show {identity} the values it stores ({stored.unreadable or 'no variables'}: "
        f"reading them takes kms:Decrypt on the function's KMS key {key or '(none)'}). "
        "Nothing was changed.",
        target=NAME,
        remediation=(
            f"Allow kms:Decrypt on {key or 'the key'} to {identity} (a deploy reads the "
            "values it keeps), or give every secret in this run's secrets input (then "
            "nothing needs reading), or set prune-secrets: true to drop those not given."
        ),
    )


def record(
    functions: FunctionManager, arn: str, plan: SecretPlan, *, salt: str
) -> list[PlanChange]:
    """Write the tags of what ``live`` now serves: a fingerprint per secret set, none for
    one removed."""
    wanted = {
        _tag(name): fingerprint(plan.values[name], salt=f"{salt}/{name}")
        for name in plan.named(SecretStatus.SET)
    }
    gone = [_tag(name) for name in plan.named(SecretStatus.REMOVED)]
    if wanted:
        functions.tag(arn, wanted, f"record the secrets' fingerprints on {functions.name}")
    if gone:
        functions.untag(arn, gone, f"remove the tags of the secrets removed from {functions.name}")
    if not (wanted or gone):
        return []
    return [PlanChange("update", f"Lambda function {functions.name}", "tags: secrets")]


def resync(
    functions: FunctionManager, state: FunctionState, version: str, *, salt: str
) -> list[PlanChange]:
    """After ``live`` moved back to ``version``: its secrets' fingerprints on the tags.

    The version's own values are fingerprinted where Lambda shows them; where it does not,
    the tags keep the names with an unknown fingerprint, so the next deploy writes them.
    """
    recorded = sorted(
        key.removeprefix(SECRET_TAG_PREFIX)
        for key in state.tags
        if key.startswith(SECRET_TAG_PREFIX)
    )
    if not recorded:
        return []
    environment = environment_of(functions.read_version(version))
    if environment is None:
        wanted = {_tag(name): "" for name in recorded}
        gone: list[str] = []
    else:
        wanted = {
            _tag(name): fingerprint(environment[name], salt=f"{salt}/{name}")
            for name in recorded
            if name in environment
        }
        gone = [_tag(name) for name in recorded if name not in environment]
    doing = f"record the secrets of version {version} on {functions.name}"
    if wanted:
        functions.tag(state.arn, wanted, doing)
    if gone:
        functions.untag(state.arn, gone, doing)
    return [PlanChange("update", f"Lambda function {functions.name}", "tags: secrets")]


def plan_changes(function_name: str, plan: SecretPlan) -> list[PlanChange]:
    """The plan's line for the secrets: their names and what a deploy does with each."""
    if not plan.outcomes:
        return []
    action = "update" if plan.changed else "keep"
    return [PlanChange(action, f"secrets of {function_name}", plan.summary())]


def removed_changes(function_name: str, stored: StoredSecrets) -> list[PlanChange]:
    """What a destroy says of the secrets: gone with the function's environment."""
    if not stored.fingerprints:
        return []
    names = ", ".join(sorted(stored.fingerprints))
    return [PlanChange("delete", f"secrets of {function_name}", f"{names} (the environment)")]
