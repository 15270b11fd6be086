from __future__ import annotations

from types import MappingProxyType

from pmcp_action.secrets import (
    SecretOutcome,
    SecretStatus,
    ServerSecrets,
    fingerprint,
    secret_outcomes,
)

SALT = "google-cloud-run/calc"


def _stored(**values: str) -> dict[str, str]:
    return {name: fingerprint(value, salt=f"{SALT}/{name}") for name, value in values.items()}


def test_each_name_gets_one_status() -> None:
    secrets = ServerSecrets(
        values=MappingProxyType({"NEW": "new-value", "SAME": "same-value", "CHANGED": "v2-value"}),
        required=("REQUIRED",),
    )
    stored = _stored(SAME="same-value", CHANGED="v1-value", OLD="old-value", REQUIRED="kept")
    stored["UNKNOWN"] = ""
    assert secret_outcomes(secrets, stored, salt=SALT) == (
        SecretOutcome("CHANGED", SecretStatus.SET),
        SecretOutcome("NEW", SecretStatus.SET),
        SecretOutcome("OLD", SecretStatus.KEPT),
        SecretOutcome("REQUIRED", SecretStatus.KEPT),
        SecretOutcome("SAME", SecretStatus.UNCHANGED),
        SecretOutcome("UNKNOWN", SecretStatus.KEPT),
    )


def test_prune_removes_only_what_is_neither_given_nor_required() -> None:
    secrets = ServerSecrets(values=MappingProxyType({"A": "aaaa"}), required=("R",), prune=True)
    outcomes = secret_outcomes(secrets, _stored(A="aaaa", R="rrrr", OLD="oooo"), salt=SALT)
    assert [(o.name, o.status) for o in outcomes] == [
        ("A", SecretStatus.UNCHANGED),
        ("OLD", SecretStatus.REMOVED),
        ("R", SecretStatus.KEPT),
    ]


def test_a_fingerprint_is_salted_slow_and_never_the_value() -> None:
    one = fingerprint("hunter2-secret", salt="a/calc/K")
    assert one == fingerprint("hunter2-secret", salt="a/calc/K")
    assert one != fingerprint("hunter2-secret", salt="b/calc/K")
    assert one.startswith("s1:") and len(one) == 3 + 64 and "hunter2" not in one
