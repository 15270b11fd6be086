"""The ``cloudflare-workers`` target: declared, not available in this version."""
