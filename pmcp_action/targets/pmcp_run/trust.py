"""What a CI job needs for pmcp.run: a Cognito app client's id and secret, stored as CI
secrets (pmcp.run has no OIDC federation)."""

from __future__ import annotations

from typing import Any

from ...trust.model import TrustPlan, TrustRequest
from ...trust.stored import stored_secrets_plan
from .declaration import DECLARATION

__all__ = ["plan"]


def plan(target: Any, request: TrustRequest) -> TrustPlan:
    return stored_secrets_plan(
        DECLARATION,
        request,
        "Get a Cognito app client with the client_credentials grant for your pmcp.run "
        "account (its client id and client secret).",
    )
