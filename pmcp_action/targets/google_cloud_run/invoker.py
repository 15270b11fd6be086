"""Public access: ``roles/run.invoker`` for ``allUsers``, read-modify-write with the etag.

``allow-unauthenticated`` grants it (MCP clients then need no Google identity token) or
withdraws it. A grant just made takes a while to reach every Cloud Run front end, so the
result says so (``access_settling``) and verification treats a 401/403 as "not yet". An
organisation policy (Domain Restricted Sharing) refusing ``allUsers`` is not a failed
deploy of the code: the service is deployed but private, and the warning says so and how
to go on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...ci.base import Platform
from ...errors import DeployError
from ...result import PlanChange
from .declaration import NAME
from .failures import GoogleApiError
from .run_api import RunApi

__all__ = [
    "INVOKER",
    "PUBLIC",
    "SETTLING",
    "Access",
    "OrgPolicyRefused",
    "apply_access",
    "is_public",
    "set_public",
]

INVOKER = "roles/run.invoker"
PUBLIC = "allUsers"
#: TargetResult.access_settling after a grant this run made.
SETTLING = f"{PUBLIC} was just granted {INVOKER}"


class OrgPolicyRefused(DeployError):
    """The organisation does not allow allUsers in IAM policies."""

    title = "Public access refused by an organisation policy"


@dataclass(frozen=True)
class Access:
    """What making the service public (or private) as asked did."""

    changes: tuple[PlanChange, ...] = ()
    #: TargetResult.access_settling: set when this run granted allUsers.
    settling: str = ""
    notes: tuple[str, ...] = ()


def is_public(policy: dict[str, Any]) -> bool:
    """``allUsers`` holds ``roles/run.invoker`` in ``policy``."""
    return any(
        b.get("role") == INVOKER and PUBLIC in (b.get("members") or ())
        for b in policy.get("bindings") or ()
    )


def _with_member(policy: dict[str, Any], public: bool) -> tuple[dict[str, Any], bool]:
    bindings = [dict(b) for b in policy.get("bindings") or ()]
    invoker = next(
        (b for b in bindings if b.get("role") == INVOKER and not b.get("condition")), None
    )
    members = list(invoker.get("members", ())) if invoker else []
    if public == (PUBLIC in members):
        return policy, False
    if public:
        if invoker is None:
            bindings.append({"role": INVOKER, "members": [PUBLIC]})
        else:
            invoker["members"] = [*members, PUBLIC]
    elif invoker is not None:
        invoker["members"] = [m for m in members if m != PUBLIC]
        if not invoker["members"]:
            bindings.remove(invoker)
    new = {k: v for k, v in policy.items() if k != "bindings"}
    new["bindings"] = bindings
    return new, True


def set_public(api: RunApi, service: str, public: bool, *, attempts: int = 3) -> bool:
    """Grant or withdraw allUsers' run.invoker; True when the policy changed.

    A concurrent change (409 ABORTED on the etag) re-reads and tries again.
    """
    for _ in range(attempts):
        policy = api.get_iam_policy(service)
        new, changed = _with_member(policy, public)
        if not changed:
            return False
        try:
            api.set_iam_policy(service, new)
        except GoogleApiError as exc:
            if exc.status == 409:
                continue
            if exc.status == 400 and exc.google.status == "FAILED_PRECONDITION":
                raise OrgPolicyRefused(
                    f"service {service} is deployed but private: the organisation policy "
                    "iam.allowedPolicyMemberDomains refuses allUsers as roles/run.invoker",
                    target=NAME,
                    remediation=(
                        "set allow-unauthenticated: false and call it with an identity token "
                        "(verify-bearer-token), or ask an organisation admin for an exception "
                        "on this project; alternatively put it behind a load balancer with IAP"
                    ),
                ) from None
            raise
        return True
    raise DeployError(
        f"the IAM policy of {service} kept changing under this deploy ({attempts} tries)",
        target=NAME,
        remediation="run the deploy again once other changes to the service have finished",
    )


def apply_access(api: RunApi, service: str, public: bool, console: Platform) -> Access:
    """allUsers as run.invoker as asked (an organisation policy refusing it: a warning)."""
    try:
        changed = set_public(api, service, public)
    except OrgPolicyRefused as exc:
        console.warning(f"{exc.message} {exc.remediation}", title=exc.title)
        return Access(notes=(exc.message,))
    if not changed:
        return Access()
    done = f"granted {PUBLIC} {INVOKER}" if public else f"withdrew {PUBLIC} {INVOKER}"
    console.info(f"IAM of {service}: {done}.")
    return Access(
        changes=(PlanChange("update", f"IAM of {service}", done),),
        settling=SETTLING if public else "",
    )
