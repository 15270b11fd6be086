"""A stateful fake of the whole pmcp.run contract cargo-pmcp relies on, one module per API.

URL layout (``<base>`` is the scheme and host of each incoming request, so the same
instance works in process under ``httpx.MockTransport`` and behind
:func:`tests.fakes.server.serve`):

- :mod:`.discovery` — ``GET <base>/.well-known/pmcp-config`` (snake_case JSON);
- :mod:`.cognito` — ``POST <base>/oauth2/token``, a Cognito-like token endpoint:
  ``client_credentials`` with HTTP Basic auth, ``refresh_token`` with the public
  ``client_id``; JWT-shaped access tokens carrying ``exp``;
- :mod:`.appsync` — ``POST <base>/graphql``, an AppSync-like API: every query is parsed and
  validated against :data:`.schema.SCHEMA_SDL` (graphql-core) and executed by
  :mod:`.resolvers` over the fake's state; the token must be raw (``Bearer …`` is refused
  as AppSync does); ``POST <base>/stale/graphql`` is a partial "source API" that knows
  only ``getDeployment`` (for the re-discovery path); the servers' secrets are
  :mod:`.secret_store`'s (set, list, get, delete per ``serverId``, injected into each
  deployment created after);
- :mod:`.uploads` — ``PUT <base>/uploads/<key>?X-Amz-…``, presigned S3 uploads (method,
  signature, expiry, Content-Length against the announced size, Content-Type);
- :mod:`.mcp_server` — ``<base>/<deploymentId>/mcp`` and ``/health`` (with
  ``fake.project_urls``, ``<base>/servers/<projectName>/mcp``: the project's live
  deployment, one URL for every deployment of it, as pmcp.run's host per server), a minimal MCP
  streamable-HTTP server for every successful deployment (its ``has_env`` tool says
  whether a variable, a secret among them, is set — never its value);
- :mod:`.state` — what they share; :mod:`.fake` — :class:`FakePmcpRun`, the routes;
  :mod:`.emulator` — ``EMULATOR``, the fake served for the demo and act runs.

Fault injection: ``fake.faults`` (HTTP level, from :class:`~tests.fakes.server.FakeBase`),
plus ``fake.deployment_outcomes`` (``"success"``, ``"failed"``, ``"never"`` or
``"status:<name>"`` for each next deployment), ``fake.destroy_outcomes`` (``"async"``,
``"sync"``, ``"failed"``), ``fake.graphql_paths`` (what discovery advertises, one per
discovery call), ``fake.secret_failures`` (names whose ``setServerSecret`` answers
``success: false``) and :meth:`FakePmcpRun.break_server`.
"""

from __future__ import annotations

from .emulator import EMULATOR, create_fake
from .fake import FakePmcpRun
from .mcp_server import MCP_PROTOCOL_VERSIONS
from .resolvers import ApiError
from .schema import SCHEMA_SDL, STALE_SCHEMA_SDL
from .state import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    PUBLIC_CLIENT_ID,
    Deployment,
    Operation,
    StoredSecret,
    Upload,
)

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "EMULATOR",
    "MCP_PROTOCOL_VERSIONS",
    "PUBLIC_CLIENT_ID",
    "SCHEMA_SDL",
    "STALE_SCHEMA_SDL",
    "ApiError",
    "Deployment",
    "FakePmcpRun",
    "Operation",
    "StoredSecret",
    "Upload",
    "create_fake",
]
