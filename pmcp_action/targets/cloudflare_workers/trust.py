"""What a CI job needs for Cloudflare: an API token with the Workers permissions, stored as
a CI secret (Cloudflare has no OIDC federation)."""

from __future__ import annotations

from typing import Any

from ...trust.model import TrustPlan, TrustRequest
from ...trust.stored import stored_secrets_plan
from .declaration import DECLARATION
from .failures import TOKEN_PAGE

__all__ = ["PERMISSIONS", "plan"]

#: The API token's permissions a deploy uses (account permissions).
PERMISSIONS = ("Workers Scripts: Edit", "Account Settings: Read")


def plan(target: Any, request: TrustRequest) -> TrustPlan:
    return stored_secrets_plan(
        DECLARATION,
        request,
        f"Create an API token ({TOKEN_PAGE}, Create Custom Token) with the account permissions "
        f"{' and '.join(PERMISSIONS)}, for the account the Worker lives in only.",
    )
