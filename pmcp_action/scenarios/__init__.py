"""The user's own checks: mcp-tester scenario files, run against the deployed server.

- :mod:`.model` — a scenario, its steps, operations and assertions (mcp-tester's format);
- :mod:`.loading` — the files the ``verify-scenarios`` patterns name, read and checked offline;
- :mod:`.paths` — the dotted ``key[index]`` paths assertions look at;
- :mod:`.assertions` — each assertion judged as mcp-tester judges it;
- :mod:`.executor` — a scenario run over an open MCP conversation, step by step.
"""

from __future__ import annotations

from .executor import Caller, CallFailed, ScenarioResult, ScenarioRunner, StepResult
from .loading import Loaded, load_scenarios
from .model import Scenario

__all__ = [
    "CallFailed",
    "Caller",
    "Loaded",
    "Scenario",
    "ScenarioResult",
    "ScenarioRunner",
    "StepResult",
    "load_scenarios",
]
