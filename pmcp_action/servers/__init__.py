"""Many servers in one repository: find them, tell which changed, list them as a CI matrix.

- :mod:`.discovery` — every directory with a ``.pmcp/deploy.toml``, its server and target;
- :mod:`.cargo` — what a server's crate builds from: its workspace's files, its path
  dependencies;
- :mod:`.git` — the repository's history, read without git (the action's image has none);
- :mod:`.changes` — which servers changed since a git ref;
- :mod:`.matrix` — the JSON a CI matrix takes (GitHub's ``strategy.matrix``, GitLab's
  ``parallel:matrix``);
- :mod:`.command` — the ``servers`` command.

Nothing is imported here: :mod:`pmcp_action.result` needs only :mod:`.matrix`.
"""
