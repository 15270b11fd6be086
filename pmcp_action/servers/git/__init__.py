"""Reading a git repository's history without git (the action's image has none).

- :mod:`.objects` — the object database: loose objects, packs, deltas, alternates;
- :mod:`.repository` — the repository: its refs, revisions, commits and trees;
- :mod:`.history` — the merge base of two commits and the paths changed since it.
"""

from __future__ import annotations

from .history import changed_paths, merge_base
from .objects import GitError
from .repository import Repository

__all__ = ["GitError", "Repository", "changed_paths", "merge_base"]
