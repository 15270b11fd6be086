"""Alias ``live``: which published version serves, and which one served before.

The previous version is written into the alias description in the same call
that moves the alias, so a later ``rollback`` run (a separate job) knows where
to go back to without any other state.

Every move is a conditional write (``UpdateAlias`` with the ``RevisionId`` read
before). :func:`promote_alias` is a deploy's move, after the verification at the
candidate URL, only from the version ``live`` served when the run staged: when
another run moved ``live`` in between, this run stops with an error and leaves it
as that run put it. :func:`move_alias` creates ``live`` (a first deploy: when a
concurrent first deploy created it first, a newer version keeps serving and this
run says so; an older one is replaced, once) or moves it back (a rollback, which
refuses to guess when another run moved it).
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
    #: When another deploy moved ``live`` past ours: the version it serves instead.
    superseded_by: str = ""


def previous_version_of(description: str) -> str:
    """The previous version recorded in an alias description ("" when none)."""
    match = _PREVIOUS.search(description)
    return match.group(1) if match else ""


def alias_description(previous: str) -> str:
    text = "Served by the function URL; managed by pmcp-deploy-action."
    return f"{text} previous-version={previous}" if previous else text


#: What CreateAlias answers when the alias exists.
_EXISTS = "ResourceConflictException"


def _answered(exc: PmcpActionError, code: str) -> bool:
    cause = exc.__cause__
    return isinstance(cause, ClientError) and has_code(cause, code)


def _newer(version: str, than: str) -> bool:
    return version.isdigit() and than.isdigit() and int(version) > int(than)


def move_alias(
    functions: FunctionManager,
    state: FunctionState,
    version: str,
    previous: str,
    *,
    yield_to_newer: bool = True,
) -> AliasMove:
    """Point ``live`` at ``version`` (creating the alias if needed).

    ``yield_to_newer``: a deploy leaves ``live`` on a newer version another run
    put there; a rollback (False) refuses to guess and fails instead.
    """
    try:
        return _move(functions, state, version, previous)
    except PmcpActionError as exc:
        # An UpdateAlias on a stale revision, or a CreateAlias after a concurrent first
        # deploy created ``live``: another run moved it meanwhile.
        if not _answered(exc, "PreconditionFailedException" if state.alias_version else _EXISTS):
            raise
    now = functions.read()
    moved_to = now.alias_version
    if moved_to == version:
        # The other run put live on the very version ours published: nothing to move.
        return AliasMove(now.alias_arn, version, previous_version_of(now.alias_description))
    if yield_to_newer and _newer(moved_to, version):
        return AliasMove(
            now.alias_arn,
            moved_to,
            previous_version_of(now.alias_description),
            superseded_by=moved_to,
        )
    if not yield_to_newer:
        raise DeployError(
            f"Another run moved alias {ALIAS} of {functions.name} (to version {moved_to}) "
            f"while this one moved it to {version}; nothing was changed by this run.",
            target="aws-lambda",
            remediation="Let the other run finish (a `concurrency:` group per server avoids "
            "this), then run the rollback again.",
        )
    # A run that started before ours moved it: ours is the newer version, so it wins.
    return _move(functions, now, version, moved_to)


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
            if not _answered(exc, "PreconditionFailedException"):
                raise
        state = functions.read()
        if state.alias_version == version:
            # The write landed and its answer was lost: sent again, the old RevisionId is
            # refused, and the alias shows this run's move.
            return AliasMove(state.alias_arn, version, previous)
    raise DeployError(
        f"Another run moved alias {ALIAS} of {functions.name} to version "
        f"{state.alias_version or '(none)'} while version {version} was verified at the "
        f"candidate URL; {ALIAS} was left as that run put it, and version {version} does "
        "not serve.",
        target="aws-lambda",
        remediation="Let the other run finish (a `concurrency:` group per server keeps "
        "deploys from overlapping), then deploy again if its version is not the one to serve.",
    )
