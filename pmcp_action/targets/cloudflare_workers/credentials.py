"""Sign-in: the API token checked (user or account token), named without its secret."""

from __future__ import annotations

from .api import WorkersApi
from .config import WorkersConfig
from .failures import TOKEN_PAGE, CloudflareAuthError

__all__ = ["check_token"]


def check_token(api: WorkersApi, config: WorkersConfig) -> str:
    """Who the token is ("API token 0123abcd…"); an error when it is not active."""
    try:
        verified = api.verify_token()
    except CloudflareAuthError:
        if not config.account_id:
            raise
        # Account-owned tokens are verified under their account.
        verified = api.verify_account_token(config.account_id)
    status = str(verified.get("status", ""))
    if status != "active":
        raise CloudflareAuthError(
            f"The Cloudflare API token is {status or 'not active'}.",
            status=None,
            remediation=f"Create a new token ({TOKEN_PAGE}) with Workers Scripts: Edit "
            "(an account permission) and store it in the secret behind "
            "cloudflare-api-token.",
        )
    token_id = str(verified.get("id", ""))
    return f"API token {token_id[:8]}…" if token_id else "API token"
