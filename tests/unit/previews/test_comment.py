"""The sticky comment's text: marker first, the facts of the push, a line once destroyed."""

from __future__ import annotations

from pmcp_action.previews.comment import DESTROYED, destroyed_body, preview_body
from pmcp_action.previews.github import marker
from pmcp_action.result import TargetResult, Verification, VerificationStatus


def test_the_comment_names_the_server_url_version_commit_and_verification():
    result = TargetResult(url="https://x/mcp", preview_url="https://x/mcp", version="v7")
    verification = Verification(
        status=VerificationStatus.VERIFIED, tools=("a", "b", "c"), scenarios_given=0
    )
    body = preview_body("calc", "pr-7", result, verification, "f" * 40)
    assert body.startswith(marker("calc") + "\n")
    for said in ("`calc`", "`pr-7`", "https://x/mcp", "`v7`", "`" + "f" * 12 + "`", "3 tools"):
        assert said in body
    assert "f" * 13 not in body  # the short commit


def test_a_failed_verification_is_said():
    body = preview_body(
        "calc",
        "pr-7",
        TargetResult(url="https://x/mcp"),
        Verification(status=VerificationStatus.FAILED),
        "",
    )
    assert "❌ failed" in body and "Commit" not in body


def test_destroyed_keeps_what_it_said_and_says_so_once():
    earlier = preview_body("calc", "pr-7", TargetResult(url="https://x/mcp"), None, "a" * 40)
    once = destroyed_body("calc", "pr-7", earlier, "b" * 40)
    twice = destroyed_body("calc", "pr-7", once, "c" * 40)
    assert "https://x/mcp" in twice
    assert twice.count(DESTROYED) == 1 and "`" + "c" * 12 + "`" in twice
    assert twice.startswith(marker("calc"))
