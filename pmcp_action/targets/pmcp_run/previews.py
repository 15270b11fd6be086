"""A preview on pmcp.run: a deployment of its own, named ``<server>-<preview-id>`` (its
project), beside the server's; its URL is its project's, the same on every push (each push
replaces the project's deployment, as a deploy does), and production's deployment is never
sent a call.

**The mark.** What a deploy sends pmcp.run and ``listDeployments`` gives back is the
project's name, its status and URL, and ``serverVersion``; nothing else a deployment carries
(the template's ``mcp:*`` Metadata, ``compositionDescription``) can be read back. So a
preview's deployment carries its mark in ``serverVersion``, as SemVer build metadata after
the crate's version: ``1.2.0+pmcp-preview.pr-7.of.calc`` (``pmcp-preview.<id>.of.<server>``;
neither a preview's name nor a project's holds a dot, so it reads back one way only). A
deployment is a preview of ``calc`` only when its mark says so **and** its name is
``calc-<that id>``: never by name alone. ``destroy`` of ``calc`` removes exactly those;
one named like a preview (``calc-api``, ``calc-pr-9`` made by hand) is left and named in a
note; a preview cannot be deployed over, or removed as, a deployment of that name that is
not marked as this server's preview.

The name's limits are checked offline (:func:`preview_problems`): ``<server>-<preview-id>``
is a pmcp.run project name, at most 63 characters of letters, digits, ``-`` and ``_``
(pmcp.run puts it in a host name and names the Lambda function after it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ...errors import Problem
from .api import DeploymentListItem
from .config import MAX_PROJECT_NAME, PROJECT_NAME

__all__ = [
    "PREVIEW_MARK",
    "ServerPreviews",
    "mark_of",
    "marked_version",
    "preview_name",
    "preview_problems",
    "server_previews",
]

#: The word that opens a preview's mark in ``serverVersion``.
PREVIEW_MARK = "pmcp-preview"
_MARK = re.compile(
    r"(?:^|[+.])" + re.escape(PREVIEW_MARK) + r"\.([a-z][a-z0-9-]*)\.of\.([A-Za-z0-9_-]+)$"
)


def preview_name(server: str, preview: str) -> str:
    """The project (deployment) name of ``server``'s preview ``preview``."""
    return f"{server}-{preview}"


def marked_version(version: str, server: str, preview: str) -> str:
    """The ``serverVersion`` a preview's deployment is sent: the crate's version with the
    mark as SemVer build metadata (the mark alone when the version is unknown)."""
    mark = f"{PREVIEW_MARK}.{preview}.of.{server}"
    if not version:
        return mark
    return f"{version}{'.' if '+' in version else '+'}{mark}"


def mark_of(item: DeploymentListItem) -> tuple[str, str] | None:
    """``(server, preview)`` when ``item`` is marked as that server's preview and named so;
    None for any other deployment (no mark, or a mark its name does not match)."""
    found = _MARK.search(item.server_version)
    if found is None:
        return None
    preview, server = found.group(1), found.group(2)
    if item.project_name != preview_name(server, preview):
        return None
    return server, preview


@dataclass(frozen=True)
class ServerPreviews:
    """One server's previews on pmcp.run, and the deployments only named like them."""

    #: (preview name, deployment) for each deployment marked as one of the server's previews.
    marked: tuple[tuple[str, DeploymentListItem], ...] = ()
    #: Deployments named ``<server>-…`` that are not marked as its previews: never touched.
    unmarked: tuple[DeploymentListItem, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted({name for name, _ in self.marked}))

    def of(self, preview: str) -> tuple[DeploymentListItem, ...]:
        """The deployments of the preview named ``preview`` (several only after a failure)."""
        return tuple(item for name, item in self.marked if name == preview)

    def left_note(self, server: str, project: str = "") -> str:
        """Which deployments named like previews of ``server`` are left, and why ("" when
        none; only those named ``project`` when it is given)."""
        left = sorted(
            (i for i in self.unmarked if not project or i.project_name == project),
            key=lambda i: (i.project_name, i.id),
        )
        if not left:
            return ""
        named = ", ".join(f"{i.project_name} ({i.id})" for i in left)
        return (
            f"Left as they are: {named}, named like previews of {server} but not marked as "
            f"its previews (serverVersion has no '{PREVIEW_MARK}.<id>.of.{server}'); remove "
            "them from the pmcp.run dashboard if they are leftovers."
        )


def server_previews(items: Iterable[DeploymentListItem], server: str) -> ServerPreviews:
    """The deployments marked as ``server``'s previews, and those only named like them."""
    marked: list[tuple[str, DeploymentListItem]] = []
    unmarked: list[DeploymentListItem] = []
    for item in items:
        mark = mark_of(item)
        if mark is not None and mark[0] == server:
            marked.append((mark[1], item))
        elif item.project_name.startswith(f"{server}-"):
            unmarked.append(item)
    return ServerPreviews(tuple(marked), tuple(unmarked))


def preview_problems(preview: str, server: str, source: str) -> list[Problem]:
    """What pmcp.run refuses in a preview's project name, before any call."""
    name = preview_name(server, preview)
    problems: list[Problem] = []
    if len(name) > MAX_PROJECT_NAME:
        problems.append(
            Problem(
                source,
                f"the preview's pmcp.run project name {name[:20]}… takes {len(name)} "
                f"characters ({len(server)} of the server name, 1 for '-', {len(preview)} "
                f"of the preview's name); pmcp.run takes at most {MAX_PROJECT_NAME}",
                "give a shorter preview-id (or a shorter server-name)",
            )
        )
    elif not PROJECT_NAME.match(name):
        problems.append(
            Problem(
                source,
                f"the preview's pmcp.run project name {name!r} holds characters pmcp.run "
                "refuses (letters, digits, '-' and '_' only)",
                "give a preview-id such as pr-42",
            )
        )
    return problems
