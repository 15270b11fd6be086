"""A throwaway fourth target, shipped the way a third party would ship one.

It lives outside ``pmcp_action`` and is registered only through the
``pmcp_action.targets`` entry-point group (see :func:`install`), so the tests
that use it prove a target needs no edit of any core file to appear in the
help, the generated action.yml, the settings and the summary.
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
