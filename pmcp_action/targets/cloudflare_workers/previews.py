"""A preview on Cloudflare Workers: a version uploaded without a deployment (production's
split never changes) under the preview alias ``<preview-id>`` (its annotation
``workers/alias``), reached at ``<preview-id>-<worker>.<subdomain>.workers.dev`` — the same
URL on every push, the alias following the newest version that carries it. Removing the
preview deletes the versions that carry the alias (never one a deployment serves).

The alias's limits are checked offline (:func:`preview_problems`): a workers.dev host's
first label is ``<alias>-<worker>``, one DNS label of at most 63 characters.
"""

from __future__ import annotations

import re

from ...errors import Problem

__all__ = ["ALIAS_ANNOTATION", "MAX_LABEL", "preview_problems"]

#: The version annotation that names its preview alias.
ALIAS_ANNOTATION = "workers/alias"
#: A DNS label: ``<alias>-<worker>``.
MAX_LABEL = 63
_ALIAS = re.compile(r"[a-z](?:[a-z0-9-]*[a-z0-9])?")


def preview_problems(preview: str, host_name: str, source: str) -> list[Problem]:
    """What Cloudflare refuses in a preview alias, before any call."""
    problems: list[Problem] = []
    if not _ALIAS.fullmatch(preview):
        problems.append(
            Problem(
                source,
                "a Workers preview alias holds lowercase letters, digits and hyphens and "
                "starts with a letter",
                "give a preview-id such as pr-42",
            )
        )
    label = len(preview) + 1 + len(host_name)
    if label > MAX_LABEL:
        problems.append(
            Problem(
                source,
                f"the preview host {preview}-{host_name} is {label} characters; a workers.dev "
                f"label takes at most {MAX_LABEL}",
                "give a shorter preview-id (or a shorter server-name)",
            )
        )
    return problems
