"""What ``check`` found: the permissions a deploy needs that the identity lacks.

A target's ``Steps.probe_access`` answers with an :class:`Access`; the flow raises
:class:`AccessMissing` (naming each permission, the resource and how to grant it) when
anything is missing, so ``check`` exits 0 only when a deploy would get past sign-in and
authorization.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import PmcpActionError

__all__ = ["Access", "AccessMissing", "Missing"]


@dataclass(frozen=True)
class Missing:
    """One permission the identity lacks."""

    #: The permission as the cloud names it ("lambda:UpdateFunctionCode").
    permission: str
    #: The resource it is needed on (an ARN, a resource name).
    resource: str
    #: How to grant it (a command, a policy statement, a console page).
    grant: str
    #: Why the deploy needs it ("update the function's code").
    why: str = ""


@dataclass(frozen=True)
class Access:
    """The outcome of the probes."""

    #: Who was checked (a role ARN, a service account, a client id).
    identity: str
    #: What was probed and allowed, one line each.
    allowed: tuple[str, ...] = ()
    missing: tuple[Missing, ...] = ()
    #: How it was probed (e.g. "IAM SimulatePrincipalPolicy"), and what could not be.
    notes: tuple[str, ...] = ()


class AccessMissing(PmcpActionError):
    """The identity may not do everything a deploy does."""

    title = "Permission missing"

    @classmethod
    def of(cls, access: Access) -> AccessMissing:
        count = len(access.missing)
        lines = [
            f"- {m.permission} on {m.resource}" + (f" (to {m.why})" if m.why else "")
            for m in access.missing
        ]
        grants = sorted({m.grant for m in access.missing})
        return cls(
            f"{access.identity} lacks {count} permission{'s' if count > 1 else ''} a deploy "
            "needs:\n" + "\n".join(lines),
            details="\n".join(access.notes),
            remediation="\n".join(grants),
        )
