"""Builders for azure-container-apps tests: a context whose inputs go through the real
settings loader, and clients built the way a run builds them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from pmcp_action.context import RunContext
from pmcp_action.deadline import Deadline
from pmcp_action.deploy_config import DeployConfig
from pmcp_action.errors import Problem
from pmcp_action.http import HttpClientFactory, RetryPolicy
from pmcp_action.targets.azure_container_apps.config import AzureConfig, resolve
from tests.support.context import make_context

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT = "11111111-2222-3333-4444-555555555555"
SUBSCRIPTION = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
BASE = {
    "azure-tenant-id": TENANT,
    "azure-client-id": CLIENT,
    "azure-subscription-id": SUBSCRIPTION,
    "image": "ghcr.io/acme/calc@sha256:" + "9" * 64,
}


def resolved(
    tmp_path: Path,
    inputs: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    config: DeployConfig | None = None,
    server_name: str = "calc",
    **context_args: Any,
) -> tuple[RunContext, AzureConfig, list[Problem]]:
    """A context for the target with ``inputs`` over :data:`BASE`, and its resolved config."""
    context = make_context(
        target="azure-container-apps",
        root=tmp_path,
        inputs={**BASE, **dict(inputs or {})},
        config=config or DeployConfig(),
        environ=dict(environ or {}),
        server_name=server_name,
        **context_args,
    )
    azure, problems = resolve(context)
    return context, azure, problems


def client(
    transport: httpx.BaseTransport,
    *,
    retries: bool = True,
    deadline: Deadline | None = None,
) -> httpx.Client:
    """A client as a run builds it (``retries=False``: each call sent once, whatever it meets)."""
    policy = RetryPolicy() if retries else RetryPolicy(attempts=1)
    factory = HttpClientFactory(
        transport=transport, deadline=deadline, policy=policy, sleep=lambda _s: None
    )
    return factory()
