"""Sign-in: the API token checked (user or account token), or wrangler login's OAuth token
(auth: ambient) tried on the account listing; named without its secret."""

from __future__ import annotations

from .api import WorkersApi
from .config import WorkersConfig
from .failures import TOKEN_PAGE, CloudflareAuthError

__all__ = ["check_token"]


def check_token(api: WorkersApi, config: WorkersConfig) -> str:
    """Who the token is ("API token 0123abcd…"); an error when it is not active."""
    if config.login:
        # An OAuth token is not an API token: /user/tokens/verify does not know it.
        try:
            api.accounts()
        except CloudflareAuthError as exc:
            raise CloudflareAuthError(
                f"Cloudflare refused wrangler login's token (from {config.login}): {exc.message}",
                status=exc.status,
                remediation="Run wrangler login again (or wrangler whoami, which refreshes "
                "the sign-in), then run again; or give cloudflare-api-token.",
            ) from None
        return f"wrangler login's OAuth token ({config.login})"
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
