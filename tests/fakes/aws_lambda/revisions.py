"""Lambda's ``RevisionId`` on a function, which moto neither reports nor checks.

Lambda gives ``$LATEST`` a new revision with every change and refuses a write whose
``RevisionId`` is not the current one (``412 PreconditionFailedException``). Here the
revision is derived from the configuration itself (a hash of everything but its state
fields), so a change made straight to moto, as a concurrent run's would be, gives a new
revision too:

- :func:`with_revisions` — a Lambda answer with ``RevisionId`` in each configuration;
- :func:`stale` — the 412 for a conditional write on a revision that is no longer current.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import httpx

from .errors import lambda_error

__all__ = ["CONDITIONAL", "revision_of", "stale", "with_revisions"]

#: The writes that take a RevisionId, as Lambda's API reference lists them for a function.
CONDITIONAL = ("UpdateFunctionConfiguration", "UpdateFunctionCode", "PublishVersion")
#: What changes without a new revision: the function's state as Lambda applies a change.
_STATE_FIELDS = frozenset(
    {
        "RevisionId",
        "State",
        "StateReason",
        "StateReasonCode",
        "LastUpdateStatus",
        "LastUpdateStatusReason",
        "LastUpdateStatusReasonCode",
    }
)
_FUNCTION = re.compile(r"^/2015-03-31/functions/([^/]+)/")
PRECONDITION = "The Revision Id provided does not match the latest Revision Id."


def revision_of(configuration: dict[str, Any]) -> str:
    """The revision of a configuration as Lambda would report it (a UUID)."""
    kept = {k: v for k, v in configuration.items() if k not in _STATE_FIELDS}
    digest = hashlib.sha256(json.dumps(kept, sort_keys=True, default=str).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16]))


def with_revisions(response: httpx.Response) -> httpx.Response:
    """``response`` with ``RevisionId`` in every function configuration it carries."""
    if response.status_code >= 300 or not response.content:
        return response
    try:  # moto does not always say its answers are JSON
        body = json.loads(response.content)
    except ValueError:
        return response
    if not _add(body):
        return response
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-length"]
    return httpx.Response(response.status_code, headers=headers, content=json.dumps(body).encode())


def _add(node: Any) -> bool:
    changed = False
    if isinstance(node, list):
        for item in node:
            changed = _add(item) or changed
    elif isinstance(node, dict):
        if "FunctionArn" in node and "CodeSha256" in node and "RevisionId" not in node:
            node["RevisionId"] = revision_of(node)
            changed = True
        for value in node.values():
            changed = _add(value) or changed
    return changed


def stale(
    operation: str,
    path: str,
    body: bytes,
    current: Callable[[str], dict[str, Any] | None],
) -> httpx.Response | None:
    """Lambda's 412 when a conditional write names a revision that is not ``$LATEST``'s.

    ``current(name)`` reads the function's configuration as it is (None if it is gone).
    """
    if operation not in CONDITIONAL or not body:
        return None
    wanted = json.loads(body).get("RevisionId")
    match = _FUNCTION.match(unquote(path))
    if not wanted or match is None:
        return None
    configuration = current(match.group(1))
    if configuration is None or revision_of(configuration) == wanted:
        return None
    return lambda_error(412, "PreconditionFailedException", PRECONDITION)
