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
from .iam_policy import ensure_member
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


def set_public(api: RunApi, service: str, public: bool, *, attempts: int = 3) -> bool:
    """Grant or withdraw allUsers' run.invoker; True when the policy changed.

    A concurrent change (409 ABORTED on the etag) re-reads and tries again.
    """
    try:
        return ensure_member(
            lambda: api.get_iam_policy(service),
            lambda policy: api.set_iam_policy(service, policy),
            role=INVOKER,
            member=PUBLIC,
            present=public,
            what=service,
            attempts=attempts,
        )
    except GoogleApiError as exc:
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
