"""GitLab CI: collapsible log sections and a dotenv report for later jobs."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from ..destinations import prepared
from ..settings.common_outputs import output_variable
from .base import Platform

__all__ = ["DOTENV_LIMIT", "GitLabCi"]

#: GitLab rejects dotenv reports over 5 KiB.
DOTENV_LIMIT = 5 * 1024
_ESC = "\x1b"


class GitLabCi(Platform):
    name = "gitlab-ci"
    ci = True

    def __init__(self, *, dotenv_path: str = "", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.dotenv_path = dotenv_path
        self._section = 0

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        self._section += 1
        name = f"pmcp_{self._section}"
        self.log_stream.write(
            f"{_ESC}[0Ksection_start:{int(time.time())}:{name}[collapsed=true]\r{_ESC}[0K"
            f"{self.redactor.redact(title)}\n"
        )
        self.log_stream.flush()
        try:
            yield
        finally:
            self.log_stream.write(f"{_ESC}[0Ksection_end:{int(time.time())}:{name}\r{_ESC}[0K\n")
            self.log_stream.flush()

    @property
    def _dotenv(self) -> Path:
        return Path(
            self.dotenv_path or self.environ.get("PMCP_DOTENV_PATH", "") or "pmcp-deploy.env"
        )

    def destinations(self) -> list[tuple[Path, str, str]]:
        return [
            (
                self._dotenv,
                "the dotenv report (PMCP_DOTENV_PATH)",
                "point PMCP_DOTENV_PATH at a writable file, e.g. pmcp-deploy.env in the "
                "project directory",
            )
        ]

    def write_outputs(self, outputs: Mapping[str, str]) -> None:
        """Write ``PMCP_OUT_<NAME>=value`` lines, the outputs only: single-line values, within
        5 KiB. GitLab gives a later job these variables above its own, so no input is read
        from a name of this form (see :data:`.common_outputs.OUTPUT_VARIABLE_PREFIX`)."""
        super().write_outputs(outputs)
        path = self._dotenv
        lines: list[str] = []
        size = 0
        dropped: list[str] = []
        for name, raw in outputs.items():
            value = " ".join(self.redactor.redact(raw).split("\n")).replace("\r", " ")
            line = f"{output_variable(name)}={value}\n"
            if size + len(line.encode()) > DOTENV_LIMIT:
                dropped.append(name)
                continue
            lines.append(line)
            size += len(line.encode())
        prepared(path).write_text("".join(lines), encoding="utf-8")
        self.info(f"Outputs written to the dotenv report {path}.")
        if dropped:
            self.warning(
                "Left out of the dotenv report to stay under GitLab's 5 KiB limit: "
                + ", ".join(dropped)
                + ". They are in the JSON report."
            )

    def write_summary(self, markdown: str) -> None:
        with self.group("Deploy summary"):
            super().write_summary(markdown)

    @property
    def default_report_dir(self) -> str | None:
        return self.environ.get("CI_PROJECT_DIR") or None
