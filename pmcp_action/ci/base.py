"""What every CI platform adapter offers, and the parts they share.

An adapter knows where the program runs (GitHub Actions, GitLab CI, anywhere
else) and how to talk to it: logs, masks, collapsible groups, annotations,
step outputs and the job summary. All text goes through the run's
:class:`~pmcp_action.redact.Redactor` first.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from ..redact import Redactor

__all__ = ["Platform"]


class Platform:
    """Base adapter: plain logs on a stream; subclasses add the CI's protocol."""

    #: Identifier shown in reports: "github-actions", "gitlab-ci" or "local".
    name = "local"
    #: A CI system (outputs, summary and report go where it collects them); False for a
    #: terminal or any other shell, where a person reads the plain-text summary.
    ci = False

    def __init__(
        self,
        *,
        environ: Mapping[str, str],
        redactor: Redactor | None = None,
        log_stream: TextIO | None = None,
        result_stream: TextIO | None = None,
    ) -> None:
        self.environ = environ
        self.redactor = redactor if redactor is not None else Redactor()
        self.log_stream = log_stream if log_stream is not None else sys.stderr
        #: Where machine-readable results go (stdout).
        self.result_stream = result_stream if result_stream is not None else sys.stdout
        self.debug_enabled = False

    # --- text ---------------------------------------------------------------
    def _write(self, text: str) -> None:
        self.log_stream.write(self.redactor.redact(text) + "\n")
        self.log_stream.flush()

    def info(self, message: str) -> None:
        self._write(message)

    def debug(self, message: str) -> None:
        if self.debug_enabled:
            self._write(f"debug: {message}")

    def warning(self, message: str, *, title: str = "") -> None:
        self._write(f"warning: {title + ': ' if title else ''}{message}")

    def notice(self, message: str, *, title: str = "") -> None:
        """Something worth knowing that needs no fixing (GitHub shows it as an annotation)."""
        self._write(f"notice: {title + ': ' if title else ''}{message}")

    def error(self, message: str, *, title: str = "") -> None:
        self._write(f"error: {title + ': ' if title else ''}{message}")

    @property
    def colour(self) -> bool:
        """ANSI colour only for a person's terminal: never in CI, never when the log stream
        is not a TTY, never when NO_COLOR is set (https://no-color.org)."""
        if self.ci or self.environ.get("NO_COLOR", ""):
            return False
        isatty = getattr(self.log_stream, "isatty", None)
        try:
            return bool(isatty and isatty())
        except ValueError:  # a closed stream
            return False

    # --- secrets --------------------------------------------------------------
    def mask(self, secret: str) -> None:
        """Register a secret so it never appears in anything this run writes."""
        if secret:
            for fragment in self.redactor.add(secret):
                self._announce_mask(fragment)

    def _announce_mask(self, fragment: str) -> None:
        """Tell the CI to hide a value from its own logs (where it can)."""

    # --- structure --------------------------------------------------------------
    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        self._write(f"== {title}")
        yield

    # --- results ------------------------------------------------------------------
    def write_outputs(self, outputs: Mapping[str, str]) -> None:
        """Hand the step outputs to the CI (or print them)."""
        width = max((len(k) for k in outputs), default=0)
        lines = [f"  {k.ljust(width)}  {v}" for k, v in outputs.items() if v]
        self._write("Outputs:\n" + "\n".join(lines))

    def write_summary(self, markdown: str) -> None:
        """Publish the job summary (Markdown)."""
        self._write(markdown)

    def destinations(self) -> list[tuple[Path, str, str]]:
        """The files this CI reads results from: (path, what it is, how to fix it)."""
        return []

    @property
    def default_report_dir(self) -> str | None:
        """A directory for reports that outlives the step, when the CI has one."""
        return None
