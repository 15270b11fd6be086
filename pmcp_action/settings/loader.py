"""Build the settings of a run once, with one precedence, and validate them all.

Every problem is collected and reported together, before any network call:
the common inputs' values (:mod:`.values`), the server name, the ``environment``
lines, and the values given to the chosen target's inputs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from enum import StrEnum
from types import MappingProxyType

from ..errors import Problem, ValidationError
from ..keyvalue import parse_key_values
from .catalogue import Catalogue, catalogue
from .core_settings import Settings, core_fields
from .declaration import TargetDeclaration
from .deploy_toml import DeployConfig
from .precedence import resolve
from .spec import InputSpec
from .target_inputs import TargetInputs
from .values import RawValue, convert, empty_value, split_list
from .vocabulary import (
    CLI_ONLY_COMMANDS,
    AppsMode,
    Check,
    Command,
    OnFailure,
    OutputFormat,
    VerifyMode,
)

__all__ = ["load_settings"]

_SERVER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
#: The settings whose text is a member of a closed vocabulary, by attribute.
_VOCABULARIES: Mapping[str, type[StrEnum]] = MappingProxyType(
    {
        "command": Command,
        "verify": VerifyMode,
        "output_format": OutputFormat,
        "verify_on_failure": OnFailure,
        "verify_apps_mode": AppsMode,
    }
)
#: Stands in for the target while the target input is missing or invalid.
_NO_TARGET = TargetDeclaration(id="none", title="no target", summary="")


def load_settings(
    given: Mapping[str, RawValue],
    *,
    environ: Mapping[str, str],
    config_values: Mapping[str, RawValue] | None = None,
    deploy_config: DeployConfig | None = None,
    on_secret: Callable[[str], None] = lambda _value: None,
    extra_problems: list[Problem] | None = None,
    known: Catalogue | None = None,
    config_unreadable: bool = False,
) -> Settings:
    """Build the frozen settings, or raise :class:`ValidationError` with every problem.

    ``given`` is what :func:`~.precedence.read_given` read (flags, action inputs,
    variables), once per run. ``config_values`` are the values ``.pmcp/deploy.toml``
    supplies to common inputs (target, server-name), already located for messages;
    ``deploy_config`` is the file itself, where the target's fallbacks look; ``environ``
    holds the cloud variables those fallbacks name. Secrets are handed to ``on_secret``
    as soon as they are seen, before anything is validated. ``config_unreadable``: the file
    exists but could not be read (its problems are in ``extra_problems``), so a target it
    may name is not reported missing as well.
    """
    cat = known or catalogue()
    problems: list[Problem] = list(extra_problems or [])
    for spec in cat.inputs:
        if spec.secret and spec.name in given:
            on_secret(given[spec.name].text.strip())

    core = core_fields()
    common = [spec for spec in cat.common_inputs if spec.attr in core]
    raw = resolve(given, common, config_values)
    values = _typed(common, raw, problems)
    _check_cli_only_command(values, raw, problems)
    if "target" not in raw and values.get("command") != Command.SERVERS and not config_unreadable:
        problems.append(
            Problem(
                "input 'target'",
                "no target given",
                "set the target input (or --target, or [target].type in .pmcp/deploy.toml) "
                "to one of: " + ", ".join(cat.ids),
            )
        )
    environment: dict[str, str] = {}
    if "environment" in raw:
        environment.update(
            parse_key_values(raw["environment"].text, raw["environment"].source, problems)
        )
    values["environment"] = MappingProxyType(environment)
    secrets: dict[str, str] = {}
    if "secrets" in raw:
        secrets.update(
            parse_key_values(
                raw["secrets"].text,
                raw["secrets"].source,
                problems,
                noun="secret",
                heredoc=True,
                on_value=on_secret,
            )
        )
    values["secrets"] = MappingProxyType(secrets)
    values["verify_tools"] = split_list(raw["verify-tools"].text) if "verify-tools" in raw else ()
    values["verify_checks"] = _checks(raw, problems)
    values["traffic_steps"] = _traffic_steps(raw.get("traffic-steps"), problems)
    values["verify_scenarios"] = tuple(
        line.strip()
        for line in (raw["verify-scenarios"].text if "verify-scenarios" in raw else "").splitlines()
        if line.strip()
    )
    _check_server_name(values, raw, problems)
    _check_verify_credentials(values, raw, problems)

    declaration = cat.target(str(values.get("target", "")))
    inputs = TargetInputs(
        declaration or _NO_TARGET,
        cat.target_inputs(declaration.id) if declaration is not None else (),
        given=given,
        environ=environ,
        config=deploy_config or DeployConfig(),
    )
    problems.extend(inputs.given_problems())
    values["inputs"] = inputs
    values["debug"] = bool(values.get("debug", False)) or environ.get("RUNNER_DEBUG") == "1"
    values["sources"] = MappingProxyType(
        {name: value.source for name, value in {**given, **raw}.items()}
    )
    if problems:
        raise ValidationError(problems)
    for attr, vocabulary in _VOCABULARIES.items():
        values[attr] = vocabulary(str(values[attr]))
    return Settings(**values)  # type: ignore[arg-type]


def _typed(
    specs: list[InputSpec], raw: Mapping[str, RawValue], problems: list[Problem]
) -> dict[str, object]:
    """Each common input's typed value by attribute; an invalid one adds a problem."""
    values: dict[str, object] = {}
    for spec in specs:
        if spec.name not in raw:
            values[spec.attr] = empty_value(spec)
            continue
        converted, problem = convert(spec, raw[spec.name])
        if problem is not None:
            problems.append(problem)
            converted = empty_value(spec)
        values[spec.attr] = converted
    return values


