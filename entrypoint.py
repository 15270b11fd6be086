#!/usr/bin/env python3
"""Container entrypoint: a thin shim over ``pmcp_action.__main__.main``.

GitHub passes the workflow's environment into Docker actions, so a step with
``env: PATH: utter-nonsense`` (or a broken HOME) would break anything that
looks up programs or writes caches. Reset both to sane values first.
"""

from __future__ import annotations

import os
import sys
import tempfile

_SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _reset_environment() -> None:
    interpreter_dir = os.path.dirname(os.path.abspath(sys.executable))
    os.environ["PATH"] = f"{interpreter_dir}:{_SYSTEM_PATH}"
    home = os.environ.get("HOME", "")
    if not home or not os.path.isdir(home) or not os.access(home, os.W_OK):
        os.environ["HOME"] = tempfile.gettempdir()


if __name__ == "__main__":
    _reset_environment()
    from pmcp_action.__main__ import main

    sys.exit(main())
