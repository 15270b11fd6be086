"""The demo-cloud target: validates its inputs and "deploys" without any network."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from pmcp_action.context import RunContext
from pmcp_action.errors import DeployError, Problem
from pmcp_action.result import TargetResult


class DemoCloudTarget:
    name = "demo-cloud"

    def __init__(self, context: RunContext) -> None:
        self.context = context
        inputs = context.settings.inputs
        self.problems: list[Problem] = []
        self.endpoint = inputs.string("demo-endpoint", self.problems)
        self.token = inputs.text("demo-token")
        self.region = inputs.string("region", self.problems)
        self.endpoint_source = inputs.source("demo-endpoint")

    def validate(self) -> Sequence[Problem]:
        problems = list(self.problems)
        if not self.endpoint:
            problems.append(Problem("input 'demo-endpoint'", "no endpoint given", "set it"))
        if not self.token:
            problems.append(Problem("input 'demo-token'", "no token given", "pass a secret"))
        return problems

    def _result(self) -> TargetResult:
        ref = hashlib.sha256(self.token.encode()).hexdigest()[:12]
        self.context.console.info(f"Demo Cloud endpoint from {self.endpoint_source}.")
        return TargetResult(
            url=self.endpoint,
            version="1",
            region=self.region,
            unchanged=False,
            identity="demo-user",
            outputs={"demo-ref": f"ref-{ref}"},
        )

    def plan(self) -> TargetResult:
        return self._result()

    def deploy(self) -> TargetResult:
        return self._result()

    def outputs(self) -> TargetResult:
        return self._result()

    def rollback(self, to_version: str) -> TargetResult:
        raise DeployError("Demo Cloud keeps no versions.", target=self.name)

    def destroy(self) -> TargetResult:
        return TargetResult()


def create(context: RunContext) -> DemoCloudTarget:
    return DemoCloudTarget(context)
