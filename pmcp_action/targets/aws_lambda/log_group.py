"""The function's CloudWatch log group ``/aws/lambda/<name>`` and its retention.

Created before the function so that the first invocation already logs into a
group with the configured retention (Lambda would otherwise create it with
"never expire"). ``destroy`` keeps it unless ``delete-log-group`` asks: logs outlive
the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ...result import PlanChange
from .config import LambdaConfig
from .failures import aws_step, has_code

__all__ = ["LogGroupManager", "LogGroupState"]


@dataclass(frozen=True)
class LogGroupState:
    exists: bool
    #: Days, or None for "never expire".
    retention_days: int | None = None


class LogGroupManager:
    def __init__(self, logs: Any, config: LambdaConfig) -> None:
        self.logs = logs
        self.config = config
        self.name = config.log_group

    @property
    def wanted_retention(self) -> int | None:
        days = self.config.log_retention_days
        return days if days > 0 else None

    def read(self) -> LogGroupState:
        with aws_step(f"read the log group {self.name}"):
            response = self.logs.describe_log_groups(logGroupNamePrefix=self.name, limit=50)
        for group in response.get("logGroups", []):
            if group.get("logGroupName") == self.name:
                retention = group.get("retentionInDays")
                return LogGroupState(True, int(retention) if retention else None)
        return LogGroupState(False)

    def _retention_text(self, days: int | None) -> str:
        return f"{days} days" if days else "never expire"

    def plan(self, state: LogGroupState) -> list[PlanChange]:
        resource = f"log group {self.name}"
        wanted = self._retention_text(self.wanted_retention)
        if not state.exists:
            return [PlanChange("create", resource, f"retention {wanted}")]
        if state.retention_days != self.wanted_retention:
            have = self._retention_text(state.retention_days)
            return [PlanChange("update", resource, f"retention {have} → {wanted}")]
        return []

    def delete(self) -> bool:
        """Delete the log group; False when there was none."""
        with aws_step(f"delete the log group {self.name}"):
            try:
                self.logs.delete_log_group(logGroupName=self.name)
            except ClientError as exc:
                if has_code(exc, "ResourceNotFoundException"):
                    return False
                raise
        return True

    def ensure(self, state: LogGroupState) -> list[PlanChange]:
        changes = self.plan(state)
        if not state.exists:
            with aws_step(f"create the log group {self.name}"):
                try:
                    self.logs.create_log_group(logGroupName=self.name, tags=dict(self.config.tags))
                except ClientError as exc:
                    if not has_code(exc, "ResourceAlreadyExistsException"):
                        raise
        if not state.exists or state.retention_days != self.wanted_retention:
            with aws_step(f"set the retention of {self.name}"):
                if self.wanted_retention is None:
                    if state.retention_days is not None:
                        self.logs.delete_retention_policy(logGroupName=self.name)
                else:
                    self.logs.put_retention_policy(
                        logGroupName=self.name, retentionInDays=self.wanted_retention
                    )
        return changes
