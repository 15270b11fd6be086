"""Named fakes for ``python -m tests.fakes serve NAME ...``.

Each entry makes a fresh fake with the defaults that the demo script and the
act/container tests rely on (e.g. the OIDC fake expects
``ACTIONS_ID_TOKEN_REQUEST_TOKEN`` = :data:`tests.fakes.oidc_issuer.DEFAULT_REQUEST_TOKEN`).
Add a fake by adding a line here.
"""

from __future__ import annotations

from collections.abc import Callable

from .oidc_issuer import FakeOidcIssuer
from .pmcp_run import create_fake as create_pmcp_run_fake
from .server import FakeBase

__all__ = ["FAKES"]

FAKES: dict[str, Callable[[], FakeBase]] = {
    "oidc": FakeOidcIssuer,
    "pmcp-run": create_pmcp_run_fake,
}
