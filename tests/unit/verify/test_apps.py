"""verify.apps: which UI resource a tool names, for each host (the check itself runs against
the SDK's servers in test_checks)."""

from __future__ import annotations

import pytest

from pmcp_action.settings.vocabulary import AppsMode
from pmcp_action.verify.apps import MIME_TYPES, widget_uri

URI = "ui://shop/dashboard.html"


@pytest.mark.parametrize(
    ("meta", "mode", "found"),
    [
        ({"ui": {"resourceUri": URI}}, AppsMode.STANDARD, URI),
        ({"ui": {"resourceUri": URI}}, AppsMode.CLAUDE_DESKTOP, URI),
        ({"ui/resourceUri": URI}, AppsMode.STANDARD, URI),
        ({"openai/outputTemplate": URI}, AppsMode.CHATGPT, URI),
        ({"openai/outputTemplate": URI}, AppsMode.STANDARD, None),
        ({"ui": {"resourceUri": URI}}, AppsMode.CHATGPT, None),
        ({"ui": {"resourceUri": 3}}, AppsMode.STANDARD, None),
        ({}, AppsMode.STANDARD, None),
    ],
)
def test_the_ui_a_tool_names_for_each_host(
    meta: dict[str, object], mode: AppsMode, found: str | None
) -> None:
    assert widget_uri({"name": "t", "_meta": meta}, mode) == found


def test_a_tool_without_meta_names_none() -> None:
    assert widget_uri({"name": "t"}, AppsMode.STANDARD) is None
    assert widget_uri("not a tool", AppsMode.STANDARD) is None


def test_each_host_renders_its_own_html() -> None:
    assert MIME_TYPES[AppsMode.STANDARD] == MIME_TYPES[AppsMode.CLAUDE_DESKTOP]
    assert MIME_TYPES[AppsMode.STANDARD] == "text/html;profile=mcp-app"
    assert MIME_TYPES[AppsMode.CHATGPT] == "text/html+skybridge"
