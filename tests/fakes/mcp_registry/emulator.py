"""``serve mcp-registry``: the registry fake and GitHub's OIDC token endpoint, on loopback.

A deploy with ``publish-registry: true`` reaches the registry through ``PMCP_REGISTRY_URL``
and gets the ID token it signs in with from the OIDC fake
(``ACTIONS_ID_TOKEN_REQUEST_URL``/``_TOKEN``, as on a runner).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from types import MappingProxyType

from .. import oidc_issuer
from ..emulators import Emulator, Running
from ..server import LoopbackServer
from .fake import FakeMcpRegistry

__all__ = ["EMULATOR", "emulate"]


@contextmanager
def emulate(
    *, host: str = "127.0.0.1", tls: bool = False, official: bool = True
) -> Iterator[Running]:
    """The registry (``official=False``: a private one, which takes loopback remotes) and the
    OIDC fake, served until the block ends."""
    registry = FakeMcpRegistry(official=official)
    with ExitStack() as stack:
        url = str(stack.enter_context(LoopbackServer(registry, host=host, tls=tls)).url)
        oidc = stack.enter_context(oidc_issuer.EMULATOR.start(host=host))
        yield Running(
            urls=MappingProxyType({"mcp-registry": url, "mcp-registry/oidc": oidc.urls["oidc"]}),
            env=MappingProxyType({"PMCP_REGISTRY_URL": url, **oidc.env}),
            fakes=MappingProxyType({"mcp-registry": registry, "oidc": oidc.fakes["oidc"]}),
        )


EMULATOR = Emulator(
    name="mcp-registry",
    summary="the MCP Registry: GitHub OIDC sign-in, publish, reads (and GitHub's OIDC endpoint)",
    start=emulate,
)
