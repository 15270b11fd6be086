"""``auth: ambient``: the OAuth token ``wrangler login`` keeps, read and checked offline.

Wrangler keeps it in ``<dir>/config/default.toml`` (``oauth_token``, ``expiration_time``,
``refresh_token``, ``scopes``), where ``<dir>`` is ``~/.wrangler`` when that directory
exists, else the XDG configuration directory's ``.wrangler`` (``$XDG_CONFIG_HOME``, default
``~/.config``; ``~/Library/Preferences`` on macOS). The token is used as it is and never
refreshed here: Cloudflare rotates refresh tokens, so a refresh by this program would sign
wrangler out. An expired token is refused before any call, with the command that refreshes
it (any wrangler command that calls the API, e.g. ``wrangler whoami``). The token is masked
the moment it is read; no message quotes the file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ...errors import Problem

__all__ = ["WranglerLogin", "read_wrangler_login", "wrangler_config_files"]

#: Refuse a token this close to its expiry (a deploy takes a minute or two).
EXPIRY_SKEW_SECONDS = 120.0
_MAX_FILE = 64 * 1024
_LOGIN = "run wrangler login (or wrangler whoami, which refreshes an expired sign-in)"


@dataclass(frozen=True)
class WranglerLogin:
    """wrangler's OAuth token and the file it came from (for messages and the summary)."""

    token: str = field(repr=False)
    path: str


def wrangler_config_files(environ: Mapping[str, str]) -> list[Path]:
    """Where wrangler keeps its sign-in, in the order wrangler looks."""
    home = environ.get("HOME", "").strip()
    if not home:
        return []
    legacy = Path(home) / ".wrangler"
    if legacy.is_dir():
        return [legacy / "config" / "default.toml"]
    xdg = environ.get("XDG_CONFIG_HOME", "").strip() or str(Path(home) / ".config")
    return [
        Path(xdg) / ".wrangler" / "config" / "default.toml",
        Path(home) / "Library" / "Preferences" / ".wrangler" / "config" / "default.toml",
    ]


def _expiry(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def read_wrangler_login(
    environ: Mapping[str, str], *, now: float, mask: Callable[[str], None]
) -> tuple[WranglerLogin | None, Problem | None]:
    """wrangler's token, or the problem that says why there is none usable."""
    where = "input 'auth'"
    found = next((path for path in wrangler_config_files(environ) if path.is_file()), None)
    if found is None:
        return None, Problem(
            where,
            "auth: ambient reads the sign-in wrangler login keeps (~/.wrangler or "
            "~/.config/.wrangler, config/default.toml), and there is none",
            f"{_LOGIN}, or give cloudflare-api-token",
        )
    try:
        size = found.stat().st_size
        table = tomllib.loads(found.read_text(encoding="utf-8")) if size <= _MAX_FILE else None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return None, Problem(
            where, f"{found} cannot be read as TOML ({type(exc).__name__})", _LOGIN
        )
    if table is None:
        return None, Problem(where, f"{found} holds {size} bytes; wrangler's is a few", _LOGIN)
    token = table.get("oauth_token") or table.get("api_token")
    if not isinstance(token, str) or not token.strip():
        return None, Problem(where, f"{found} holds no oauth_token (signed out)", _LOGIN)
    token = token.strip()
    mask(token)
    for other in ("refresh_token",):
        if isinstance(table.get(other), str):
            mask(str(table[other]))
    expires = _expiry(table.get("expiration_time")) if "oauth_token" in table else None
    if "oauth_token" in table and expires is None:
        return None, Problem(where, f"{found} has no readable expiration_time", _LOGIN)
    if expires is not None and expires.timestamp() <= now + EXPIRY_SKEW_SECONDS:
        return None, Problem(
            where,
            f"wrangler's sign-in in {found} expired at {expires.isoformat(timespec='seconds')} "
            "(it is not refreshed here: Cloudflare rotates refresh tokens, which would sign "
            "wrangler out)",
            _LOGIN + ", then run again",
        )
    return WranglerLogin(token, str(found)), None
