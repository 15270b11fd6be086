"""Each command's :class:`~pmcp_action.result.TargetResult` and the service's URLs.

Every result carries the region, the identity that acted, the declared outputs
(``image``: the image by digest, ``project``) and what became of each secret;
``service_url`` is the run.app URL (under an emulator, through its run.app origin), ``url``
and ``candidate_url`` the MCP endpoints under the service's and the candidate tag's URL
(``[server].mcp_path``, else ``/mcp``).
"""

from __future__ import annotations

from types import MappingProxyType

from ...result import PlanChange, TargetResult
from ...secrets import SecretOutcome
from .config import GoogleConfig

__all__ = ["app_url", "result"]


def app_url(config: GoogleConfig, uri: str) -> str:
    """A run.app URI of the service (or of a tag), as a client reaches it; "" for none."""
    if not uri:
        return ""
    if config.run_app_origin:
        host = uri.partition("://")[2].partition("/")[0]
        return f"{config.run_app_origin}/{host}"
    return uri


def result(
    config: GoogleConfig,
    identity: str,
    *,
    image: str = "",
    service: str = "",
    candidate: str = "",
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
    """One command's result; ``service`` and ``candidate`` are run.app URLs (:func:`app_url`)."""
    return TargetResult(
        url=config.endpoint.url(service),
        service_url=service,
        candidate_url=config.endpoint.url(candidate),
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
