"""pmcp-deploy-action: deploy Rust MCP servers built with the pmcp SDK from CI."""

from __future__ import annotations

__version__ = "1.0.0"

__all__ = ["__version__"]
