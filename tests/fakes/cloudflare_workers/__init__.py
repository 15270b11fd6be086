"""A stateful contract fake of the Cloudflare Workers API, serving what it stores on workerd.

- :mod:`.state` — tokens, accounts, Workers, versions, deployments; the API's envelope;
- :mod:`.uploads` — an upload read as the API reads it (multipart, bindings, imports);
- :mod:`.workerd` — a real workerd per served version (the workers.dev zone);
- :mod:`.api` — :class:`FakeCloudflare`, the API's routes and the workers.dev zone;
- :mod:`.emulator` — ``EMULATOR``: the fake served on 127.0.0.1 for the demo and act runs;
- :mod:`.stand_in` — the stand-in Workers bundle a deploy uploads.
"""

from __future__ import annotations

from .api import FakeCloudflare
from .emulator import EMULATOR, create_fake, emulate
from .state import (
    ACCOUNT_ID,
    ALL_PERMISSIONS,
    SETTINGS_READ,
    SUBDOMAIN,
    TOKEN,
    WORKERS_EDIT,
    Version,
)
from .workerd import WorkerdPool

__all__ = [
    "ACCOUNT_ID",
    "ALL_PERMISSIONS",
    "EMULATOR",
    "SETTINGS_READ",
    "SUBDOMAIN",
    "TOKEN",
    "WORKERS_EDIT",
    "FakeCloudflare",
    "Version",
    "WorkerdPool",
    "create_fake",
    "emulate",
]
