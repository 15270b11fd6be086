"""A recording proxy in front of moto, naming each request's AWS operation.

moto is lax (it accepts any web-identity token, publishes duplicate versions, ignores most
request shapes), so tests put :class:`MotoProxy` between the program and moto. It is a
:class:`~tests.fakes.server.FakeBase`: it records every request (``proxy.requests``),
applies the base's path-based faults, and adds operation-based injections
(``proxy.inject("AssumeRoleWithWebIdentity", sts_error(403, "AccessDenied", ...))``),
since STS and IAM post every action to ``/``; the base's faults (drops, delays, a status
after handling) pick an operation with ``contains="operation=<name>\\n"``. It also answers
as Lambda where moto does not (:mod:`.lambda_rules`): an environment Lambda refuses, and,
with ``decrypt_denied``, the variables hidden from a caller without ``kms:Decrypt``; it
keeps Lambda's ``RevisionId`` (:mod:`.revisions`): reported in every configuration, checked
on a conditional write; and as IAM and STS (:mod:`.iam_rules`): ``SimulatePrincipalPolicy``,
and with ``enforce_trust`` the role's trust of a web identity.
Everything else is forwarded to moto unchanged.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

import httpx

from ..server import FakeBase, Fault, RecordedRequest
from .errors import kms_error, lambda_error, sts_error
from .iam_rules import IamRules
from .lambda_rules import hide_variables, refusal
from .revisions import stale, with_revisions

__all__ = ["MotoProxy", "operation_of", "region_of"]

_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/")

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
        ("GET", r"^/2015-03-31/functions/[^/]+/aliases$", "ListAliases"),
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
        ("DELETE", r"^/2017-03-31/tags/.+$", "UntagResource"),
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


def region_of(headers: httpx.Headers) -> str:
    """The Region a SigV4-signed request was signed for ("us-east-1" when unsigned)."""
    match = _CREDENTIAL_SCOPE.search(headers.get("authorization", ""))
    return match.group(1) if match else "us-east-1"


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
        #: Where the proxy itself is served (set by whoever serves it).
        self.url = ""
        self._client = httpx.Client(timeout=30.0, trust_env=False)
        self._injections: list[_Injection] = []
        #: What another party does just before the next request of an operation is forwarded.
        self._meanwhile: dict[str, Callable[[], object]] = {}
        self._injection_lock = threading.Lock()
        #: Answer as Lambda answers a caller without kms:Decrypt on the functions' keys.
        self.decrypt_denied = False
        #: Hold AssumeRoleWithWebIdentity to the role's trust policy and the account's OIDC
        #: providers (moto admits any token); SimulatePrincipalPolicy is always answered.
        self.enforce_trust = False
        self.iam_rules = IamRules(self.upstream)

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

    def meanwhile(self, operation: str, action: Callable[[], object]) -> None:
        """Run ``action`` (a concurrent run's change, made straight to moto) just before the
        next ``operation`` is forwarded, which then meets the world as ``action`` left it."""
        with self._injection_lock:
            self._meanwhile[operation] = action

    @property
    def pending_injections(self) -> int:
        with self._injection_lock:
            return sum(i.remaining for i in self._injections)

    def reset_state(self) -> None:
        with self._injection_lock:
            self._injections.clear()
            self._meanwhile.clear()
        self.decrypt_denied = False
        self.enforce_trust = False

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

    def fault_text(self, request: httpx.Request) -> bytes:
        """``operation=<name>`` on a line of its own, then the body: a fault's ``contains``
        picks one AWS operation (STS and IAM post every action to ``/``, CloudWatch Logs
        names it in a header)."""
        operation = operation_of(request.method, request.url.path, request.headers, request.content)
        return f"operation={operation}\n".encode() + request.content

    def fault_response(self, fault: Fault, request: httpx.Request) -> httpx.Response:
        """A status fault in the error shape of the request's protocol (XML for STS and IAM,
        JSON for Lambda, KMS and CloudWatch Logs), as AWS's front ends answer a throttled or
        failed call; other faults (or one with a body of its own) as the base gives them."""
        if fault.kind != "status" or fault.body is not None:
            return fault.response()
        throttled = fault.status == 429
        if request.headers.get("x-amz-target"):
            code = "ThrottlingException" if throttled else "ServiceUnavailableException"
            answer = kms_error(fault.status, code, f"injected fault: {fault.status}")
        elif "x-www-form-urlencoded" in request.headers.get("content-type", ""):
            code = "Throttling" if throttled else "ServiceUnavailable"
            answer = sts_error(fault.status, code, f"injected fault: {fault.status}")
        else:
            code = "TooManyRequestsException" if throttled else "ServiceException"
            answer = lambda_error(fault.status, code, f"injected fault: {fault.status}")
        retry_after = (
            fault.retry_after if fault.retry_after is not None else (1 if throttled else None)
        )
        if retry_after is not None:
            answer.headers["Retry-After"] = f"{retry_after:g}"
        return answer

    # --- forwarding -------------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        operation = operation_of(request.method, request.url.path, request.headers, request.content)
        injected = self._take(operation)
        if injected is not None:
            return injected()
        with self._injection_lock:
            action = self._meanwhile.pop(operation, None)
        if action is not None:
            action()
        region = region_of(request.headers)
        refused = refusal(operation, request.content) or stale(
            operation,
            request.url.path,
            request.content,
            lambda name: self.configuration(name, region=region),
        )
        if refused is not None:
            return refused
        if operation == "SimulatePrincipalPolicy":
            return self.iam_rules.simulate(request.content)
        if operation == "AssumeRoleWithWebIdentity" and self.enforce_trust:
            untrusted = self.iam_rules.web_identity_refusal(request.content)
            if untrusted is not None:
                return untrusted
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
        response = httpx.Response(
            upstream.status_code, headers=response_headers, content=upstream.content
        )
        response = with_revisions(response)
        return hide_variables(operation, response) if self.decrypt_denied else response

    def configuration(self, name: str, *, region: str) -> dict[str, Any] | None:
        """$LATEST of the function ``name`` in ``region`` as moto has it now, as Lambda
        sends it (None when there is none)."""
        scope = f"AKIAPROXYREADS000000/20200101/{region}/lambda/aws4_request"
        answer = self._client.get(
            f"{self.upstream}/2015-03-31/functions/{name}/configuration",
            headers={
                "Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, "
                "SignedHeaders=host, Signature=0"
            },
        )
        if answer.status_code != 200:
            return None
        configuration: dict[str, Any] = answer.json()
        return configuration
