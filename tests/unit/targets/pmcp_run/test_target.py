"""The flow's hooks: no rollback on pmcp.run, refused before any call."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmcp_action.errors import NotSupportedError

from .helpers import make_harness


def test_rollback_is_not_supported_and_touches_nothing(tmp_path: Path) -> None:
    h = make_harness(tmp_path)

    with pytest.raises(NotSupportedError) as caught:
        h.target.rollback("1.2.2")

    assert "pmcp.run has no rollback operation" in caught.value.message
    assert "1.2.2" in caught.value.message
    assert "Deploy the earlier version again" in caught.value.remediation
    assert h.fake.requests == []
