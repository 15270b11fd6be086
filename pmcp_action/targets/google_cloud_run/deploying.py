"""The steps of a Cloud Run deploy over :class:`RunApi`, without the run context.

First deploy: create with traffic (a revision never ready fails with Cloud Run's
message). Redeploy: unchanged settings make no revision; otherwise the new revision is
created with an explicit name, no traffic and the ``candidate`` tag (its own URL), and
only ``promote`` moves 100 % to it; ``discard`` drops the tag, the previous revision
serving throughout. Rollback moves 100 % to the previous ready revision or a named one;
destroy deletes only a service labelled ``managed-by=pmcp``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...errors import DeployError, RemoteApiError
from .run_api import RunApi
from .service import (
    ServiceSettings,
    all_to,
    changes,
    desired_body,
    is_ready,
    pinned_traffic,
    previous_revision,
    revision_name,
    serving_revision,
    short_name,
    staged_traffic,
    tagged_uri,
    with_previous,
)

__all__ = ["MovedPast", "Outcome", "Steps", "is_ready"]

NAME = "google-cloud-run"
#: Conditional writes refused because the service changed in between (etag), then re-read.
_CONFLICT_ATTEMPTS = 3


@dataclass(frozen=True)
class Outcome:
    """What a step left behind."""

    service: dict[str, Any]
    revision: str
    previous: str = ""
    candidate_url: str = ""
    unchanged: bool = False
    changes: tuple[str, ...] = ()


class MovedPast(Exception):
    """Another deploy moved the service's traffic while ours was being verified."""

    def __init__(self, serving: str) -> None:
        super().__init__(serving)
        self.serving = serving


class Steps:
    def __init__(self, api: RunApi, service: str) -> None:
        self.api = api
        self.service = service

    def first_deploy(self, settings: ServiceSettings) -> Outcome:
        created = self.api.wait(
            self.api.create_service(self.service, desired_body(settings)),
            f"creating service {self.service}",
        )
        return Outcome(created, serving_revision(created), changes=("create service",))

    def stage(
        self,
        current: dict[str, Any],
        settings: ServiceSettings,
        attempt: str,
        *,
        force: bool = False,
    ) -> Outcome:
        """A new revision at 0 % under the candidate tag; ``force`` makes one even when the
        template is unchanged (the serving revision does not run it, e.g. after a discard)."""
        previous = serving_revision(current)
        found = tuple(changes(current, settings))
        if not found and not force:
            return Outcome(current, previous, previous, unchanged=True)
        if not found:
            found = (f"revision {previous} does not run the service's template",)
        candidate = revision_name(self.service, settings.image.rpartition("@")[2], attempt)
        body = desired_body(
            settings,
            current=current,
            revision=candidate,
            traffic=staged_traffic(current, candidate),
        )
        after = self.api.wait(
            self.api.update_service(self.service, body),
            f"creating revision {candidate} of {self.service} (no traffic)",
        )
        if serving_revision(after) != previous:  # pragma: no cover - the API keeps the split
            raise DeployError(f"staging moved traffic off {previous}", target=NAME)
        return Outcome(after, candidate, previous, tagged_uri(after), changes=found)

    def serve_directly(
        self, current: dict[str, Any], settings: ServiceSettings, attempt: str
    ) -> Outcome:
        """A service no revision serves (its first revision never became ready): the new
        revision takes 100 % at once, as on a first deploy."""
        revision = revision_name(self.service, settings.image.rpartition("@")[2], attempt)
        body = desired_body(settings, current=current, revision=revision, traffic=all_to(revision))
        after = self.api.wait(
            self.api.update_service(self.service, body),
            f"creating revision {revision} of {self.service}",
        )
        return Outcome(after, revision, changes=(f"revision {revision} at 100 %",))

    def _traffic(
        self, current: dict[str, Any], traffic: list[dict[str, Any]], what: str
    ) -> dict[str, Any]:
        body = {
            k: v
            for k, v in current.items()
            if k
            in (
                "labels",
                "annotations",
                "ingress",
                "template",
                "scaling",
                "description",
                "invokerIamDisabled",
                "etag",
            )
        }
        body["traffic"] = traffic
        body["annotations"] = with_previous(current, traffic)
        return self.api.wait(self.api.update_service(self.service, body), what)

    def _moved(
        self,
        traffic_of: Callable[[dict[str, Any]], list[dict[str, Any]]],
        what: str,
        current: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A conditional traffic write (the etag); a conflict (409) re-reads and writes again."""
        for attempt in range(1, _CONFLICT_ATTEMPTS + 1):
            current = current or self._current()
            try:
                return self._traffic(current, traffic_of(current), what)
            except RemoteApiError as exc:
                if exc.status != 409 or attempt == _CONFLICT_ATTEMPTS:
                    raise
                current = None  # another change to the service came first: read it again
        raise AssertionError("unreachable")  # pragma: no cover

    def promote(self, revision: str, previous: str = "") -> dict[str, Any]:
        """100 % to ``revision``; :class:`MovedPast` when another deploy moved the traffic off
        ``previous`` meanwhile (checked on every read, so a re-read after a conflict too)."""

        def traffic(current: dict[str, Any]) -> list[dict[str, Any]]:
            serving = serving_revision(current)
            if previous and serving not in (previous, revision):
                raise MovedPast(serving)
            return all_to(revision)

        return self._moved(traffic, f"moving 100 % to {revision}")

    def discard(self) -> dict[str, Any]:
        return self._moved(pinned_traffic, "removing the candidate tag")

    def _current(self) -> dict[str, Any]:
        current = self.api.get_service(self.service)
        if current is None:
            raise DeployError(
                f"service {self.service} does not exist in {self.api.parent}",
                target=NAME,
                remediation="deploy first, or check server-name, gcp-project and region",
            )
        return current

    def rollback(self, to_revision: str = "") -> Outcome:
        current = self._current()
        serving = serving_revision(current)
        revisions = self.api.list_revisions(self.service)
        ready = [short_name(str(r.get("name", ""))) for r in revisions if is_ready(r)]
        if to_revision:
            wanted = to_revision.strip()
            if wanted not in ready:
                raise DeployError(
                    f"revision {wanted} is not a ready revision of {self.service}",
                    target=NAME,
                    remediation=f"ready revisions, newest first: {', '.join(ready[:10]) or 'none'}",
                )
        else:
            wanted = previous_revision(current, revisions)
            if not wanted:
                raise DeployError(
                    f"service {self.service} has no ready revision that served before {serving}",
                    target=NAME,
                    remediation="name the revision to return to with rollback-to (--to); "
                    f"ready revisions, newest first: {', '.join(ready[:10]) or 'none'}",
                )
        if wanted == serving:
            return Outcome(current, serving, serving, unchanged=True)
        after = self._moved(lambda _current: all_to(wanted), f"moving 100 % to {wanted}", current)
        return Outcome(after, wanted, serving, changes=(f"traffic {serving} -> {wanted}",))

    def destroy(self) -> dict[str, Any]:
        current = self._current()
        if (current.get("labels") or {}).get("managed-by") != "pmcp":
            raise DeployError(
                f"service {self.service} was not deployed by pmcp-action (no label "
                "managed-by=pmcp); it is left alone",
                target=NAME,
                remediation="delete it where it was made: gcloud run services delete "
                f"{self.service}",
            )
        return self.api.wait(self.api.delete_service(self.service), f"deleting {self.service}")
