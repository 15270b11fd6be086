"""AWS error answers as the APIs send them (STS, Lambda, KMS), for a proxy injection to
return."""

from __future__ import annotations

import json

import httpx

__all__ = ["kms_error", "lambda_error", "sts_error"]


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


def kms_error(status: int, code: str, message: str) -> httpx.Response:
    """A KMS (json 1.1 protocol) error response, as AWS sends it."""
    return httpx.Response(
        status,
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "x-amzn-RequestId": "2b3c4d5e-0000-4000-8000-fake00000003",
        },
        content=json.dumps({"__type": code, "message": message}).encode(),
    )
