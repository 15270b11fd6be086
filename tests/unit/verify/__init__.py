"""Tests of pmcp_action.verify, one module per module it exercises (``test_verify_server``
for the package's own verify_server), against real MCP servers (the official SDK) and
misbehaving peers on 127.0.0.1."""
