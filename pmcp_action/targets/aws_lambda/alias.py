"""Alias ``live``: which published version serves, and which one served before.

The previous version is written into the alias description in the same call
that moves the alias, so a later ``rollback`` run (a separate job) knows where
to go back to without any other state.

Every move is a conditional write (``UpdateAlias`` with the ``RevisionId`` read
before): when another run moved ``live`` in between, this run stops with an error
and leaves ``live`` as that run put it. :func:`promote_alias` is a deploy's move,
after the verification at the candidate URL, only from the version ``live``
served when the run staged; :func:`move_alias` creates ``live`` (a first deploy)
or moves it back (a rollback).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ...errors import DeployError, PmcpActionError
from .failures import has_code
from .function import ALIAS, FunctionManager, FunctionState

__all__ = [
    "AliasMove",
    "alias_description",
    "move_alias",
    "previous_version_of",
    "promote_alias",
]

_PREVIOUS = re.compile(r"previous-version=(\d+)")


@dataclass(frozen=True)
class AliasMove:
    """Where ``live`` points after a move."""

    arn: str
    #: The version ``live`` serves now.
    version: str
    #: The version recorded as the one before it.
    previous: str


def previous_version_of(description: str) -> str:
    """The previous version recorded in an alias description ("" when none)."""
    match = _PREVIOUS.search(description)
    return match.group(1) if match else ""


def alias_description(previous: str) -> str:
    text = "Served by the function URL; managed by pmcp-deploy-action."
    return f"{text} previous-version={previous}" if previous else text


def _precondition_failed(exc: PmcpActionError) -> bool:
    cause = exc.__cause__
    return isinstance(cause, ClientError) and has_code(cause, "PreconditionFailedException")


def move_alias(
    functions: FunctionManager, state: FunctionState, version: str, previous: str
) -> AliasMove:
    """Point ``live`` at ``version``: create it (a first deploy) or move it (a rollback).

    A rollback that meets another run's move refuses to guess and fails, changing nothing.
    """
    try:
        return _move(functions, state, version, previous)
    except PmcpActionError as exc:
        if not state.alias_version or not _precondition_failed(exc):
            raise
    moved_to = functions.read().alias_version
    raise DeployError(
        f"Another run moved alias {ALIAS} of {functions.name} (to version {moved_to}) "
        f"while this one moved it to {version}; nothing was changed by this run.",
        target="aws-lambda",
        remediation="Let the other run finish (a `concurrency:` group per server avoids "
        "this), then run the rollback again.",
    )


def _move(
    functions: FunctionManager, state: FunctionState, version: str, previous: str
) -> AliasMove:
    description = alias_description(previous)
    if state.alias_version:
        guard: dict[str, Any] = {"RevisionId": state.alias_revision} if state.alias_revision else {}
        response = functions.call(
            f"move the alias {ALIAS} to version {version}",
            "update_alias",
            FunctionName=functions.name,
            Name=ALIAS,
            FunctionVersion=version,
            Description=description,
            RoutingConfig={"AdditionalVersionWeights": {}},
            **guard,
        )
    else:
        response = functions.call(
            f"create the alias {ALIAS}",
            "create_alias",
            FunctionName=functions.name,
            Name=ALIAS,
            FunctionVersion=version,
            Description=description,
        )
    return AliasMove(str(response["AliasArn"]), version, previous)


def promote_alias(
    functions: FunctionManager, state: FunctionState, version: str, previous: str
) -> AliasMove:
    """Move ``live`` from ``previous`` (what it served when this run staged) to ``version``.

    ``state`` is read just before; a ``live`` on another version, or a move between that
    read and this write (the ``RevisionId`` condition), stops the run: the other run's
    version keeps serving and ours serves nothing.
    """
    if state.alias_version == version:
        return AliasMove(state.alias_arn, version, previous)
    if state.alias_version == previous:
        try:
            return _move(functions, state, version, previous)
        except PmcpActionError as exc:
            if not _precondition_failed(exc):
                raise
        state = functions.read()
    raise DeployError(
        f"Another run moved alias {ALIAS} of {functions.name} to version "
        f"{state.alias_version or '(none)'} while version {version} was verified at the "
        f"candidate URL; {ALIAS} was left as that run put it, and version {version} does "
        "not serve.",
        target="aws-lambda",
        remediation="Let the other run finish (a `concurrency:` group per server keeps "
        "deploys from overlapping), then deploy again if its version is not the one to serve.",
    )
