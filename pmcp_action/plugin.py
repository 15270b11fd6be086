"""The public face for target packages: everything a target imports from pmcp-action.

A plug-in target (a package registered through the ``pmcp_action.targets`` entry-point
group; ``tests/plugin_target`` is one) imports from this module only, so the core can
move its modules without breaking it. Every name is loaded on first use: a
``declaration`` module that imports :class:`TargetDeclaration` and :class:`InputSpec`
from here pays for nothing else, so ``--help`` and target discovery stay light.

- the declaration: :class:`TargetDeclaration`, :class:`Fallback`, :class:`OutputSpec`
  (typed by :class:`OutputKind`), :class:`CiInputs` and :class:`ArtifactBuild` (what a CI
  job gives and builds: ``pmcp-action init``), :class:`InputSpec`, :class:`InputKind`,
  :class:`Auth` (the shared auth input's values), :class:`McpPathRule` (how the MCP endpoint
  follows from the service URL);
- the run: :class:`RunContext` (settings, project, console, HTTP, deadline, ID token),
  :class:`TargetInputs` (``context.settings.inputs``);
- problems and errors: :class:`Problem`, :class:`PmcpActionError` and its kinds;
- results: :class:`TargetResult`, :class:`PlanChange`, :class:`LogExcerpt`,
  :class:`McpEndpoint` (a service URL's MCP endpoint, by the one rule);
- the flow: :class:`DeployFlow` (or :class:`ServesLogs`, :class:`ServesPreviews`), :class:`Steps`,
  :class:`Deployed`, :class:`NothingDeployedError`;
- ownership: :class:`Resource`, :class:`Adoption`, :func:`labels`, :func:`is_managed`,
  :data:`MANAGED_BY`, :data:`OWNER`;
- the REST kit: :class:`RestApi`, :class:`ErrorEnvelope`, :class:`TransportFailure`,
  :func:`json_object`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import lazy_exports

if TYPE_CHECKING:
    from .context import RunContext
    from .endpoint import McpEndpoint
    from .errors import (
        ConfigError,
        CredentialExchangeError,
        DeployError,
        NotSupportedError,
        OidcError,
        PmcpActionError,
        Problem,
        RemoteApiError,
        TimeoutExceededError,
        ValidationError,
    )
    from .flow import (
        Deployed,
        DeployFlow,
        NothingDeployedError,
        ServesLogs,
        ServesPreviews,
        Steps,
    )
    from .ownership import MANAGED_BY, OWNER, Adoption, Resource, is_managed, labels
    from .rest import ErrorEnvelope, RestApi, TransportFailure, json_object
    from .result import LogExcerpt, PlanChange, TargetResult
    from .settings.declaration import (
        ArtifactBuild,
        CiInputs,
        Fallback,
        OutputKind,
        OutputSpec,
        TargetDeclaration,
    )
    from .settings.spec import InputKind, InputSpec
    from .settings.target_inputs import TargetInputs
    from .settings.vocabulary import Auth, McpPathRule

__all__ = [
    "MANAGED_BY",
    "OWNER",
    "Adoption",
    "ArtifactBuild",
    "Auth",
    "CiInputs",
    "ConfigError",
    "CredentialExchangeError",
    "DeployError",
    "DeployFlow",
    "Deployed",
    "ErrorEnvelope",
    "Fallback",
    "InputKind",
    "InputSpec",
    "LogExcerpt",
    "McpEndpoint",
    "McpPathRule",
    "NotSupportedError",
    "NothingDeployedError",
    "OidcError",
    "OutputKind",
    "OutputSpec",
    "PlanChange",
    "PmcpActionError",
    "Problem",
    "RemoteApiError",
    "Resource",
    "RestApi",
    "RunContext",
    "ServesLogs",
    "ServesPreviews",
    "Steps",
    "TargetDeclaration",
    "TargetInputs",
    "TargetResult",
    "TimeoutExceededError",
    "TransportFailure",
    "ValidationError",
    "is_managed",
    "json_object",
    "labels",
]

_FROM = {
    ".context": ("RunContext",),
    ".endpoint": ("McpEndpoint",),
    ".errors": (
        "ConfigError",
        "CredentialExchangeError",
        "DeployError",
        "NotSupportedError",
        "OidcError",
        "PmcpActionError",
        "Problem",
        "RemoteApiError",
        "TimeoutExceededError",
        "ValidationError",
    ),
    ".flow": (
        "DeployFlow",
        "Deployed",
        "NothingDeployedError",
        "ServesLogs",
        "ServesPreviews",
        "Steps",
    ),
    ".ownership": ("MANAGED_BY", "OWNER", "Adoption", "Resource", "is_managed", "labels"),
    ".rest": ("ErrorEnvelope", "RestApi", "TransportFailure", "json_object"),
    ".result": ("LogExcerpt", "PlanChange", "TargetResult"),
    ".settings.declaration": (
        "ArtifactBuild",
        "CiInputs",
        "Fallback",
        "OutputKind",
        "OutputSpec",
        "TargetDeclaration",
    ),
    ".settings.spec": ("InputKind", "InputSpec"),
    ".settings.target_inputs": ("TargetInputs",),
    ".settings.vocabulary": ("Auth", "McpPathRule"),
}

__getattr__ = lazy_exports(
    __name__, {name: f"pmcp_action{where}" for where, names in _FROM.items() for name in names}
)
