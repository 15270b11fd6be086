"""The core's settings of one run (:class:`Settings`), and how a report shows them.

:class:`Settings` holds only what the core itself uses, typed: every field is a
common input (its default lives in its spec). The chosen target's inputs reach
it as :class:`~.target_inputs.TargetInputs` (values with their sources), which
its own ``config`` module turns into a typed configuration. Both redactions
here follow one rule: secrets become a marker and the environment input shows
variable names only, since its values may be sensitive.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType

from ..keyvalue import parse_key_values
from .catalogue import catalogue
from .spec import InputSpec
from .target_inputs import TargetInputs
from .values import RawValue
from .vocabulary import AppsMode, Check, Command, OnFailure, OutputFormat, VerifyMode

__all__ = ["Settings", "core_fields", "redact_given_inputs"]


@dataclass(frozen=True)
class Settings:
    """The core's settings of one run. Built once by :func:`load_settings`.

    Every field is a common input (its default lives in its spec); ``inputs``
    holds the chosen target's own.
    """

    target: str
    command: Command
    working_directory: Path
    config: Path | None
    server_name: str
    #: The environment input only; merged over [environment] by the project.
    environment: Mapping[str, str]
    #: The secrets input (values masked when read); resolved by :mod:`pmcp_action.secrets`.
    secrets: Mapping[str, str]
    prune_secrets: bool
    id_token_variable: str
    verify: VerifyMode
    verify_url: str
    verify_timeout_seconds: int
    verify_bearer_token: str
    verify_tools: tuple[str, ...]
    verify_checks: tuple[Check, ...]
    verify_on_failure: OnFailure
    verify_warmup_grace_ms: int
    verify_apps_mode: AppsMode
    #: The patterns of verify-scenarios, one a line (the files are read before any cloud call).
    verify_scenarios: tuple[str, ...]
    verify_oauth_client_id: str
    verify_oauth_client_secret: str
    verify_oauth_scope: str
    rollback_on_failure: bool
    rollback_to: str
    #: The new version's share of the traffic at each step, ending in 100 (validated).
    traffic_steps: tuple[int, ...]
    traffic_step_seconds: int
    timeout_minutes: int
    confirm_destroy: bool
    #: preview / destroy-preview: the preview's name as given ("" = derived from the CI event).
    preview_id: str
    #: The token for the preview's pull request comment and GitHub deployment (masked).
    github_token: str
    report_path: Path | None
    debug: bool
    output_format: OutputFormat
    #: command servers: list only what changed since this git ref ("" = every server).
    changed_since: str
    publish_registry: bool
    registry_name: str
    registry_url: str
    #: init: the CI to write for ("" = found in the repository), its deployment environment,
    #: and whether an existing file may be written over.
    ci: str
    ci_environment: str
    force: bool
    #: trust: the repository and ref whose tokens the cloud trusts, and whether to create it.
    repository: str
    ref: str
    apply: bool
    #: The chosen target's inputs (shared ones such as region included).
    inputs: TargetInputs
    #: Where each given value came from, by input name.
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def redacted(self) -> dict[str, object]:
        """The settings for the report: secrets replaced by a marker."""
        specs = {spec.attr: spec for spec in catalogue().common_inputs}
        out: dict[str, object] = {}
        for item in fields(self):
            spec = specs.get(item.name)
            if spec is None:
                continue
            value = getattr(self, item.name)
            if isinstance(value, Mapping):
                out[spec.name] = sorted(value)  # names only: values may be sensitive
            elif spec.secret:
                out[spec.name] = "***" if value else ""
            elif isinstance(value, Path):
                out[spec.name] = str(value)
            elif isinstance(value, tuple):
                out[spec.name] = list(value)
            else:
                out[spec.name] = value
        out.update(self.inputs.redacted())
        return out


def core_fields() -> frozenset[str]:
    """The :class:`Settings` fields that hold a common input."""
    return frozenset(item.name for item in fields(Settings)) - {"inputs", "sources"}


def redact_given_inputs(
    raw: Mapping[str, RawValue], specs: Iterable[InputSpec] | None = None
) -> dict[str, object]:
    """Inputs as given (text), for a report written before the settings are valid.

    The same rule as :meth:`Settings.redacted`: secrets become a marker and the
    environment input shows variable names only, since its values may be sensitive.
    """
    secret = {spec.name for spec in (specs or catalogue().inputs) if spec.secret}
    out: dict[str, object] = {}
    for name, value in raw.items():
        if name in ("environment", "secrets"):  # names only
            out[name] = sorted(parse_key_values(value.text, value.source, [], heredoc=True))
        elif name in secret:
            out[name] = "***"
        else:
            out[name] = value.text
    return out
