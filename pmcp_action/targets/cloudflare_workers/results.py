"""Each command's :class:`~pmcp_action.result.TargetResult`, the Worker's URLs, and how a
bundle is described in changes and messages."""

from __future__ import annotations

from types import MappingProxyType

from ...artifact.workers_bundle import ModuleBundle
from ...result import PlanChange, TargetResult
from ...secrets import SecretOutcome
from .config import WorkersConfig
from .connection import Known

__all__ = ["alias_url", "describe", "live_service_url", "live_url", "preview_url", "result"]


def describe(bundle: ModuleBundle) -> str:
    modules = ", ".join(f"{m.name} ({m.content_type}, {m.size} bytes)" for m in bundle.modules)
    return f"{modules}; {bundle.compressed_size} bytes gzip-compressed"


def _service(label: str, known: Known, config: WorkersConfig) -> str:
    host = f"{label}.{known.subdomain}.workers.dev"
    origin = config.workers_dev_origin
    return f"{origin}/{host}" if origin else f"https://{host}"


def live_service_url(known: Known, config: WorkersConfig) -> str:
    """The Worker's workers.dev URL."""
    return _service(config.host_name, known, config)


def live_url(known: Known, config: WorkersConfig) -> str:
    """The MCP endpoint under the Worker's workers.dev URL."""
    return config.endpoint.url(live_service_url(known, config))


def preview_url(version_id: str, known: Known, config: WorkersConfig) -> str:
    """The MCP endpoint under one version's preview URL (its first 8 characters before the
    Worker's name)."""
    return config.endpoint.url(_service(f"{version_id[:8]}-{config.host_name}", known, config))


def alias_url(alias: str, known: Known, config: WorkersConfig) -> str:
    """The MCP endpoint under a preview alias's URL (the alias before the Worker's name)."""
    return config.endpoint.url(_service(f"{alias}-{config.host_name}", known, config))


def result(
    known: Known,
    config: WorkersConfig,
    *,
    url: str = "",
    candidate_url: str = "",
    version: str = "",
    previous_version: str = "",
    deployment_id: str = "",
    unchanged: bool | None = None,
    changes: tuple[PlanChange, ...] = (),
    notes: tuple[str, ...] = (),
    preview_url: str = "",
    can_roll_back: bool = False,
    secrets: tuple[SecretOutcome, ...] = (),
) -> TargetResult:
    return TargetResult(
        url=url,
        service_url=live_service_url(known, config) if url else "",
        candidate_url=candidate_url,
        version=version,
        previous_version=previous_version,
        deployment_id=deployment_id,
        unchanged=unchanged,
        identity=f"{known.identity} on account {known.account_id}",
        outputs=MappingProxyType(
            {
                "account-id": known.account_id,
                "script-name": config.script_name,
                "version-preview-url": preview_url,
            }
        ),
        changes=changes,
        notes=notes,
        can_roll_back=can_roll_back,
        secrets=secrets,
    )
