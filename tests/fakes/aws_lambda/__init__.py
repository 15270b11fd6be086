"""The AWS world the aws-lambda target deploys into: moto on loopback behind a recording
proxy, and the emulator the demo and the act runs start.

- :mod:`.moto_server` — :class:`MotoServer`: moto's threaded server on 127.0.0.1, reset per test;
- :mod:`.proxy` — :class:`MotoProxy`: records requests by AWS operation, injects answers;
- :mod:`.errors` — STS, Lambda and KMS error answers as AWS sends them;
- :mod:`.lambda_rules` — what Lambda answers where moto does not (environment rules, hidden
  variables);
- :mod:`.qualified` — function URLs and resource policies per alias, as Lambda keeps them
  (moto keeps one per function and ignores ``Qualifier``);
- :mod:`.url_hosts` — the ``*.lambda-url.*.on.aws`` hosts: a URL reaches its alias's version;
- :mod:`.revisions` — Lambda's ``RevisionId`` on a function: reported, and checked on a
  conditional write;
- :mod:`.iam_rules` — what IAM and STS answer where moto does not (policy simulation, the
  trust of a web identity);
- :mod:`.emulator` — ``EMULATOR``: moto, the proxy, the OIDC fake and an MCP server.
"""

from __future__ import annotations

from .emulator import EMULATOR, emulate
from .errors import kms_error, lambda_error, sts_error
from .moto_server import KEPT_MANAGED_POLICIES, MotoServer
from .proxy import MotoProxy, operation_of

__all__ = [
    "EMULATOR",
    "KEPT_MANAGED_POLICIES",
    "MotoProxy",
    "MotoServer",
    "emulate",
    "kms_error",
    "lambda_error",
    "operation_of",
    "sts_error",
]
