"""Sign-in: the API token exchanged for a session token, which is masked at once."""

from __future__ import annotations

from dataclasses import dataclass

from pmcp_action.plugin import RunContext

from .api import DemoApi

__all__ = ["Session", "sign_in"]


@dataclass(frozen=True)
class Session:
    token: str
    #: Who the API token is, for the summary (never the token).
    user: str


def sign_in(api: DemoApi, context: RunContext) -> Session:
    """Open a session with the API token ``api`` carries; the session token is masked."""
    opened = api.open_session()
    token = str(opened.get("session", ""))
    context.console.mask(token)
    return Session(token=token, user=str(opened.get("user", "")))
