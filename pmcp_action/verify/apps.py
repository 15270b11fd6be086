"""The ``apps`` check: every UI resource a tool names (MCP Apps) is there and is HTML.

A tool names its UI in ``_meta``: ``ui.resourceUri`` (the MCP Apps extension; also the older
flat ``ui/resourceUri``) for ``standard`` and ``claude-desktop``, ``openai/outputTemplate`` for
``chatgpt``. A server whose tools name none has nothing to check (as cargo-pmcp runs its apps
check only when there are widgets). Each rule names what it checks:

- ``app-resource-uri``: the URI is a ``ui://`` URI;
- ``app-resource-read``: ``resources/read`` of it answers with contents;
- ``app-mime-type``: the contents are the host's HTML (``text/html;profile=mcp-app``, or
  ``text/html+skybridge`` for chatgpt); other HTML is a warning, anything else a failure;
- ``app-html``: the contents carry text (or a blob).
"""

from __future__ import annotations

from typing import Any

from ..scenarios.executor import Caller, CallFailed
from ..settings.vocabulary import AppsMode
from .conformance import ConformanceResult, Finding

__all__ = ["MIME_TYPES", "check_apps", "widget_uri"]

#: The HTML each host renders, by mode.
MIME_TYPES = {
    AppsMode.STANDARD: "text/html;profile=mcp-app",
    AppsMode.CLAUDE_DESKTOP: "text/html;profile=mcp-app",
    AppsMode.CHATGPT: "text/html+skybridge",
}
_TIMEOUT = 15.0
_MAX_PAGES = 100


def widget_uri(tool: Any, mode: AppsMode) -> str | None:
    """The UI resource ``tool`` names for ``mode`` (None when it names none)."""
    meta = tool.get("_meta") if isinstance(tool, dict) else None
    if not isinstance(meta, dict):
        return None
    if mode is AppsMode.CHATGPT:
        found = meta.get("openai/outputTemplate")
    else:
        ui = meta.get("ui")
        found = ui.get("resourceUri") if isinstance(ui, dict) else meta.get("ui/resourceUri")
    return found if isinstance(found, str) else None


def _tools(caller: Caller) -> list[Any]:
    tools: list[Any] = []
    cursor: str | None = None
    for _page in range(_MAX_PAGES):
        result = caller.call(
            "tools/list", {} if cursor is None else {"cursor": cursor}, timeout=_TIMEOUT
        )
        page = result.get("tools")
        if not isinstance(page, list):
            raise CallFailed("the tools/list result has no tools array")
        tools.extend(page)
        cursor = result.get("nextCursor") or None
        if not isinstance(cursor, str):
            return tools
    return tools


def check_apps(caller: Caller, capabilities: dict[str, Any], mode: AppsMode) -> ConformanceResult:
    """Judge the UI resources the tools behind ``caller`` name, for ``mode``'s host."""
    result = ConformanceResult()
    if capabilities.get("tools") is None:
        return result
    try:
        tools = _tools(caller)
    except CallFailed as exc:
        result.findings.append(
            Finding("app-resource-read", "failure", f"tools/list failed: {exc.message}")
        )
        return result
    named = [
        (str(tool.get("name")), uri)
        for tool in tools
        if isinstance(tool, dict) and (uri := widget_uri(tool, mode)) is not None
    ]
    if not named:
        return result
    result.checked.extend(["app-resource-uri", "app-resource-read", "app-mime-type", "app-html"])
    expected = MIME_TYPES[mode]
    read: dict[str, list[Finding]] = {}
    for tool, uri in named:
        if not uri.startswith("ui://"):
            result.findings.append(
                Finding(
                    "app-resource-uri",
                    "failure",
                    f"tool {tool} names {uri[:120]!r}, not a ui:// URI",
                )
            )
            continue
        if uri not in read:
            read[uri] = _judge(caller, capabilities, uri, expected)
        result.findings.extend(
            Finding(f.rule, f.severity, f"tool {tool}: {f.message}") for f in read[uri]
        )
    return result


def _judge(caller: Caller, capabilities: dict[str, Any], uri: str, expected: str) -> list[Finding]:
    if capabilities.get("resources") is None:
        return [
            Finding(
                "app-resource-read",
                "failure",
                f"{uri} is named as its UI, but the server advertises no resources capability",
            )
        ]
    try:
        answer = caller.call("resources/read", {"uri": uri}, timeout=_TIMEOUT)
    except CallFailed as exc:
        return [
            Finding("app-resource-read", "failure", f"resources/read {uri} failed: {exc.message}")
        ]
    contents = answer.get("contents")
    if not isinstance(contents, list) or not contents or not isinstance(contents[0], dict):
        return [Finding("app-resource-read", "failure", f"resources/read {uri} gave no contents")]
    first = contents[0]
    findings: list[Finding] = []
    mime = str(first.get("mimeType") or "")
    if mime.replace(" ", "").lower() != expected:
        html = mime.lower().startswith("text/html")
        findings.append(
            Finding(
                "app-mime-type",
                "warning" if html else "failure",
                f"{uri} is {mime or '(no mimeType)'}, not {expected}",
            )
        )
    body = first.get("text") if "text" in first else first.get("blob")
    if not isinstance(body, str) or not body.strip():
        findings.append(Finding("app-html", "failure", f"{uri} has no text or blob"))
    return findings
