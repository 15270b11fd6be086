"""Reading the service as it is: its versions, which one serves, and its labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pmcp_action.plugin import Deployed, is_managed

from .config import DemoConfig
from .connection import Connection

__all__ = ["Survey", "take_survey"]


@dataclass(frozen=True)
class Survey:
    #: The service as the API shows it; None when there is none.
    service: dict[str, Any] | None = None
    #: Version id -> the digest it was made from.
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def deployed(self) -> Deployed:
        service = self.service
        if service is None:
            return Deployed(exists=False)
        labels = service.get("labels")
        return Deployed(
            exists=True,
            serving=str(service.get("serving", "")),
            previous=str(service.get("previous", "")),
            managed=is_managed(labels if isinstance(labels, dict) else None),
        )

    @property
    def ref(self) -> str:
        return str((self.service or {}).get("ref", ""))

    @property
    def serving_digest(self) -> str:
        return self.versions.get(self.deployed.serving, "")


def take_survey(conn: Connection, config: DemoConfig) -> Survey:
    service = conn.api.service(config.service)
    if service is None:
        return Survey()
    listed = service.get("versions")
    versions = {
        str(item.get("id", "")): str(item.get("digest", ""))
        for item in (listed if isinstance(listed, list) else [])
        if isinstance(item, dict)
    }
    return Survey(service, versions)
