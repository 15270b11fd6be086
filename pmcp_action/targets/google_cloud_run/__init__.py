"""The ``google-cloud-run`` target: declared, not available in this version."""
