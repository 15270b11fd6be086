"""Google's error envelopes: the API to enable, the permission to grant and a role holding it;
the OAuth envelope of the token endpoints."""

from __future__ import annotations

import httpx

from pmcp_action.targets.google_cloud_run.failures import (
    GoogleEnvelope,
    OAuthEnvelope,
    oauth_error_text,
    parse_error,
)


def _envelope(code: int, status: str, message: str, **info: object) -> httpx.Response:
    details = []
    if info:
        details.append({"@type": "type.googleapis.com/google.rpc.ErrorInfo", **info})
    return httpx.Response(
        code,
        json={"error": {"code": code, "status": status, "message": message, "details": details}},
    )


def test_service_disabled_names_the_api_and_the_link():
    response = _envelope(
        403,
        "PERMISSION_DENIED",
        "Cloud Run Admin API has not been used in project 123",
        reason="SERVICE_DISABLED",
        domain="googleapis.com",
        metadata={"service": "run.googleapis.com", "activationUrl": "https://console/x"},
    )
    envelope = GoogleEnvelope("demo")
    assert envelope.failed(response)
    error = envelope.error(response, "reading the service")
    assert error.message.startswith("Reading the service failed: HTTP 403 PERMISSION_DENIED: ")
    assert "run.googleapis.com" in error.remediation
    assert "https://console/x" in error.remediation
    assert error.status == 403 and error.google.reason == "SERVICE_DISABLED"


def test_permission_denied_names_the_permission_and_a_role():
    response = _envelope(
        403, "PERMISSION_DENIED", "Permission 'run.services.create' denied on resource"
    )
    assert parse_error(response).permission == "run.services.create"
    error = GoogleEnvelope().error(response, "creating the service")
    assert "run.services.create" in error.remediation
    assert "roles/run.admin" in error.remediation


def test_impersonation_denied_names_workload_identity_user():
    response = _envelope(
        403, "PERMISSION_DENIED", "Permission 'iam.serviceAccounts.getAccessToken' denied"
    )
    error = GoogleEnvelope().error(response, "impersonating")
    assert "roles/iam.workloadIdentityUser" in error.remediation


def test_non_json_and_success_answers():
    assert not GoogleEnvelope().failed(httpx.Response(200, json={}))
    assert parse_error(httpx.Response(502, text="<html>")).status_code == 502
    error = GoogleEnvelope().error(httpx.Response(502, text="<html>"), "reading x")
    assert error.message == "Reading x failed: HTTP 502" and error.status == 502


def test_oauth_style_error_text():
    response = httpx.Response(
        400, json={"error": "unauthorized_client", "error_description": "attribute condition"}
    )
    assert oauth_error_text(response) == "unauthorized_client: attribute condition"
    assert oauth_error_text(httpx.Response(500, text="x")) == "HTTP 500"
    refusal = OAuthEnvelope().error(response, "exchanging the token")
    assert refusal.text == "unauthorized_client: attribute condition"
    assert refusal.message == (
        "Exchanging the token failed: unauthorized_client: attribute condition"
    )
