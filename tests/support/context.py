"""One way to build a :class:`~pmcp_action.context.RunContext` for a test.

The context goes through the real settings loader: the inputs a test gives
are passed as action inputs (``INPUT_*``), so every message names its source
as a real run would ("input 'region'"), defaults come from the declarations,
and the target's fallbacks (deploy.toml, cloud variables) apply.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import httpx

from pmcp_action.ci.base import Platform
from pmcp_action.context import IdTokenSource, Project, RunContext
from pmcp_action.deadline import Deadline
from pmcp_action.errors import ValidationError
from pmcp_action.http import HttpClientFactory
from pmcp_action.secrets import resolve_secrets
from pmcp_action.settings.catalogue import Catalogue, catalogue
from pmcp_action.settings.deploy_toml import DeployConfig
from pmcp_action.settings.loader import load_settings
from pmcp_action.settings.precedence import read_given

__all__ = ["input_environ", "input_text", "make_context", "no_id_token"]


def input_text(value: Any) -> str:
    """A Python value as an action input's text ("" = not given)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return ",".join(str(item) for item in value)
    return str(value)


def input_environ(inputs: Mapping[str, Any]) -> dict[str, str]:
    """``INPUT_*`` variables for inputs given by name or by attribute name."""
    environ: dict[str, str] = {}
    for name, value in inputs.items():
        text = input_text(value)
        if text:
            environ[f"INPUT_{name.replace('_', '-').upper()}"] = text
    return environ


def no_id_token(audience: str) -> str:
    raise AssertionError(f"this test must not ask for an OIDC token (audience {audience!r})")


def make_context(
    *,
    target: str,
    root: Path,
    inputs: Mapping[str, Any] | None = None,
    config: DeployConfig | None = None,
    environment: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    server_name: str = "",
    version: str = "",
    console: Platform | None = None,
    transport: httpx.BaseTransport | None = None,
    deadline: Deadline | None = None,
    sleep: Callable[[float], None] = lambda _s: None,
    id_token: IdTokenSource = no_id_token,
    known: Catalogue | None = None,
) -> RunContext:
    """A context for ``target`` whose settings come from ``inputs`` (by name or attr name).

    ``environ`` is the run's environment (cloud endpoints, CI variables); the
    inputs are added to it as ``INPUT_*``. ``environment`` is the server's merged
    environment ([environment] + the environment input) as the project holds it.
    ``known`` is the catalogue (a plug-in target's declaration joined in), else the
    process's.
    """
    deploy_config = config or DeployConfig()
    given = dict(inputs or {})
    given.setdefault("target", target)
    if server_name:
        given.setdefault("server-name", server_name)
    run_environ = {**dict(environ or {}), **input_environ(given)}
    known = known or catalogue()
    given = read_given({}, run_environ, known.inputs)
    console = console or Platform(environ={}, log_stream=io.StringIO())
    settings = load_settings(
        given, environ=run_environ, deploy_config=deploy_config, known=known, on_secret=console.mask
    )
    # The server's secrets, resolved as a run resolves them (problems raise here).
    resolved = resolve_secrets(
        settings.secrets,
        given_source=settings.sources.get("secrets", "input 'secrets'"),
        config=deploy_config,
        environ=dict(environ or {}),
        environment=dict(environment or {}),
        environment_input=settings.environment,
        prune=settings.prune_secrets,
        mask=console.mask,
    )
    if resolved.problems:
        raise ValidationError(resolved.problems)
    return RunContext(
        settings=settings,
        project=Project(
            root=root,
            config=deploy_config,
            server_name=settings.server_name or deploy_config.server.name,
            environment=resolved.environment,
            version=version,
            secrets=resolved.secrets,
        ),
        console=console,
        http=HttpClientFactory(transport=transport, sleep=sleep),
        deadline=deadline or Deadline(600.0),
        id_token=id_token,
        environ=MappingProxyType(dict(environ or {})),
        sleep=sleep,
    )
