"""GitHub Actions: workflow commands on stdout, file commands for outputs and summary."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from ..destinations import prepared
from .base import Platform

__all__ = ["GitHubActions", "escape_data", "escape_property"]

#: GitHub refuses step summaries over 1 MiB; stay clearly below.
SUMMARY_LIMIT = 1024 * 1024 - 16 * 1024


def escape_data(text: str) -> str:
    """Escape a workflow-command message (actions/toolkit ``escapeData``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow-command property value (``escapeProperty``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


class GitHubActions(Platform):
    name = "github-actions"
    ci = True

    def _command(self, command: str, message: str, **properties: str) -> None:
        props = ",".join(f"{k}={escape_property(v)}" for k, v in properties.items() if v)
        head = f"::{command} {props}::" if props else f"::{command}::"
        # Redact before escaping so the scrubber sees the secret as written.
        self.log_stream.write(head + escape_data(self.redactor.redact(message)) + "\n")
        self.log_stream.flush()

    def debug(self, message: str) -> None:
        if self.debug_enabled:
            self._command("debug", message)

    def warning(self, message: str, *, title: str = "") -> None:
        self._command("warning", message, title=title)

    def notice(self, message: str, *, title: str = "") -> None:
        self._command("notice", message, title=title)

    def error(self, message: str, *, title: str = "") -> None:
        self._command("error", message, title=title)

    def _announce_mask(self, fragment: str) -> None:
        # Written raw on purpose: the runner must see the value to hide it.
        for line in fragment.splitlines() or [fragment]:
            if line.strip():
                self.log_stream.write(f"::add-mask::{escape_data(line)}\n")
        self.log_stream.flush()

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        self.log_stream.write(f"::group::{escape_data(title)}\n")
        self.log_stream.flush()
        try:
            yield
        finally:
            self.log_stream.write("::endgroup::\n")
            self.log_stream.flush()

    def write_outputs(self, outputs: Mapping[str, str]) -> None:
        path = self.environ.get("GITHUB_OUTPUT", "")
        if not path:
            self.warning("GITHUB_OUTPUT is not set; outputs are printed instead.")
            super().write_outputs(outputs)
            return
        with prepared(Path(path)).open("a", encoding="utf-8") as handle:
            for name, raw in outputs.items():
                value = self.redactor.redact(raw)
                delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
                while delimiter in value:
                    delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
                handle.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")

    def write_summary(self, markdown: str) -> None:
        path = self.environ.get("GITHUB_STEP_SUMMARY", "")
        if not path:
            super().write_summary(markdown)
            return
        text = self.redactor.redact(markdown)
        data = text.encode("utf-8")
        target = prepared(Path(path))
        existing = target.stat().st_size if target.exists() else 0
        room = SUMMARY_LIMIT - existing
        if len(data) > room:
            note = (
                "\n\n_Summary truncated to stay under GitHub's 1 MiB limit; see the JSON report._\n"
            )
            keep = max(0, room - len(note.encode()))
            data = data[:keep].decode("utf-8", errors="ignore").encode("utf-8") + note.encode()
        with target.open("ab") as handle:
            handle.write(data)

    def destinations(self) -> list[tuple[Path, str, str]]:
        fix = "the runner sets it; a step that overrides it must point it at a writable file"
        return [
            (Path(self.environ[name]), f"environment variable {name}", fix)
            for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")
            if self.environ.get(name)
        ]

    @property
    def default_report_dir(self) -> str | None:
        return self.environ.get("RUNNER_TEMP") or None
