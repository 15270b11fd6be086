"""The steps of a deploy: sign in, the subscription made ready, the app written, traffic moved.

``Session`` is one command's connection (the ARM token is minted once per target and
reused by ``stage`` then ``promote``). ``plan`` reads only: provider states, the group, the
environment, the registry and the app; nothing is PUT, PATCHed, POSTed or DELETEd.

A revision is ready when ARM's write succeeded (the app's ``provisioningState``), the
revision is ``Provisioned`` and it runs: ``runningState`` Running and ``healthState`` not
Unhealthy (with no minimum replicas, any state but Failed). A failure, or the deadline,
reports ``provisioningError``, the running state and its details.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ...context import RunContext
from ...deadline import poll_until
from ...errors import DeployError, Problem, TimeoutExceededError, ValidationError
from ...result import PlanChange
from .acr import Registry, read_registry
from .app import BOOTSTRAP_SUFFIX, MANAGED_TAG, Live, bootstrap_body, read_live, revision_suffix
from .arm import APP_API, Arm
from .config import AzureConfig
from .credentials import ArmSession, sign_in
from .failures import ArmError

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

    @property
    def token(self) -> str:
        """The ARM token of the open session (for the registry's token exchange)."""
        return self._session.access_token if self._session else ""

    def check(self) -> None:
        """Refuse while the inputs have problems (before any network call)."""
        if self.problems:
            raise ValidationError(self.problems)

    @contextmanager
    def open(self) -> Iterator[Arm]:
        self.check()
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
    registry: Registry | None = None
    #: What the image is made from (:meth:`.image.ImageStep.describe`).
    image: str = ""
    #: True when the image needs the registry (built or assembled into it).
    needs_registry: bool = False


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

    def survey(self, arm: Arm, *, image: str = "", needs_registry: bool = False) -> Survey:
        providers = {"Microsoft.App": arm.provider_state("Microsoft.App")}
        if needs_registry:
            providers["Microsoft.ContainerRegistry"] = arm.provider_state(
                "Microsoft.ContainerRegistry"
            )
        group = arm.resource_group(self.config.resource_group)
        environment = live = registry = None
        if group is not None and providers["Microsoft.App"] == "Registered":
            environment = arm.get(self.env_path(arm), APP_API, "reading the environment")
            live = self.live(arm)
        if group is not None and needs_registry:
            registry = read_registry(arm, self.config.resource_group, self.config.registry)
        return Survey(providers, group, environment, live, registry, image, needs_registry)

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
        if survey.needs_registry:
            how = " (derived name)" if c.registry_derived else ""
            changes.append(
                PlanChange(
                    "keep" if survey.registry else "create",
                    f"container registry {c.registry}{how}",
                    survey.registry.login_server if survey.registry else "SKU Basic",
                )
            )
        if survey.needs_registry:
            access = survey.live.registry_access if survey.live else ""
            changes.append(
                PlanChange(
                    "keep" if access else "update",
                    "registry access",
                    access
                    or "the app's identity with AcrPull (the admin credentials if a role "
                    "assignment is refused)",
                )
            )
        if survey.image:
            # A prebuilt image is only read; one built or assembled may be pushed.
            action = "update" if survey.needs_registry else "keep"
            changes.append(PlanChange(action, "image", survey.image))
        pinned = bool(c.image) and "@sha256:" in c.image
        wanted = f"{c.app_name}--{revision_suffix(c, c.image)}" if pinned else "a new revision"
        if survey.live is None:
            changes.append(
                PlanChange("create", f"container app {c.app_name}", f"{wanted} at 100 %")
            )
        elif pinned and survey.live.serving == wanted:
            changes.append(
                PlanChange("keep", f"container app {c.app_name}", f"revision {wanted} serves 100 %")
            )
        else:
            changes.append(
                PlanChange(
                    "update",
                    f"container app {c.app_name}",
                    f"{wanted} at 0 % (unless the image is unchanged), verified, then 100 % "
                    f"(now {survey.live.serving})",
                )
            )
        return changes

    # --- preparing -------------------------------------------------------------------------
    def prepare(self, arm: Arm) -> str:
        """Providers registered, the group and the environment there; the environment id."""
        c = self.config
        for namespace in ("Microsoft.App",):  # Microsoft.ContainerRegistry: .acr, when used
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
        environment = arm.get(self.env_path(arm), APP_API, "reading the environment")
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

    def ensure_identity(self, arm: Arm, live: Live | None, environment_id: str) -> str:
        """The app's system-assigned identity (its principal id), made when missing.

        A new app is created with the public bootstrap image first (the identity exists
        only with the app); an existing one gets the identity by a PATCH (no new revision).
        """
        c = self.config
        if live is not None and live.principal_id:
            return live.principal_id
        if live is None:
            self.console.info(
                f"Creating container app {c.app_name} with a system-assigned identity and a "
                "bootstrap image (no replicas), so AcrPull can be granted before its first "
                "revision pulls from the registry…"
            )
            app = arm.put(
                self.app_path(arm),
                bootstrap_body(c, environment_id),
                f"creating container app {c.app_name} (bootstrap)",
            )
        else:
            app = arm.patch(
                self.app_path(arm),
                {"identity": {"type": "SystemAssigned"}},
                f"giving container app {c.app_name} a system-assigned identity",
            )
        principal = str((app.get("identity") or {}).get("principalId") or "")
        if not principal:
            raise DeployError(
                f"Container app {c.app_name} has no system-assigned identity after it was "
                "asked for one.",
                target=NAME,
                remediation="Check the app's Identity blade in the portal and run again.",
            )
        return principal

    def retire_bootstrap(self, arm: Arm) -> None:
        """Deactivate the bootstrap revision once a real one serves (best effort)."""
        c = self.config
        try:
            arm.activate(
                c.resource_group,
                c.app_name,
                f"{c.app_name}--{BOOTSTRAP_SUFFIX}",
                action="deactivate",
            )
        except ArmError as exc:
            self.console.info(
                f"The bootstrap revision stays active ({exc.code}); it runs no replicas."
            )

    def wait_revision(self, arm: Arm, revision: str) -> dict[str, Any]:
        """The revision once it is provisioned and runs; its state and reason otherwise."""
        path = f"{self.app_path(arm)}/revisions/{revision}"
        seen: dict[str, Any] = {}
        scaled_to_zero = self.config.min_replicas == 0

        def describe(props: dict[str, Any]) -> str:
            details = props.get("runningStateDetails") or ""
            return (
                f"provisioning {props.get('provisioningState', 'unknown')}, running "
                f"{props.get('runningState', 'unknown')}"
                + (f" ({details})" if details else "")
                + f", health {props.get('healthState', 'unknown')}"
            )

        def failed(props: dict[str, Any], why: str) -> DeployError:
            reason = props.get("provisioningError") or props.get("runningStateDetails") or ""
            return DeployError(
                f"Revision {revision} {why}: {reason or 'Azure gave no reason'} "
                f"({describe(props)}).",
                target=NAME,
                remediation="Check the image runs, listens on 0.0.0.0 at the target port "
                f"({self.config.target_port}) and can be pulled (registry access); see the "
                "revision's system logs in the portal (Revisions → the revision → Console "
                "logs / System logs).",
            )

        def ready() -> dict[str, Any] | None:
            found = arm.get(path, APP_API, f"reading revision {revision}") or {}
            props = found.get("properties") or {}
            seen.clear()
            seen.update(props)
            state = props.get("provisioningState")
            running = props.get("runningState")
            if state == "Failed":
                raise failed(props, "failed to provision")
            if running == "Failed":
                raise failed(props, "failed to run")
            if state != "Provisioned":
                return None
            runs = str(running or "").startswith("Running")  # also RunningAtMaxScale
            if scaled_to_zero or (runs and props.get("healthState") != "Unhealthy"):
                return found
            if running is None and props.get("healthState") is None:
                return found  # an API version without the run states: provisioned is all
            return None

        try:
            return poll_until(
                ready,
                deadline=self.context.deadline,
                what=f"revision {revision} provisioning",
                sleep=self.context.sleep,
            )
        except TimeoutExceededError:
            raise failed(seen, "did not become ready in time") from None

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
