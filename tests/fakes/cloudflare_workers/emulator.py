"""The cloudflare-workers emulator: the fake served on 127.0.0.1 with workerd behind it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import MappingProxyType

from ..emulators import Emulator, EmulatorError, Running
from ..server import LoopbackServer
from .api import FakeCloudflare
from .state import ACCOUNT_ID, TOKEN


def create_fake() -> FakeCloudflare:
    """For ``python -m tests.fakes``: the fake with workerd when the npm peers are installed."""
    workerd = os.environ.get("PMCP_FAKE_WORKERD")
    return FakeCloudflare(workerd=Path(workerd) if workerd else None)


@contextmanager
def emulate(*, host: str = "127.0.0.1", tls: bool = False) -> Iterator[Running]:
    """The Workers API fake with its workers.dev zone on workerd (the pinned npm peer)."""
    if tls:
        raise EmulatorError("cloudflare-workers is served over plain http (workerd behind it)")
    from ..npm_tools import npm_tools

    fake = FakeCloudflare(workerd=npm_tools().workerd)
    try:
        with LoopbackServer(fake, host=host) as server:
            url = str(server.url)
            yield Running(
                urls=MappingProxyType({"cloudflare-workers": url}),
                env=MappingProxyType(
                    {
                        "CLOUDFLARE_API_BASE_URL": f"{url}/client/v4",
                        "CLOUDFLARE_ACCOUNT_ID": ACCOUNT_ID,
                        # The fake serves the workers.dev zone under its own origin.
                        "PMCP_WORKERS_DEV_ORIGIN": url,
                    }
                ),
                secrets=MappingProxyType({"CLOUDFLARE_API_TOKEN": TOKEN}),
                fakes=MappingProxyType({"cloudflare-workers": fake}),
            )
    finally:
        fake.close()


def _write_stand_in_worker(project: Path) -> str:
    from .stand_in import write_bundle

    main = write_bundle(project / "deploy" / "cloudflare" / "build")
    return f"stand-in worker-build output {main.parent} (a JS MCP worker and a wasm module)"


#: ``serve cloudflare-workers`` and the demo: the API fake, its token and account, and
#: workers.dev on workerd (installed by scripts/lib/npm-tools.sh on first use).
EMULATOR = Emulator(
    name="cloudflare-workers",
    summary="Cloudflare Workers API: token check, versions, deployments; workers.dev on workerd",
    start=emulate,
    target=True,
    stand_in=_write_stand_in_worker,
)
