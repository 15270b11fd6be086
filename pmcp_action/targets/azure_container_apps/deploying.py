"""The steps of a deploy: sign in, the subscription made ready, the app written, traffic moved.

``Session`` is one command's connection (the ARM token is minted once per target and
reused by ``stage`` then ``promote``). ``plan`` reads only: provider states, the group, the
environment and the app; nothing is PUT, PATCHed, POSTed or DELETEd.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ...context import RunContext
from ...deadline import poll_until
from ...errors import DeployError, Problem, ValidationError
from ...result import PlanChange
from .app import MANAGED_TAG, Live, read_live, revision_suffix
from .arm import Arm
from .config import AzureConfig
from .credentials import ArmSession, sign_in

__all__ = ["NAME", "Connector", "Steps"]

NAME = "azure-container-apps"
_TAGS = {MANAGED_TAG[0]: MANAGED_TAG[1]}


class Connector:
    """Opens ARM connections for one target; refuses while the inputs have problems."""

    def __init__(self, context: RunContext, config: AzureConfig, problems: list[Problem]) -> None:
        self.context = context
        self.config = config
        self.problems = problems
        self._session: ArmSession | None = None

    @property
    def identity(self) -> str:
        return self._session.identity if self._session else ""

    @contextmanager
    def open(self) -> Iterator[Arm]:
        if self.problems:
            raise ValidationError(self.problems)
        with self.context.http() as client:
            if self._session is None:
                self._session = sign_in(self.context, self.config, client)
            yield Arm(
                client,
                self.config.arm_url,
                self._session.access_token,
                self.config.subscription_id,
                deadline=self.context.deadline,
                sleep=self.context.sleep,
                client_id=self.config.client_id,
                on_wait=self.context.console.info,
            )


@dataclass(frozen=True)
class Survey:
    providers: dict[str, str]
    group: dict[str, Any] | None
    environment: dict[str, Any] | None
    live: Live | None


class Steps:
    def __init__(self, context: RunContext, config: AzureConfig) -> None:
        self.context = context
        self.config = config
        self.console = context.console

    # --- reading -------------------------------------------------------------------------
    def app_path(self, arm: Arm) -> str:
        return arm.app_resource(self.config.resource_group, "containerApps", self.config.app_name)

    def env_path(self, arm: Arm) -> str:
        return arm.app_resource(
            self.config.resource_group, "managedEnvironments", self.config.environment
        )

    def live(self, arm: Arm) -> Live | None:
        if arm.resource_group(self.config.resource_group) is None:
            return None
        app = arm.get(self.app_path(arm), "2024-03-01", f"reading {self.config.app_name}")
        if app is None:
            return None
        return read_live(app, arm.revisions(self.config.resource_group, self.config.app_name))

    def survey(self, arm: Arm) -> Survey:
        providers = {"Microsoft.App": arm.provider_state("Microsoft.App")}
        group = arm.resource_group(self.config.resource_group)
        environment = live = None
        if group is not None and providers["Microsoft.App"] == "Registered":
            environment = arm.get(self.env_path(arm), "2024-03-01", "reading the environment")
            live = self.live(arm)
        return Survey(providers, group, environment, live)

    def planned(self, survey: Survey) -> list[PlanChange]:
        c = self.config
        changes = [
            PlanChange("update", f"provider {ns}", "register (NotRegistered)")
            for ns, state in survey.providers.items()
            if state == "NotRegistered"
        ]
        changes.append(
            PlanChange(
                "keep" if survey.group else "create",
                f"resource group {c.resource_group}",
                c.location,
            )
        )
        changes.append(
            PlanChange(
                "keep" if survey.environment else "create",
                f"managed environment {c.environment}",
                "no Log Analytics",
            )
        )
        wanted = f"{c.app_name}--{revision_suffix(c, c.image)}"
        if survey.live is None:
            changes.append(
                PlanChange("create", f"container app {c.app_name}", f"revision {wanted} at 100 %")
            )
        elif survey.live.serving == wanted:
            changes.append(
                PlanChange("keep", f"container app {c.app_name}", f"revision {wanted} serves 100 %")
            )
        else:
            changes.append(
                PlanChange(
                    "update",
                    f"container app {c.app_name}",
                    f"revision {wanted} at 0 %, verified, then 100 % (now {survey.live.serving})",
                )
            )
        return changes

    # --- preparing -------------------------------------------------------------------------
    def prepare(self, arm: Arm) -> str:
        """Providers registered, the group and the environment there; the environment id."""
        c = self.config
        for namespace in ("Microsoft.App",):
            if arm.provider_state(namespace) == "NotRegistered":
                self.console.info(
                    f"Registering the resource provider {namespace} (first use "
                    "in this subscription; this takes a minute or two)…"
                )
                arm.register_provider(namespace)
                self.console.info(f"{namespace} is registered.")
        if arm.resource_group(c.resource_group) is None:
            arm.create_resource_group(c.resource_group, c.location, dict(_TAGS))
            self.console.info(f"Created resource group {c.resource_group} in {c.location}.")
        environment = arm.get(self.env_path(arm), "2024-03-01", "reading the environment")
        if environment is None:
            self.console.info(
                f"Creating managed environment {c.environment} (no Log Analytics; a few minutes)…"
            )
            environment = arm.put(
                self.env_path(arm),
                {"location": c.location, "tags": dict(_TAGS), "properties": {}},
                f"creating managed environment {c.environment}",
            )
        return str(environment.get("id") or self.env_path(arm))

    def wait_revision(self, arm: Arm, revision: str) -> dict[str, Any]:
        path = f"{self.app_path(arm)}/revisions/{revision}"

        def ready() -> dict[str, Any] | None:
            found = arm.get(path, "2024-03-01", f"reading revision {revision}") or {}
            props = found.get("properties") or {}
            state = props.get("provisioningState")
            if state == "Failed":
                raise DeployError(
                    f"Revision {revision} failed to provision: "
                    f"{props.get('provisioningError') or 'Azure gave no reason'}"
                    f" (running state {props.get('runningState', 'unknown')}).",
                    target=NAME,
                    remediation="Check the image runs and listens on the target port "
                    f"({self.config.target_port}); see the revision's system logs in the portal.",
                )
            return found if state == "Provisioned" else None

        return poll_until(
            ready,
            deadline=self.context.deadline,
            what=f"revision {revision} provisioning",
            sleep=self.context.sleep,
        )

    def move_traffic(self, arm: Arm, revision: str) -> None:
        arm.activate(self.config.resource_group, self.config.app_name, revision)
        arm.patch(
            self.app_path(arm),
            {
                "properties": {
                    "configuration": {
                        "ingress": {"traffic": [{"revisionName": revision, "weight": 100}]}
                    }
                }
            },
            f"moving traffic to {revision}",
        )
