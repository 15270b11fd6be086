"""scaffold: cargo-pmcp's record of the CDK scaffold is read when it is there, never required,
and a hand-changed scaffold is named (pmcp-action does not run it)."""

from __future__ import annotations

from pathlib import Path

from pmcp_action.scaffold import RECORD, content_digest, scaffold_warnings

STACK = "export class Stack {}\n"


def _project(root: Path, record: str | None, *, stack: str = STACK) -> Path:
    (root / "deploy" / "lib").mkdir(parents=True)
    (root / "deploy" / "lib" / "stack.ts").write_text(stack, newline="")
    if record is not None:
        (root / RECORD).write_text(record)
    return root


def test_without_a_record_nothing_is_said(tmp_path: Path) -> None:
    assert scaffold_warnings(_project(tmp_path, None)) == []
    assert scaffold_warnings(tmp_path / "elsewhere") == []


def test_an_unmodified_scaffold_is_quiet_and_crlf_reads_as_lf(tmp_path: Path) -> None:
    digest = content_digest(STACK)
    assert digest.startswith("sha256:") and len(digest) == 7 + 64
    record = f'[files]\n"lib/stack.ts" = "{digest}"\n'
    assert scaffold_warnings(_project(tmp_path, record, stack=STACK.replace("\n", "\r\n"))) == []


def test_a_hand_changed_scaffold_is_named(tmp_path: Path) -> None:
    record = f'# Written by cargo-pmcp\n[files]\n"lib/stack.ts" = "{content_digest(STACK)}"\n'
    (warning,) = scaffold_warnings(_project(tmp_path, record, stack=STACK + "// edited\n"))
    assert warning.startswith("deploy/lib/stack.ts was changed by hand since cargo-pmcp wrote it")
    assert "does not run the CDK scaffold" in warning


def test_an_unreadable_record_is_ignored_with_a_warning(tmp_path: Path) -> None:
    (warning,) = scaffold_warnings(_project(tmp_path, "files = [1, 2"))
    assert warning.startswith(f"Ignoring {RECORD}")
