"""The ``*.lambda-url.<region>.on.aws`` hosts: invoking a function URL reaches its alias's
version.

moto serves no function URL. :class:`FunctionUrlHosts` answers for every URL the moto of
this process handed out (:mod:`.qualified`): it finds the (function, qualifier) the host
belongs to, the version the alias routes it to *now*, and passes the request on to the
server that stands for that version (``serves[version]``, else ``default_url``: a real MCP
server on loopback, whose URL stands for the function URL's root; the bootstrap itself
never runs). As Lambda does, it answers 403
``{"Message":"Forbidden"}`` to an unsigned request when the URL's auth type is
``AWS_IAM``, and to any request when a ``NONE`` URL's qualifier lacks the two public
statements (``lambda:InvokeFunctionUrl`` with ``FunctionUrlAuthType=NONE`` and
``lambda:InvokeFunction`` with ``InvokedViaFunctionUrl``). Every invocation is recorded
(``invocations``: which function, alias and version it reached).

An alias whose routing configuration gives an additional version a weight ``w`` sends it
that share of the requests, deterministically: request ``n`` (counted per alias from 1)
goes to the additional version when ``floor(n * w)`` grew at ``n`` (``w = 0.5``: every
second request; ``0.1``: every tenth), the rest to the alias's own version.

:class:`FunctionUrlTransport` is the program's HTTP transport in a test: those hosts go to
the fake in process, every other request to the network (loopback) as usual.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from moto.awslambda.models import LambdaBackend, LambdaFunction, lambda_backends
from moto.awslambda_simple.models import lambda_simple_backends

from ..server import FakeBase, forward
from .aliases import weights_of
from .qualified import QualifiedUrlConfig, policy_of, url_configs

__all__ = ["FunctionUrlHosts", "FunctionUrlTransport", "Invocation", "is_function_url_host"]

_HOST = re.compile(r"^[0-9a-z]+\.lambda-url\.[a-z0-9-]+\.on\.aws$")


def is_function_url_host(host: str) -> bool:
    return bool(_HOST.match(host))


@dataclass(frozen=True)
class Invocation:
    """One request a function URL passed on: where it went."""

    function: str
    #: The URL's qualifier (the alias; "" for the unqualified function).
    qualifier: str
    #: The version the alias pointed to when the request came.
    version: str
    method: str
    path: str


def _forbidden() -> httpx.Response:
    return httpx.Response(
        403,
        headers={"Content-Type": "application/json", "x-amzn-ErrorType": "AccessDeniedException"},
        content=b'{"Message":"Forbidden"}',
    )


def _condition(statement: dict[str, Any], key: str) -> Any:
    """A condition's value, at the top (how moto keeps AddPermission's field) or under
    ``Condition`` (how Lambda writes it)."""
    if key in statement:
        return statement[key]
    for operator in (statement.get("Condition") or {}).values():
        for name, value in (operator or {}).items():
            if name.rsplit(":", 1)[-1] == key:
                return value
    return None


def _public(function: LambdaFunction, qualifier: str) -> bool:
    """The qualifier's policy lets anyone invoke it through a NONE URL."""
    statements = policy_of(function, qualifier).statements
    actions = set()
    for statement in statements:
        if statement.get("Effect", "Allow") != "Allow" or statement.get("Principal") not in (
            "*",
            {"AWS": "*"},
        ):
            continue
        action = statement.get("Action")
        if action == "lambda:InvokeFunctionUrl" and _condition(
            statement, "FunctionUrlAuthType"
        ) in ("NONE", ["NONE"]):
            actions.add(action)
        if action == "lambda:InvokeFunction" and str(
            _condition(statement, "InvokedViaFunctionUrl")
        ).lower() in ("true", "['true']"):
            actions.add(action)
    return actions == {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"}


class FunctionUrlHosts(FakeBase):
    """Answers for the function URLs of the moto in this process."""

    name = "lambda-url-hosts"

    def __init__(self, default_url: str = "") -> None:
        super().__init__()
        #: The server every version stands for (unless ``serves`` names one): its URL is
        #: the function URL's root (``http://127.0.0.1:<port>/mcp`` for an MCP server).
        self.default_url = default_url.rstrip("/")
        self.reset_state()

    def reset_state(self) -> None:
        #: Version -> the URL of the server that stands for it (as ``default_url``).
        self.serves: dict[str, str] = {}
        self.invocations: list[Invocation] = []
        #: (function, alias) -> how many requests its URL passed on.
        self._counts: dict[tuple[str, str], int] = {}

    def handle(self, request: httpx.Request) -> httpx.Response:
        found = self._find(request.url.host)
        if found is None:
            return httpx.Response(404, headers={"Content-Type": "text/plain"}, text="Not Found")
        backend, function, config = found
        auth = config.config.get("AuthType")
        signed = request.headers.get("authorization", "").startswith("AWS4-HMAC-SHA256 ")
        if (auth == "AWS_IAM" and not signed) or (
            auth == "NONE" and not _public(function, config.qualifier)
        ):
            return _forbidden()
        version = "$LATEST"
        with self._lock:
            if config.qualifier:
                alias = backend.get_alias(config.qualifier, function.function_name)
                version = self._route(function.function_name, config.qualifier, alias)
            self.invocations.append(
                Invocation(
                    function.function_name,
                    config.qualifier,
                    version,
                    request.method,
                    request.url.path,
                )
            )
        root = (self.serves.get(version) or self.default_url).rstrip("/")
        if not root:
            return httpx.Response(
                502,
                headers={"Content-Type": "application/json"},
                content=json.dumps({"Message": "Internal Server Error"}).encode(),
            )
        path = request.url.path.rstrip("/")
        return forward(request, root, path, f"version {version}'s stand-in")

    def _route(self, function: str, qualifier: str, alias: Any) -> str:
        """The version this request to ``alias`` reaches (its weighted split, counted)."""
        key = (function, qualifier)
        n = self._counts.get(key, 0) + 1
        self._counts[key] = n
        for extra, weight in weights_of(alias).items():
            if math.floor(n * weight + 1e-9) > math.floor((n - 1) * weight + 1e-9):
                return extra
        return str(alias.function_version)

    def invoked_versions(self, qualifier: str) -> list[str]:
        with self._lock:
            return [i.version for i in self.invocations if i.qualifier == qualifier]

    @staticmethod
    def _find(host: str) -> tuple[LambdaBackend, LambdaFunction, QualifiedUrlConfig] | None:
        if not is_function_url_host(host):
            return None
        # moto answers from its "simple" backends once Docker is off (MotoServer does that).
        for backends in (lambda_simple_backends, lambda_backends):
            for _account, _region, backend in list(backends.iter_backends()):
                assert isinstance(backend, LambdaBackend)
                for entry in list(backend._lambdas._functions.values()):
                    latest = entry["latest"]
                    for config in list(url_configs(latest).values()):
                        if urlsplit(config.url).hostname == host:
                            return backend, latest, config
        return None


class FunctionUrlTransport(httpx.BaseTransport):
    """Function URL hosts to ``hosts`` (in process), anything else to the network."""

    def __init__(self, hosts: FunctionUrlHosts) -> None:
        self.hosts = httpx.MockTransport(hosts)
        self.network = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if is_function_url_host(request.url.host):
            return self.hosts.handle_request(request)
        return self.network.handle_request(request)

    def close(self) -> None:
        self.network.close()
