"""A REST API's client: the base URL, its headers and one provider's error envelope.

A target's API module subclasses :class:`RestApi` (or holds one) and writes only its
calls: ``self.call("GET", path, "reading service x")``. What every call shares is here:

- ``doing`` names the call in every error (the retrying client's transport failures
  included, through the request's ``pmcp_doing`` extension);
- an error answer becomes the provider's error through its :class:`ErrorEnvelope`;
- ``missing_ok`` turns a 404 into ``None``;
- ``once=True`` sends a call that is not idempotent exactly once (no client retry), so the
  caller can read whether it happened before it sends it again;
- ``idempotent=True`` marks a POST that only reads (a GraphQL query): the client may send it
  again after an answer lost on the way back, as it does a GET.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import httpx

from ..errors import RemoteApiError
from .body import json_object, json_or_none
from .transport import DOING, HINT

__all__ = ["ErrorEnvelope", "RestApi", "StatusEnvelope"]


class ErrorEnvelope(Protocol):
    """One provider's way of saying a call failed."""

    def failed(self, response: httpx.Response) -> bool:
        """True when ``response`` is an error (some providers answer 200 with one)."""
        ...

    def error(self, response: httpx.Response, doing: str) -> RemoteApiError:
        """The program's error for a failed answer, with the way out named."""
        ...


class StatusEnvelope:
    """The plain envelope: 4xx/5xx are errors, with the status and a short body excerpt."""

    def failed(self, response: httpx.Response) -> bool:
        return response.status_code >= 400

    def error(self, response: httpx.Response, doing: str) -> RemoteApiError:
        return RemoteApiError(
            f"{doing[:1].upper()}{doing[1:]} failed: HTTP {response.status_code}.",
            status=response.status_code,
            body=response.text[:500],
        )


class RestApi:
    """Calls to one API over an injected client (retries and the deadline are the client's)."""

    def __init__(
        self,
        client: httpx.Client,
        base: str,
        *,
        envelope: ErrorEnvelope | None = None,
        headers: Mapping[str, str] | None = None,
        reach_hint: str = "",
    ) -> None:
        self.client = client
        #: Where the endpoint comes from, for a transport failure's advice
        #: ("override: PMCP_API_URL").
        self.reach_hint = reach_hint
        self.base = base.rstrip("/")
        self.envelope: ErrorEnvelope = envelope or StatusEnvelope()
        self.headers: dict[str, str] = dict(headers or {})

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base}{path}"

    def send(
        self,
        method: str,
        path: str,
        doing: str,
        *,
        json: object = None,
        content: bytes | Iterable[bytes] | None = None,
        files: Any = None,
        data: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        once: bool = False,
        idempotent: bool = False,
    ) -> httpx.Response:
        """The raw answer, whatever its status (transport failures raise)."""
        extensions: dict[str, Any] = {DOING: doing}
        if self.reach_hint:
            extensions[HINT] = self.reach_hint
        if once:
            extensions["pmcp_retry"] = False
        if idempotent:
            extensions["pmcp_idempotent"] = True
        return self.client.request(
            method,
            self.url(path),
            headers={**self.headers, **(headers or {})},
            json=json,
            content=content,
            files=files,
            data=data,
            params=params,
            extensions=extensions,
        )

    def call(
        self,
        method: str,
        path: str,
        doing: str,
        *,
        missing_ok: bool = False,
        **kwargs: Any,
    ) -> httpx.Response | None:
        """The answer of a call that succeeded; None for a 404 when ``missing_ok``."""
        response = self.send(method, path, doing, **kwargs)
        if missing_ok and response.status_code == 404:
            return None
        if self.envelope.failed(response):
            raise self.envelope.error(response, doing)
        return response

    def call_json(self, method: str, path: str, doing: str, **kwargs: Any) -> dict[str, Any]:
        """The JSON object a successful call answers (an error when it is anything else)."""
        response = self.call(method, path, doing, **kwargs)
        assert response is not None  # missing_ok is not passed here
        return json_object(response, doing)

    def find_json(self, path: str, doing: str, **kwargs: Any) -> dict[str, Any] | None:
        """A GET whose 404 means "there is none"."""
        response = self.call("GET", path, doing, missing_ok=True, **kwargs)
        return None if response is None else json_object(response, doing)

    @staticmethod
    def body(response: httpx.Response) -> Any:
        return json_or_none(response)
