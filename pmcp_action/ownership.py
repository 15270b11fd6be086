"""What pmcp-action made, and what it leaves alone: the ownership mark, written once.

Every resource this tool creates carries ``managed-by=pmcp`` (a tag, a label, or, where a
platform keeps only a list of words, :data:`LIST_TAG`). A resource without the mark was made
by someone else: a deploy either refuses to touch it (:attr:`Adoption.REFUSE`, the rule) or,
where the platform's resource carries nothing that could be lost, marks it and goes on with
a warning (:attr:`Adoption.ADOPT`); destroy and rollback always leave it alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from .errors import DeployError

__all__ = [
    "LIST_TAG",
    "MANAGED_BY",
    "OWNER",
    "Adoption",
    "NotOursError",
    "Resource",
    "is_managed",
    "labels",
    "not_ours",
]

#: The key and value of the mark.
MANAGED_BY = "managed-by"
OWNER = "pmcp"
#: The mark where a platform keeps tags as a list of words (Cloudflare Workers).
LIST_TAG = "pmcp-deploy-action"


class Adoption(Enum):
    """What a deploy does with an existing resource that lacks the mark."""

    REFUSE = "refuse"
    ADOPT = "adopt"


def labels(server: str = "", *, server_key: str = "") -> dict[str, str]:
    """The mark, and the server's name under ``server_key`` when the platform keeps it."""
    found = {MANAGED_BY: OWNER}
    if server and server_key:
        found[server_key] = server
    return found


def is_managed(tags: Mapping[str, str] | None, *, server: str = "", server_key: str = "") -> bool:
    """Whether ``tags`` carry the mark (and name ``server`` under ``server_key``, if given)."""
    found = tags or {}
    if found.get(MANAGED_BY) != OWNER:
        return False
    return not (server and server_key) or found.get(server_key) == server


@dataclass(frozen=True)
class Resource:
    """The platform resource a server is, named for messages."""

    #: What it is, in the platform's words: "Worker", "Cloud Run service".
    kind: str
    name: str
    #: Where it lives: "on account 0123…", "in resource group rg (westeurope)".
    where: str
    #: The mark it should carry, as the platform shows it: "the label managed-by=pmcp".
    mark: str
    #: The inputs that pick it, for "check …" advice: "server-name and region".
    chosen_by: str
    #: How to adopt one made elsewhere (``Adoption.REFUSE`` targets), e.g. a CLI command.
    adopt_hint: str = ""
    #: How to delete one made elsewhere, where it was made.
    delete_hint: str = ""

    @property
    def title(self) -> str:
        return f"{self.kind} {self.name}"


class NotOursError(DeployError):
    """The resource exists but was not made by pmcp-action: it is left alone."""

    title = "Not made by pmcp-action"


def not_ours(resource: Resource, *, target: str, deleting: bool = False) -> NotOursError:
    """The refusal to change (or delete) a resource without the mark."""
    if deleting:
        fix = (
            f"Delete it where it was made ({resource.delete_hint})."
            if resource.delete_hint
            else "Delete it where it was made."
        )
    else:
        fix = (
            f"{resource.adopt_hint}, or pick another server-name."
            if resource.adopt_hint
            else "Pick another server-name."
        )
    return NotOursError(
        f"The {resource.title} {resource.where} was not made by pmcp-action (it lacks "
        f"{resource.mark}); it is left alone.",
        target=target,
        remediation=fix,
    )
