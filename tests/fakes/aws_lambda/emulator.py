"""The aws-lambda emulator: moto behind the recording proxy, the OIDC fake, a real MCP server.

A deploy reaches AWS through ``AWS_ENDPOINT_URL`` (the proxy in front of moto), gets its
ID token from the OIDC fake (``ACTIONS_ID_TOKEN_REQUEST_URL``/``_TOKEN``, as on a runner) and
assumes :data:`~tests.support.aws.DEPLOYER_ROLE` (``AWS_ROLE_TO_ASSUME``). moto serves no
function URL, so verification goes to a real MCP server on loopback (``PMCP_VERIFY_URL``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from types import MappingProxyType

from tests.support.aws import DEPLOYER_ROLE, REGION

from .. import oidc_issuer
from ..artifacts import write_stand_in_bootstrap
from ..emulators import Emulator, EmulatorError, Running
from ..mcp_servers import serve_mcp
from ..server import LoopbackServer
from .moto_server import MotoServer
from .proxy import MotoProxy

__all__ = ["EMULATOR", "emulate"]


@contextmanager
def emulate(*, host: str = "127.0.0.1", tls: bool = False) -> Iterator[Running]:
    """Start moto (reset), the proxy, the OIDC fake and the MCP server; stop them after."""
    if tls:
        raise EmulatorError("aws-lambda is served over plain http (moto and the MCP server)")
    moto = MotoServer().start()
    try:
        moto.reset()  # moto's state is per process: forget what earlier runs left behind
        proxy = MotoProxy(moto.url)
        try:
            with ExitStack() as stack:
                aws_url = str(stack.enter_context(LoopbackServer(proxy, host=host)).url)
                oidc = stack.enter_context(oidc_issuer.EMULATOR.start(host=host))
                mcp = stack.enter_context(serve_mcp())
                yield Running(
                    urls=MappingProxyType(
                        {
                            "aws-lambda": aws_url,
                            "aws-lambda/oidc": oidc.urls["oidc"],
                            "aws-lambda/verify-url": mcp.url,
                        }
                    ),
                    env=MappingProxyType(
                        {
                            "AWS_ENDPOINT_URL": aws_url,
                            "AWS_ROLE_TO_ASSUME": DEPLOYER_ROLE,
                            "PMCP_REGION": REGION,
                            **oidc.env,
                            "PMCP_VERIFY_URL": mcp.url,
                        }
                    ),
                    fakes=MappingProxyType(
                        {"moto": moto, "proxy": proxy, "oidc": oidc.fakes["oidc"], "mcp": mcp}
                    ),
                )
        finally:
            proxy.close()
    finally:
        moto.stop()


EMULATOR = Emulator(
    name="aws-lambda",
    summary="AWS Lambda: moto behind a recording proxy, GitHub's OIDC endpoint, an MCP server",
    start=emulate,
    target=True,
    stand_in=write_stand_in_bootstrap,
)
