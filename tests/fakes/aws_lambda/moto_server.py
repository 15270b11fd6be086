"""moto as a real HTTP server on loopback, one per test session, reset between tests.

:class:`MotoServer` runs ``moto.server.ThreadedMotoServer`` on 127.0.0.1 (never 0.0.0.0)
with Lambda's Docker use switched off and the AWS managed IAM policies the target attaches
loaded. :meth:`MotoServer.reset` empties every backend between tests in ~20 ms. moto's
UpdateFunctionConfiguration learns KMSKeyArn (the key of the environment), as Lambda has it,
and function URLs and resource policies are kept per alias (:mod:`.qualified`); an alias's
RevisionId and routing configuration are Lambda's (:mod:`.aliases`).
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import httpx

# moto reads this when it builds the IAM backend: without it, attaching
# arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole fails.
os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"

import moto.iam.models  # noqa: E402
from moto.awslambda.models import LambdaFunction  # noqa: E402
from moto.iam.aws_managed_policies import aws_managed_policies_data  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

from . import aliases, qualified  # noqa: E402

#: The AWS managed policies the tests need. moto builds all ~1,600 of them for each of
#: six partitions on every reset (~1.5 s per test); keeping these few makes a reset
#: ~30 ms. Attaching any other AWS managed policy fails with NoSuchEntity, which also
#: proves the target attaches only what it means to.
KEPT_MANAGED_POLICIES = ("AWSLambdaBasicExecutionRole", "AWSXRayDaemonWriteAccess")
_all_policies = json.loads(aws_managed_policies_data)
setattr(  # noqa: B010 - moto.iam.models reads this module global on every IAM reset
    moto.iam.models,
    "aws_managed_policies_data",
    json.dumps({name: _all_policies[name] for name in KEPT_MANAGED_POLICIES}),
)
del _all_policies

_update_configuration = LambdaFunction.update_configuration


def _update_configuration_with_key(self: LambdaFunction, config_updates: dict[str, Any]) -> Any:
    """UpdateFunctionConfiguration as Lambda does it: KMSKeyArn too (moto keeps it only from
    CreateFunction); "" puts Lambda's own key back."""
    if "KMSKeyArn" in config_updates:
        self.kms_key_arn = config_updates["KMSKeyArn"] or None
    return _update_configuration(self, config_updates)


setattr(LambdaFunction, "update_configuration", _update_configuration_with_key)  # noqa: B010
# Function URLs and resource policies per alias, as Lambda keeps them (moto: per function).
qualified.install()
# UpdateAlias's RevisionId checked and renewed, its RoutingConfig checked (moto: neither).
aliases.install()

__all__ = ["KEPT_MANAGED_POLICIES", "MotoServer"]


class MotoServer:
    """One moto server for the whole test session, reset before each test."""

    def __init__(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.url = ""

    def start(self) -> MotoServer:
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        # Lambda without Docker (invoke echoes); this also resets Lambda state, so first.
        response = httpx.post(
            f"{self.url}/moto-api/config", json={"lambda": {"use_docker": False}}, timeout=30
        )
        response.raise_for_status()
        return self

    def reset(self) -> None:
        httpx.post(f"{self.url}/moto-api/reset", timeout=30).raise_for_status()

    def stop(self) -> None:
        self._server.stop()
