"""One member in one role of an IAM policy, read-modify-written with the policy's etag.

Cloud Run services (``allUsers`` as ``roles/run.invoker``) and Secret Manager secrets (the
runtime service account as ``roles/secretmanager.secretAccessor``) keep their policies the
same way: ``getIamPolicy``, change the bindings, ``setIamPolicy`` with the etag read. A
concurrent change (409 ABORTED on the etag) is read again and the change made again; a
policy that already says what is wanted is not written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...errors import DeployError
from .declaration import NAME
from .failures import GoogleApiError

__all__ = ["ensure_member", "has_member", "with_member"]

Policy = dict[str, Any]


def has_member(policy: Policy, role: str, member: str) -> bool:
    """``member`` holds ``role`` in ``policy`` (in a binding without a condition)."""
    return any(
        b.get("role") == role and not b.get("condition") and member in (b.get("members") or ())
        for b in policy.get("bindings") or ()
    )


def with_member(policy: Policy, role: str, member: str, present: bool) -> tuple[Policy, bool]:
    """``policy`` with ``member`` in (or out of) ``role``; True when that changed it."""
    bindings = [dict(b) for b in policy.get("bindings") or ()]
    binding = next((b for b in bindings if b.get("role") == role and not b.get("condition")), None)
    members = list(binding.get("members", ())) if binding else []
    if present == (member in members):
        return policy, False
    if present:
        if binding is None:
            bindings.append({"role": role, "members": [member]})
        else:
            binding["members"] = [*members, member]
    elif binding is not None:
        binding["members"] = [m for m in members if m != member]
        if not binding["members"]:
            bindings.remove(binding)
    new = {k: v for k, v in policy.items() if k != "bindings"}
    new["bindings"] = bindings
    return new, True


def ensure_member(
    read: Callable[[], Policy],
    write: Callable[[Policy], object],
    *,
    role: str,
    member: str,
    present: bool,
    what: str,
    attempts: int = 3,
) -> bool:
    """Put ``member`` in ``role`` (or take it out) of the policy of ``what``; True when
    the policy was written. Other failures than a concurrent change are raised."""
    for _ in range(attempts):
        new, changed = with_member(read(), role, member, present)
        if not changed:
            return False
        try:
            write(new)
        except GoogleApiError as exc:
            if exc.status == 409:
                continue
            raise
        return True
    raise DeployError(
        f"the IAM policy of {what} kept changing under this deploy ({attempts} tries)",
        target=NAME,
        remediation="run the deploy again once other changes to it have finished",
    )
