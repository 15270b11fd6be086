"""The ``azure-container-apps`` target: declared, not available in this version."""
