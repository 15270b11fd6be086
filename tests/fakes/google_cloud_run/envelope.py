"""Google's error envelope as the fakes answer it: ``{"error": {code, status, message,
details}}``, with an ``ErrorInfo`` detail when a reason or metadata is given."""

from __future__ import annotations

from typing import Any

import httpx

from ..server import json_response

__all__ = ["error"]


def error(code: int, status: str, message: str, **info: Any) -> httpx.Response:
    details = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", **info}] if info else []
    body = {"error": {"code": code, "status": status, "message": message, "details": details}}
    return json_response(code, body)
