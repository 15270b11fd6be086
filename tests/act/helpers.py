"""The act level's own helpers: the act_run fixture type."""

from __future__ import annotations

from collections.abc import Callable

from tests.support.act import ActRun

#: The type of the ``act_run`` fixture (see tests/act/conftest.py).
RunAct = Callable[..., ActRun]
