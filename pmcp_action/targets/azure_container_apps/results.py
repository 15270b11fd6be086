"""Every :class:`~pmcp_action.result.TargetResult` of this target, and the app's URLs.

The outputs are the declaration's: ``image`` (by digest), ``image-source`` (prebuilt,
cloud-build, assembled), ``registry-access`` (managed-identity, admin-credentials, or empty
for a public image) and ``resource-group``; ``secrets`` are the server's secrets by name and
what the command did with each (:mod:`.secrets`).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from ...result import PlanChange, TargetResult
from ...secrets import SecretOutcome
from .config import AzureConfig

__all__ = ["Shipped", "app_url", "result"]


@dataclass(frozen=True)
class Shipped:
    """What a revision runs: the image (by digest), where it came from, how the app pulls it."""

    image: str
    #: prebuilt, cloud-build or assembled ("" when not known, e.g. for outputs).
    source: str = ""
    #: managed-identity, admin-credentials, or "" for a public image.
    access: str = ""


def app_url(config: AzureConfig, fqdn: str) -> str:
    """The URL of an FQDN of the app or of one revision ("" without one).

    An emulator's ``apps_origin`` stands for every such FQDN.
    """
    if not fqdn:
        return ""
    return config.apps_origin or f"https://{fqdn}"


def result(
    config: AzureConfig,
    identity: str,
    *,
    service: str = "",
    candidate: str = "",
    version: str = "",
    previous_version: str = "",
    deployment_id: str = "",
    unchanged: bool | None = None,
    changes: tuple[PlanChange, ...] = (),
    notes: tuple[str, ...] = (),
    can_roll_back: bool = False,
    shipped: Shipped | None = None,
    secrets: tuple[SecretOutcome, ...] = (),
) -> TargetResult:
    """One command's result; without ``shipped``, the image output is the ``image`` input.
    ``service`` and ``candidate`` are the app's and the new revision's URLs (:func:`app_url`);
    the result's URLs are their MCP endpoints."""
    shipped = shipped or Shipped(config.image)
    return TargetResult(
        url=config.endpoint.url(service),
        service_url=service,
        candidate_url=config.endpoint.url(candidate),
        version=version,
        previous_version=previous_version,
        deployment_id=deployment_id,
        region=config.location,
        unchanged=unchanged,
        identity=identity,
        outputs=MappingProxyType(
            {
                "image": shipped.image,
                "image-source": shipped.source,
                "registry-access": shipped.access,
                "resource-group": config.resource_group,
            }
        ),
        changes=changes,
        notes=notes,
        can_roll_back=can_roll_back,
        secrets=secrets,
    )