def _traffic_steps(given: RawValue | None, problems: list[Problem]) -> tuple[int, ...]:
    """The traffic-steps: whole percentages from 1 to 100, strictly increasing, ending in
    100 (all at once, ``(100,)``, when not given or invalid)."""
    if given is None:
        return (100,)
    fix = "give percentages from 1 to 100, strictly increasing and ending in 100, e.g. 10,50,100"
    items = split_list(given.text)
    steps: list[int] = []
    for item in items:
        if not item.isdigit() or not 1 <= int(item) <= 100:
            problems.append(Problem(given.source, f"{item[:20]!r} is not a percentage", fix))
            return (100,)
        steps.append(int(item))
    if not steps:
        problems.append(Problem(given.source, "names no step", fix))
    elif any(later <= earlier for earlier, later in zip(steps, steps[1:], strict=False)):
        problems.append(Problem(given.source, "the steps do not strictly increase", fix))
    elif steps[-1] != 100:
        problems.append(Problem(given.source, f"ends at {steps[-1]} %, not 100 %", fix))
    else:
        return tuple(steps)
    return (100,)


def _check_cli_only_command(
    values: Mapping[str, object], raw: Mapping[str, RawValue], problems: list[Problem]
) -> None:
    """A command of the CLI alone (it writes into the checkout) is refused as an action input."""
    command = values.get("command")
    source = raw["command"].source if "command" in raw else ""
    if command in CLI_ONLY_COMMANDS and source.startswith("input "):
        problems.append(
            Problem(
                source,
                f"{command} is a command of the pmcp-action CLI, not of the action: a person "
                "runs it at a terminal (init writes files into the checkout; trust sets up the "
                "cloud with the terminal's credentials)",
                f"run `pmcp-action {command}` in your clone",
            )
        )


def _checks(raw: Mapping[str, RawValue], problems: list[Problem]) -> tuple[Check, ...]:
    """The verify-checks, each a known check (connectivity first, always)."""
    found: list[Check] = [Check.CONNECTIVITY]
    given = raw.get("verify-checks")
    for name in split_list(given.text) if given is not None else ():
        try:
            check = Check(name)
        except ValueError:
            assert given is not None
            problems.append(
                Problem(
                    given.source,
                    f"unknown check {name[:40]!r}",
                    "valid checks: " + ", ".join(check.value for check in Check),
                )
            )
            continue
        if check not in found:
            found.append(check)
    return tuple(found)


def _check_verify_credentials(
    values: Mapping[str, object], raw: Mapping[str, RawValue], problems: list[Problem]
) -> None:
    """verify-oauth-* come as a pair, not with verify-bearer-token; verify-on-failure:
    rollback given as an input does not contradict rollback-on-failure: false (from the file,
    it yields to the input)."""
    client_id, secret = (
        values.get("verify_oauth_client_id"),
        values.get("verify_oauth_client_secret"),
    )
    if bool(client_id) != bool(secret):
        given, missing = (
            ("verify-oauth-client-id", "verify-oauth-client-secret")
            if client_id
            else ("verify-oauth-client-secret", "verify-oauth-client-id")
        )
        problems.append(
            Problem(
                raw[given].source,
                f"is given without {missing}",
                "a client-credentials grant needs both the client id and its secret",
            )
        )
    if values.get("verify_oauth_scope") and not client_id:
        problems.append(
            Problem(
                raw["verify-oauth-scope"].source,
                "is given without verify-oauth-client-id",
                "set verify-oauth-client-id and verify-oauth-client-secret too, or drop the scope",
            )
        )
    if client_id and values.get("verify_bearer_token"):
        problems.append(
            Problem(
                raw["verify-oauth-client-id"].source,
                "is given with verify-bearer-token",
                "give either a token or client credentials, not both",
            )
        )
    rollback = raw.get("rollback-on-failure")
    on_failure = raw.get("verify-on-failure")
    if (
        on_failure is not None
        and on_failure.text.strip() == OnFailure.ROLLBACK
        and "[post_deploy_tests]" not in on_failure.source
        and rollback is not None
        and rollback.source != "default"
        and values.get("rollback_on_failure") is False
    ):
        problems.append(
            Problem(
                on_failure.source,
                f"asks for a rollback, but {rollback.source} is false",
                "drop one of them: rollback-on-failure: false keeps a failing version live",
            )
        )


def _check_server_name(
    values: Mapping[str, object], raw: Mapping[str, RawValue], problems: list[Problem]
) -> None:
    server_name = values.get("server_name")
    if isinstance(server_name, str) and server_name and not _SERVER_NAME.match(server_name):
        problems.append(
            Problem(
                raw["server-name"].source,
                f"{server_name[:70]!r} is not a valid server name",
                "use 1 to 64 letters, digits, - or _, starting with a letter or digit",
            )
        )
