"""What a preview's sticky comment says: the server, the preview URL, the version, the
commit and the verification (tool count, scenarios); a line when the preview is gone."""

from __future__ import annotations

from ..result import TargetResult, Verification, VerificationStatus
from .github import marker

__all__ = ["DESTROYED", "destroyed_body", "preview_body"]

#: How the line that says the preview is gone begins (it replaces an earlier one).
DESTROYED = "🧹 **Preview destroyed**"


def _verification(verification: Verification | None) -> str:
    if verification is None:
        return "not verified"
    icon = {
        VerificationStatus.VERIFIED: "✅ verified",
        VerificationStatus.FAILED: "❌ failed",
        VerificationStatus.SKIPPED: "⏭️ skipped",
    }[verification.status]
    said = f"{icon}: {len(verification.tools)} tools"
    if verification.scenarios_given:
        said += (
            f"; scenarios {verification.scenarios_passed} passed, "
            f"{verification.scenarios_failed} failed"
        )
    return said


def preview_body(
    server: str,
    preview: str,
    result: TargetResult,
    verification: Verification | None,
    commit: str,
) -> str:
    """The comment after a push: one table the next push rewrites."""
    rows = [
        ("Server", f"`{server}`"),
        ("Preview", f"`{preview}`"),
        ("Preview URL", result.preview_url or result.url),
        ("Version", f"`{result.version}`" if result.version else ""),
        ("Commit", f"`{commit[:12]}`" if commit else ""),
        ("Verification", _verification(verification)),
    ]
    if verification is not None:
        for scenario in verification.scenarios:
            rows.append(
                (f"Scenario {scenario.name}", "✅ passed" if scenario.passed else "❌ failed")
            )
    table = "\n".join(f"| {label} | {value} |" for label, value in rows if value)
    return f"{marker(server)}\n### 🔍 Preview of `{server}`\n\n| | |\n| --- | --- |\n{table}\n"


def destroyed_body(server: str, preview: str, earlier: str, commit: str) -> str:
    """The comment once the preview is gone: what it said, and a line saying so."""
    kept = [line for line in earlier.splitlines() if not line.startswith(DESTROYED)]
    if not kept:
        kept = [marker(server), f"### 🔍 Preview of `{server}`"]
    at = f" at `{commit[:12]}`" if commit else ""
    return (
        "\n".join(
            [*kept, "", f"{DESTROYED}: `{preview}` was removed{at}; its URL no longer answers."]
        )
        + "\n"
    )
