"""A preview on Lambda: alias ``<preview-id>`` on a version published for it, with a function
URL of its own (``live``'s auth type and CORS, and for a public URL the same two statements on
the alias), the same on every push. ``live`` and ``candidate`` are never touched.

Lambda tags neither aliases nor URLs, so the alias's description marks it a preview
(:data:`PREVIEW_MARK` and its name): :func:`list_previews` finds the server's previews by it,
and :func:`delete_preview` removes only an alias that carries it. The name is checked
offline against Lambda's rules for an alias (1 to 128 of letters, digits, ``-`` and ``_``,
not all digits) and the aliases a deploy uses (:func:`preview_problems`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ...errors import DeployError, PmcpActionError, Problem
from ...result import PlanChange
from .candidate import CANDIDATE
from .failures import aws_step, has_code
from .function import ALIAS, FunctionManager
from .url import PUBLIC_STATEMENTS, UrlManager

__all__ = [
    "MAX_ALIAS",
    "PREVIEW_MARK",
    "PreviewAlias",
    "delete_preview",
    "list_previews",
    "point_preview",
    "preview_problems",
    "read_preview",
]

#: Lambda's longest alias name.
MAX_ALIAS = 128
#: What starts the description of a preview's alias (then its name).
PREVIEW_MARK = "pmcp-action preview "
_ALIAS = re.compile(r"[a-zA-Z0-9_-]+")


def preview_problems(preview: str, source: str) -> list[Problem]:
    """What Lambda (or a deploy's own aliases) refuses in a preview's alias, before any call."""
    problems: list[Problem] = []
    if preview in (ALIAS, CANDIDATE):
        problems.append(
            Problem(
                source,
                f"the alias {preview!r} is one a deploy uses ({ALIAS} serves, {CANDIDATE} is "
                "verified before it)",
                "give another preview-id",
            )
        )
    if not _ALIAS.fullmatch(preview) or preview.isdigit():
        problems.append(
            Problem(
                source,
                "a Lambda alias holds letters, digits, hyphens and underscores, and is not "
                "all digits",
                "give a preview-id such as pr-42",
            )
        )
    if len(preview) > MAX_ALIAS:
        problems.append(
            Problem(
                source,
                f"a Lambda alias has at most {MAX_ALIAS} characters; this one has {len(preview)}",
                "give a shorter preview-id",
            )
        )
    return problems


def _description(preview: str) -> str:
    return f"{PREVIEW_MARK}{preview}; managed by pmcp-deploy-action."


def _is_preview(alias: dict[str, Any], preview: str) -> bool:
    return str(alias.get("Description", "")).startswith(f"{PREVIEW_MARK}{preview};")


@dataclass(frozen=True)
class PreviewAlias:
    """The preview's alias as read ("" version: none; ``marked``: it carries the mark)."""

    name: str
    version: str = ""
    revision: str = ""
    marked: bool = False

    @property
    def exists(self) -> bool:
        return bool(self.version)


def read_preview(functions: FunctionManager, preview: str) -> PreviewAlias:
    """The alias named ``preview``; nothing changed."""
    with aws_step(f"read the alias {preview}"):
        alias = functions.alias(preview)
    if alias is None:
        return PreviewAlias(preview)
    return PreviewAlias(
        preview,
        version=str(alias["FunctionVersion"]),
        revision=str(alias.get("RevisionId", "")),
        marked=_is_preview(alias, preview),
    )


def list_previews(functions: FunctionManager) -> tuple[str, ...]:
    """The names of the function's aliases marked as previews, sorted."""
    found: list[str] = []
    with aws_step(f"list the aliases of {functions.name}"):
        paginator = functions.lam.get_paginator("list_aliases")
        for page in paginator.paginate(FunctionName=functions.name):
            for alias in page.get("Aliases") or ():
                name = str(alias.get("Name", ""))
                if _is_preview(alias, name):
                    found.append(name)
    return tuple(sorted(found))


def point_preview(
    functions: FunctionManager, state: PreviewAlias, version: str
) -> list[PlanChange]:
    """Point the preview's alias at ``version`` (a conditional write); the change made.

    An alias of that name that is not a preview is refused; another run moving it since the
    read stops this one."""
    name, preview = functions.name, state.name
    if state.exists and not state.marked:
        raise DeployError(
            f"Function {name} has an alias {preview} that is not a preview of pmcp-action; "
            "this run leaves it alone.",
            target="aws-lambda",
            remediation="Give another preview-id, or delete that alias if it is no longer used.",
        )
    if state.version == version:
        return []
    try:
        if state.exists:
            guard: dict[str, Any] = {"RevisionId": state.revision} if state.revision else {}
            functions.call(
                f"point the alias {preview} at version {version}",
                "update_alias",
                FunctionName=name,
                Name=preview,
                FunctionVersion=version,
                Description=_description(preview),
                **guard,
            )
            return [PlanChange("update", f"alias {preview}", f"{state.version} → {version}")]
        functions.call(
            f"create the alias {preview}",
            "create_alias",
            FunctionName=name,
            Name=preview,
            FunctionVersion=version,
            Description=_description(preview),
        )
    except PmcpActionError as exc:
        cause = exc.__cause__
        if not has_code(cause or exc, "PreconditionFailedException", "ResourceConflictException"):
            raise
        raise DeployError(
            f"Another run changed alias {preview} of {name} while this one deployed the "
            f"preview (version {version}); this run stopped. Alias {ALIAS} was not touched.",
            target="aws-lambda",
            remediation="Let the other run finish (a `concurrency:` group per pull request "
            "keeps previews from overlapping), then push again.",
        ) from exc
    return [PlanChange("create", f"alias {preview}", f"→ {version}, a preview")]


def delete_preview(functions: FunctionManager, urls: UrlManager, preview: str) -> list[PlanChange]:
    """Delete the preview's public permissions, its URL and its alias; what was there."""
    name = functions.name
    changes: list[PlanChange] = []
    own = urls.for_alias(preview)
    present = own.read()
    for sid in sorted(set(PUBLIC_STATEMENTS) & present.statement_ids):
        with aws_step(f"remove the public permission {sid} of {preview}"):
            try:
                functions.lam.remove_permission(
                    FunctionName=name, Qualifier=preview, StatementId=sid
                )
            except ClientError as exc:
                if not has_code(exc, "ResourceNotFoundException"):
                    raise
        changes.append(PlanChange("delete", f"public invoke permissions of {name}:{preview}", sid))
    if own.delete():
        changes.append(PlanChange("delete", f"function URL {name}:{preview}"))
    with aws_step(f"delete the alias {preview}"):
        try:
            functions.lam.delete_alias(FunctionName=name, Name=preview)
        except ClientError as exc:
            if not has_code(exc, "ResourceNotFoundException"):
                raise
    return [*changes, PlanChange("delete", f"alias {preview}", "a preview")]
