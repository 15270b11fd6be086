"""pmcp.run's fixed names: the target's name, the Lambda runtime, the dashboard."""

from __future__ import annotations

__all__ = ["CHECK_DASHBOARD", "DASHBOARD_URL", "NAME", "RUNTIME"]

NAME = "pmcp-run"
RUNTIME = "provided.al2023"
DASHBOARD_URL = "https://pmcp.run/dashboard"
CHECK_DASHBOARD = f"Check the deployment in the pmcp.run dashboard ({DASHBOARD_URL})."
