"""The act helper never binds the checkout itself into act's containers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.act import run_act
from tests.support.repository import REPO_ROOT


def test_run_act_refuses_the_working_tree_before_starting_anything(tmp_path: Path) -> None:
    never = tmp_path / "act-that-must-not-run"  # not even created: nothing may be started
    with pytest.raises(ValueError, match="copy_repository"):
        run_act(str(never), REPO_ROOT, tmp_path / "work", job="deploy")
    with pytest.raises(ValueError, match="copy_repository"):
        run_act(str(never), REPO_ROOT / "examples" / "..", tmp_path / "work", job="deploy")
    assert not (tmp_path / "work").exists()
