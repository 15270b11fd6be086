"""registry.failures: the registry's problem documents → errors naming the cause and the fix."""

from __future__ import annotations

import json

import httpx
import pytest

from pmcp_action.registry.failures import RegistryApiError, RegistryEnvelope


def answer(status: int, body: object) -> httpx.Response:
    return httpx.Response(
        status,
        headers={"Content-Type": "application/problem+json"},
        content=json.dumps(body).encode(),
        request=httpx.Request("POST", "https://registry.mcp.test/v0/publish"),
    )


def test_a_duplicate_version_is_told_apart() -> None:
    error = RegistryEnvelope().error(
        answer(
            400,
            {
                "title": "Bad Request",
                "status": 400,
                "detail": "Failed to publish server",
                "errors": [{"message": "invalid version: cannot publish duplicate version"}],
            },
        ),
        "publishing x version 1",
    )
    assert isinstance(error, RegistryApiError) and error.duplicate_version
    assert error.message == (
        "Publishing x version 1 failed: HTTP 400: Failed to publish server: invalid version: "
        "cannot publish duplicate version."
    )


@pytest.mark.parametrize(
    ("status", "fix"),
    [
        (401, "The registry refused the sign-in."),
        (403, "GitHub's OIDC sign-in may publish io.github.<repository owner>/* only"),
        (422, "Correct what the registry names"),
        (404, "Check registry-url"),
        (503, "Run the job again later"),
    ],
)
def test_each_status_names_its_fix(status: int, fix: str) -> None:
    error = RegistryEnvelope().error(answer(status, {"detail": "no"}), "doing it")
    assert isinstance(error, RegistryApiError) and not error.duplicate_version
    assert error.remediation.startswith(fix)
    assert error.message == f"Doing it failed: HTTP {status}: no."


def test_an_answer_that_is_no_problem_document_shows_its_text() -> None:
    response = httpx.Response(502, text="<html>Bad Gateway</html>")
    error = RegistryEnvelope().error(response, "reading it")
    assert error.message == "Reading it failed: HTTP 502: <html>Bad Gateway</html>."
    assert RegistryEnvelope().failed(response) and not RegistryEnvelope().failed(answer(200, {}))
