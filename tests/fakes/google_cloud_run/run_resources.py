"""What the Cloud Run fake stores: services with their revisions, traffic and IAM policy,
and how each is answered (a v2 ``Service`` or ``Revision``)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .run_schema import LATEST

__all__ = ["Revision", "Service"]


@dataclass
class Revision:
    name: str
    template: dict[str, Any]
    ready: bool
    #: Why it is not ready (default: its container did not listen).
    message: str = ""

    def to_api(self, service: str) -> dict[str, Any]:
        state = "CONDITION_SUCCEEDED" if self.ready else "CONDITION_FAILED"
        message = (
            ""
            if self.ready
            else self.message
            or (
                "The user-provided container failed to start and listen on the port defined "
                "provided by the PORT=8080 environment variable."
            )
        )
        return {
            "name": f"{service}/revisions/{self.name}",
            "service": service,
            "containers": self.template.get("containers", []),
            "labels": self.template.get("labels", {}),
            "conditions": [{"type": "Ready", "state": state, "message": message}],
        }


@dataclass
class Service:
    name: str  # full resource name
    body: dict[str, Any]
    revisions: list[Revision] = field(default_factory=list)
    traffic: list[dict[str, Any]] = field(default_factory=list)
    generation: int = 1
    etag: str = ""
    #: "ACAB" is the etag of an empty policy; etags are base64 (``bytes`` in the proto).
    policy: dict[str, Any] = field(default_factory=lambda: {"version": 1, "etag": "ACAB"})

    @property
    def short(self) -> str:
        return self.name.rsplit("/", 1)[1]

    def latest_ready(self) -> Revision | None:
        return next((r for r in reversed(self.revisions) if r.ready), None)

    def host(self, tag: str = "") -> str:
        prefix = f"{tag}---" if tag else ""
        return f"https://{prefix}{self.short}-abc123-uc.a.run.app"

    def to_api(self) -> dict[str, Any]:
        body = copy.deepcopy(self.body)
        ready = self.latest_ready()
        statuses = []
        for entry in self.traffic:
            status = dict(entry)
            if entry.get("type") == LATEST and ready is not None:
                status["revision"] = ready.name
            if entry.get("tag"):
                status["uri"] = self.host(entry["tag"])
            statuses.append(status)
        body.update(
            name=self.name,
            uid="uid-" + self.short,
            generation=str(self.generation),
            observedGeneration=str(self.generation),
            etag=self.etag,
            traffic=copy.deepcopy(self.traffic),
            trafficStatuses=statuses,
            uri=self.host(),
            urls=[self.host()],
            latestCreatedRevision=(
                f"{self.name}/revisions/{self.revisions[-1].name}" if self.revisions else ""
            ),
            latestReadyRevision=f"{self.name}/revisions/{ready.name}" if ready else "",
            reconciling=False,
            terminalCondition={"type": "Ready", "state": "CONDITION_SUCCEEDED"},
        )
        return body
