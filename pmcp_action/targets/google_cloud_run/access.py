"""Public access: ``roles/run.invoker`` for ``allUsers``, read-modify-write with the etag.

An organisation policy (Domain Restricted Sharing) refusing ``allUsers`` is not a
failed deploy of the code: the service is deployed but private, and the error says so
and how to go on.
"""

from __future__ import annotations

from typing import Any

from ...errors import DeployError
from .failures import parse_error, raise_for_google
from .run_api import RunApi

__all__ = ["INVOKER", "PUBLIC", "OrgPolicyRefused", "set_public"]

INVOKER = "roles/run.invoker"
PUBLIC = "allUsers"


class OrgPolicyRefused(DeployError):
    """The organisation does not allow allUsers in IAM policies."""

    title = "Public access refused by an organisation policy"


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
        answer = api.set_iam_policy(service, new)
        if answer.status_code == 409:
            continue
        if answer.status_code == 400 and parse_error(answer).status == "FAILED_PRECONDITION":
            raise OrgPolicyRefused(
                f"service {service} is deployed but private: the organisation policy "
                "iam.allowedPolicyMemberDomains refuses allUsers as roles/run.invoker",
                target="google-cloud-run",
                remediation=(
                    "set allow-unauthenticated: false and call it with an identity token "
                    "(verify-bearer-token), or ask an organisation admin for an exception "
                    "on this project; alternatively put it behind a load balancer with IAP"
                ),
            )
        raise_for_google(answer, f"setting the IAM policy of {service}", project=api.project)
        return True
    raise DeployError(
        f"the IAM policy of {service} kept changing under this deploy ({attempts} tries)",
        target="google-cloud-run",
        remediation="run the deploy again once other changes to the service have finished",
    )
