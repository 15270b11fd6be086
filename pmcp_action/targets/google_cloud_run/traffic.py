"""Moving a service's traffic by a conditional write: the body read (with its ``etag``) is
written back with the new traffic, so a change another deploy made in between is refused
(409 ABORTED) instead of lost; then the service is read again and the move made anew. A
write whose answer was lost is read again the same way before it is sent again.

Every move records the revision it moves off (:func:`.service.with_previous`), the
"previous" of outputs and rollback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...errors import DeployError
from ...rest.transport import TransportFailure
from .declaration import NAME
from .failures import GoogleApiError
from .previews import kept_tags
from .run_api import RunApi
from .service import pinned_traffic, with_previous

__all__ = ["CONFLICT_ATTEMPTS", "MovedPast", "move", "shares"]

#: Conditional writes refused because the service changed in between, each then re-read.
CONFLICT_ATTEMPTS = 3
#: What a traffic write sends back of the service it read (the updatable fields and etag).
_KEPT = (
    "labels",
    "annotations",
    "ingress",
    "template",
    "scaling",
    "description",
    "invokerIamDisabled",
    "etag",
)

Traffic = list[dict[str, Any]]


class MovedPast(Exception):
    """Another deploy moved the service's traffic while ours was being verified."""

    def __init__(self, serving: str) -> None:
        super().__init__(serving)
        self.serving = serving


def shares(service: dict[str, Any]) -> dict[str, int]:
    """Each revision's share of the service's traffic as read (revisions without any left
    out)."""
    found: dict[str, int] = {}
    for entry in pinned_traffic(service):
        found[entry["revision"]] = found.get(entry["revision"], 0) + int(entry["percent"])
    return found


def _read(api: RunApi, service: str) -> dict[str, Any]:
    current = api.get_service(service)
    if current is None:
        raise DeployError(
            f"Service {service} does not exist in {api.parent} any more.",
            target=NAME,
            remediation="Another run deleted it: deploy again.",
        )
    return current


def move(
    api: RunApi,
    service: str,
    traffic_of: Callable[[dict[str, Any]], Traffic],
    what: str,
    current: dict[str, Any] | None = None,
    *,
    dropped: str = "",
) -> dict[str, Any]:
    """Write ``traffic_of(service as read)`` conditionally; the service after the write.

    ``traffic_of`` sees every read (a re-read after a conflict too), so it may raise
    :class:`MovedPast` when what it finds is not what it expected. The previews' tags the
    service has are written back with it (:func:`.previews.kept_tags`), but ``dropped``.
    """
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        current = current or _read(api, service)
        traffic = traffic_of(current)
        traffic = [*traffic, *kept_tags(current, traffic, dropped=dropped)]
        body = {k: v for k, v in current.items() if k in _KEPT}
        body["traffic"] = traffic
        body["annotations"] = with_previous(current, traffic)
        try:
            return api.wait(api.update_service(service, body), what)
        except GoogleApiError as exc:
            if exc.status != 409 or attempt == CONFLICT_ATTEMPTS:
                raise
            current = None  # another change to the service came first: read it again
        except TransportFailure:
            if attempt == CONFLICT_ATTEMPTS:
                raise
            # The answer was lost: the write may have happened. Read the service again and
            # write against what it is now (the etag makes a stale write a 409, and the
            # same traffic written again changes nothing).
            current = None
    raise AssertionError("unreachable")  # pragma: no cover
