"""A context and the target's inputs, resolved against its intended declaration.

The target is not public yet (its DECLARATION has no inputs), so the settings loader does
not know its inputs; these helpers look them up as the loader will, in the same order:
the input, the spec's own variables, then the declared fallbacks and defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pmcp_action.context import RunContext
from pmcp_action.convert import RawValue
from pmcp_action.deploy_config import DeployConfig
from pmcp_action.errors import Problem
from pmcp_action.inputs import COMMON_INPUTS
from pmcp_action.target_inputs import TargetInputs
from pmcp_action.targets.azure_container_apps.config import AzureConfig, resolve_inputs
from pmcp_action.targets.azure_container_apps.declaration import INTENDED
from tests.support.context import input_text, make_context

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT = "11111111-2222-3333-4444-555555555555"
SUBSCRIPTION = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
BASE = {
    "azure-tenant-id": TENANT,
    "azure-client-id": CLIENT,
    "azure-subscription-id": SUBSCRIPTION,
    "image": "ghcr.io/acme/calc@sha256:" + "9" * 64,
}


def target_inputs(
    inputs: Mapping[str, Any], environ: Mapping[str, str], config: DeployConfig
) -> TargetInputs:
    specs = INTENDED.inputs + tuple(s for s in COMMON_INPUTS if s.name in INTENDED.uses)
    given: dict[str, RawValue] = {}
    for spec in specs:
        text = input_text(inputs.get(spec.name))
        if text:
            given[spec.name] = RawValue(text, f"input '{spec.name}'")
            continue
        for variable in spec.env:
            if environ.get(variable, "").strip():
                given[spec.name] = RawValue(environ[variable], f"environment variable {variable}")
                break
    return TargetInputs(INTENDED, specs, given=given, environ=environ, config=config)


def resolved(
    tmp_path: Path,
    inputs: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    config: DeployConfig | None = None,
    server_name: str = "calc",
    **context_args: Any,
) -> tuple[RunContext, AzureConfig, list[Problem]]:
    environ = dict(environ or {})
    config = config or DeployConfig()
    context = make_context(
        target="azure-container-apps",
        root=tmp_path,
        config=config,
        environ=environ,
        server_name=server_name,
        **context_args,
    )
    given = {**BASE, **dict(inputs or {})}
    azure, problems = resolve_inputs(context, target_inputs(given, environ, config))
    return context, azure, problems
