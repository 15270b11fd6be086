"""The ``demo-cloud`` target: a fourth target, shipped the way a third party would ship one.

It lives outside ``pmcp_action``, imports only :mod:`pmcp_action.plugin` (the public face
for targets), and is registered only through the ``pmcp_action.targets`` entry-point group
(see :func:`install`), so the tests that use it prove a target needs no edit of any core
file to appear in the help, the generated action.yml, the settings and the summary. It
deploys to Demo Cloud, an in-memory service in the same process: no network.

The anatomy every target shares (``docs/adding-a-target.md``):

- :mod:`.declaration` — inputs, outputs and help (and ``NAME``);
- :mod:`.config` — the inputs, once, checked offline;
- :mod:`.credentials` — the API token exchanged for a session token (masked);
- :mod:`.connection` — one command's connection: signed in once per target;
- :mod:`.failures` — Demo Cloud's error envelope → errors with remediation;
- :mod:`.survey` — reading the service: its versions, which serves, its labels;
- :mod:`.deploying` — the steps: first deploy, unchanged, stage, promote, discard,
  rollback, remove, logs;
- :mod:`.results` — each command's result, with the ``demo-ref`` output;
- :mod:`.logs` — what a version logged;
- :mod:`.target` — the flow's three hooks: prepare (the artifact), connect, steps.

And Demo Cloud's own:

- :mod:`.artifact` — what it runs: the project named by a digest;
- :mod:`.api` — the Demo Cloud API calls, each named for what it does;
- :mod:`.cloud` — Demo Cloud itself, answering its API in memory.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DIST_NAME", "ENTRY_POINT", "install"]

DIST_NAME = "pmcp_demo_cloud"
ENTRY_POINT = "demo-cloud = tests.plugin_target.declaration:DECLARATION"


def install(site: Path) -> Path:
    """Write the distribution metadata that registers the target into ``site``.

    Put ``site`` (and the repository root, for the ``tests`` package) on
    ``PYTHONPATH`` and ``importlib.metadata`` finds the entry point as it finds
    an installed wheel's.
    """
    info = site / f"{DIST_NAME}-0.1.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {DIST_NAME}\nVersion: 0.1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[pmcp_action.targets]\n{ENTRY_POINT}\n", encoding="utf-8"
    )
    return site
