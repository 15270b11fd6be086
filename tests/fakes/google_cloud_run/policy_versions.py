"""IAM policy versions as Google applies them to ``getIamPolicy`` / ``setIamPolicy``.

A binding with a ``condition`` exists only in a version 3 policy. A read that does not ask
for version 3 (``options.requestedPolicyVersion``) gets the policy without the condition
and the binding's role renamed ``<role>_withcond_<hash>``, which a write cannot send back;
a write of a conditional binding, or of a version below 3 over a policy that holds one, is
refused with INVALID_ARGUMENT (the IAM documentation's "Policy versions").
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["as_read", "write_refusal"]


def _conditional(policy: dict[str, Any]) -> bool:
    return any("condition" in binding for binding in policy.get("bindings", []))


def as_read(policy: dict[str, Any], body: Any) -> dict[str, Any]:
    """The policy a ``getIamPolicy`` with ``body`` answers."""
    options = body.get("options", {}) if isinstance(body, dict) else {}
    requested = int(options.get("requestedPolicyVersion", 1) or 1)
    if requested >= 3 or not _conditional(policy):
        return {"version": 3 if _conditional(policy) else 1, **policy}
    bindings = []
    for binding in policy["bindings"]:
        if "condition" in binding:
            digest = hashlib.sha256(json.dumps(binding["condition"]).encode()).hexdigest()[:20]
            binding = {
                "role": f"{binding['role']}_withcond_{digest}",
                "members": binding["members"],
            }
        bindings.append(binding)
    return {"version": 1, **policy, "bindings": bindings}


def write_refusal(stored: dict[str, Any], wanted: dict[str, Any]) -> str | None:
    """Why a ``setIamPolicy`` of ``wanted`` over ``stored`` is refused (None: it is not)."""
    version = int(wanted.get("version", 1) or 1)
    if any("_withcond_" in str(b.get("role", "")) for b in wanted.get("bindings", [])):
        return "A role with _withcond_ cannot be set: read the policy with version 3."
    if version < 3 and (_conditional(wanted) or _conditional(stored)):
        return (
            "Policy version 1 cannot be used with conditional role bindings: "
            "set version 3 and send the conditions."
        )
    return None
