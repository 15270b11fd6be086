#!/usr/bin/env python3
"""Container entrypoint: a thin shim over ``pmcp_action.__main__.main``."""

from __future__ import annotations

import sys

from pmcp_action.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
