"""The pmcp-run emulator: the fake with its default machine client, served on 127.0.0.1."""

from __future__ import annotations

from ..artifacts import write_stand_in_bootstrap
from ..emulators import Emulator, single_fake
from .fake import FakePmcpRun
from .state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET


def create_fake() -> FakePmcpRun:
    """A fresh fake with the default credentials :data:`DEFAULT_CLIENT_ID`/`SECRET`."""
    return FakePmcpRun()


#: ``serve pmcp-run`` and the demo: the fake with its default client; the deploy reaches it
#: through PMCP_API_URL and the client-credentials pair (the secret as a secret).
EMULATOR = Emulator(
    name="pmcp-run",
    summary="pmcp.run: discovery, token endpoint, GraphQL API, uploads, the deployed MCP server",
    start=single_fake(
        "pmcp-run",
        create_fake,
        env=lambda url: {
            "PMCP_API_URL": url,
            "PMCP_CLIENT_ID": DEFAULT_CLIENT_ID,
            "PMCP_VERIFY_TOOLS": "echo",
        },
        secrets={"PMCP_CLIENT_SECRET": DEFAULT_CLIENT_SECRET},
    ),
    target=True,
    stand_in=write_stand_in_bootstrap,
)
