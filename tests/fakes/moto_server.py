"""moto as a real HTTP server on loopback, and a recording proxy in front of it.

:class:`MotoServer` runs ``moto.server.ThreadedMotoServer`` on 127.0.0.1 (never
0.0.0.0) with Lambda's Docker use switched off and AWS managed IAM policies
loaded (reference: style-anchors §3.1). :meth:`MotoServer.reset` empties every
backend between tests in ~20 ms.

moto is lax (it accepts any web-identity token, publishes duplicate versions,
ignores most request shapes), so tests put :class:`MotoProxy` between the
program and moto. It is a :class:`~tests.fakes.server.FakeBase`: it records
every request (``proxy.requests``), applies the base's path-based faults, and
adds operation-based injections (``proxy.inject("AssumeRoleWithWebIdentity",
sts_error(403, "AccessDenied", ...))``), since STS and IAM post every action to
``/``. Everything else is forwarded to moto unchanged.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote

import httpx

from .server import FakeBase, RecordedRequest

# moto reads this when it builds the IAM backend: without it, attaching
# arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole fails.
os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"

import moto.iam.models  # noqa: E402
from moto.iam.aws_managed_policies import aws_managed_policies_data  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

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

__all__ = [
    "MotoProxy",
    "MotoServer",
    "lambda_error",
    "operation_of",
    "sts_error",
]

_LAMBDA_ROUTES: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (method, re.compile(pattern), name)
    for method, pattern, name in (
        ("POST", r"^/2015-03-31/functions/?$", "CreateFunction"),
        ("GET", r"^/2015-03-31/functions/[^/]+/?$", "GetFunction"),
        ("DELETE", r"^/2015-03-31/functions/[^/]+/?$", "DeleteFunction"),
        ("GET", r"^/2015-03-31/functions/[^/]+/configuration$", "GetFunctionConfiguration"),
        ("PUT", r"^/2015-03-31/functions/[^/]+/configuration$", "UpdateFunctionConfiguration"),
        ("PUT", r"^/2015-03-31/functions/[^/]+/code$", "UpdateFunctionCode"),
        ("POST", r"^/2015-03-31/functions/[^/]+/versions$", "PublishVersion"),
        ("GET", r"^/2015-03-31/functions/[^/]+/versions$", "ListVersionsByFunction"),
        ("POST", r"^/2015-03-31/functions/[^/]+/aliases$", "CreateAlias"),
        ("GET", r"^/2015-03-31/functions/[^/]+/aliases/[^/]+$", "GetAlias"),
        ("PUT", r"^/2015-03-31/functions/[^/]+/aliases/[^/]+$", "UpdateAlias"),
        ("DELETE", r"^/2015-03-31/functions/[^/]+/aliases/[^/]+$", "DeleteAlias"),
        ("GET", r"^/2015-03-31/functions/[^/]+/policy$", "GetPolicy"),
        ("POST", r"^/2015-03-31/functions/[^/]+/policy$", "AddPermission"),
        ("DELETE", r"^/2015-03-31/functions/[^/]+/policy/[^/]+$", "RemovePermission"),
        ("POST", r"^/2021-10-31/functions/[^/]+/url$", "CreateFunctionUrlConfig"),
        ("GET", r"^/2021-10-31/functions/[^/]+/url$", "GetFunctionUrlConfig"),
        ("PUT", r"^/2021-10-31/functions/[^/]+/url$", "UpdateFunctionUrlConfig"),
        ("DELETE", r"^/2021-10-31/functions/[^/]+/url$", "DeleteFunctionUrlConfig"),
        ("PUT", r"^/2017-10-31/functions/[^/]+/concurrency$", "PutFunctionConcurrency"),
        ("POST", r"^/2017-03-31/tags/.+$", "TagResource"),
        ("GET", r"^/2017-03-31/tags/.+$", "ListTags"),
    )
)


def operation_of(method: str, path: str, headers: httpx.Headers, body: bytes) -> str:
    """The AWS operation of a request, e.g. "AssumeRoleWithWebIdentity" or "CreateFunction".

    S3 requests are named "S3 <METHOD> <path>".
    """
    target = str(headers.get("x-amz-target", ""))
    if target:
        return target.rsplit(".", 1)[-1]
    if "x-www-form-urlencoded" in headers.get("content-type", "") and body:
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return action[0]
    decoded = unquote(path)
    for route_method, pattern, name in _LAMBDA_ROUTES:
        if route_method == method and pattern.match(decoded):
            return name
    return f"S3 {method} {decoded}"


def sts_error(status: int, code: str, message: str) -> httpx.Response:
    """An STS (query protocol) error response, as AWS sends it."""
    body = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>4f3c2b1a-0000-4000-8000-fake00000001</RequestId>"
        "</ErrorResponse>"
    )
    return httpx.Response(
        status,
        headers={
            "Content-Type": "text/xml",
            "x-amzn-RequestId": "4f3c2b1a-0000-4000-8000-fake00000001",
        },
        content=body.encode(),
    )


def lambda_error(status: int, code: str, message: str) -> httpx.Response:
    """A Lambda (rest-json protocol) error response, as AWS sends it."""
    return httpx.Response(
        status,
        headers={
            "Content-Type": "application/json",
            "x-amzn-ErrorType": f"{code}:http://internal.amazon.com/coral/com.amazon.coral/",
            "x-amzn-RequestId": "7d6e5f4a-0000-4000-8000-fake00000002",
        },
        content=json.dumps({"Type": "User", "message": message}).encode(),
    )


@dataclass
class _Injection:
    operation: str
    response: Callable[[], httpx.Response]
    remaining: int


class MotoProxy(FakeBase):
    """Forwards to moto; records requests; injects answers per AWS operation."""

    name = "moto-proxy"

    def __init__(self, upstream: str) -> None:
        super().__init__()
        self.upstream = upstream.rstrip("/")
        self._client = httpx.Client(timeout=30.0, trust_env=False)
        self._injections: list[_Injection] = []
        self._injection_lock = threading.Lock()

    def close(self) -> None:
        self._client.close()

    # --- injections --------------------------------------------------------------------------
    def inject(
        self, operation: str, response: Callable[[], httpx.Response], *, times: int = 1
    ) -> None:
        """Answer the next ``times`` requests of ``operation`` with ``response()``."""
        with self._injection_lock:
            self._injections.append(_Injection(operation, response, times))

    def _take(self, operation: str) -> Callable[[], httpx.Response] | None:
        with self._injection_lock:
            for injection in self._injections:
                if injection.operation == operation:
                    injection.remaining -= 1
                    if injection.remaining == 0:
                        self._injections.remove(injection)
                    return injection.response
        return None

    @property
    def pending_injections(self) -> int:
        with self._injection_lock:
            return sum(i.remaining for i in self._injections)

    def reset_state(self) -> None:
        with self._injection_lock:
            self._injections.clear()

    # --- the log --------------------------------------------------------------------------------
    @staticmethod
    def operation(recorded: RecordedRequest) -> str:
        return operation_of(recorded.method, recorded.path, recorded.headers, recorded.body)

    def operations(self) -> list[str]:
        with self._lock:
            return [self.operation(r) for r in self.requests]

    def requests_for(self, operation: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if self.operation(r) == operation]

    # --- forwarding -------------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        operation = operation_of(request.method, request.url.path, request.headers, request.content)
        injected = self._take(operation)
        if injected is not None:
            return injected()
        url = self.upstream + request.url.raw_path.decode("ascii")
        headers = [
            (k, v)
            for k, v in request.headers.multi_items()
            if k.lower() not in ("host", "content-length", "connection", "transfer-encoding")
        ]
        upstream = self._client.request(
            request.method, url, headers=headers, content=request.content
        )
        response_headers = [
            (k, v)
            for k, v in upstream.headers.multi_items()
            if k.lower()
            not in ("content-length", "content-encoding", "transfer-encoding", "connection")
        ]
        return httpx.Response(
            upstream.status_code, headers=response_headers, content=upstream.content
        )


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
