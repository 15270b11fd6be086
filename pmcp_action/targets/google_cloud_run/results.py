"""Each command's :class:`~pmcp_action.result.TargetResult` and the service's URLs.

Every result carries the region, the identity that acted, the declared outputs
(``image``: the image by digest, ``project``) and what became of each secret; ``url`` and
``candidate_url`` end in the MCP path and, under an emulator, go through its run.app
origin.
"""

from __future__ import annotations

from types import MappingProxyType

from ...result import PlanChange, TargetResult
from ...secrets import SecretOutcome
from .config import GoogleConfig

__all__ = ["app_url", "result"]


def app_url(config: GoogleConfig, uri: str) -> str:
    """A run.app URI of the service (or of a tag) with the MCP path; "" for none."""
    if not uri:
        return ""
    if config.run_app_origin:
        host = uri.partition("://")[2].partition("/")[0]
        return f"{config.run_app_origin}/{host}{config.mcp_path}"
    return uri.rstrip("/") + config.mcp_path


def result(
    config: GoogleConfig,
    identity: str,
    *,
    image: str = "",
    url: str = "",
    candidate_url: str = "",
    version: str = "",
    previous_version: str = "",
    deployment_id: str = "",
    unchanged: bool | None = None,
    changes: tuple[PlanChange, ...] = (),
    notes: tuple[str, ...] = (),
    can_roll_back: bool = False,
    access_settling: str = "",
    secrets: tuple[SecretOutcome, ...] = (),
) -> TargetResult:
    return TargetResult(
        url=url,
        candidate_url=candidate_url,
        version=version,
        previous_version=previous_version,
        deployment_id=deployment_id,
        region=config.region,
        unchanged=unchanged,
        identity=identity,
        outputs=MappingProxyType({"image": image, "project": config.project}),
        changes=changes,
        notes=notes,
        can_roll_back=can_roll_back,
        access_settling=access_settling,
        secrets=secrets,
    )
