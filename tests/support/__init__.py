"""Helpers shared by every test level (unit, subprocess, container, act).

Nothing here belongs to one level: a helper used by two levels lives here,
never in one level's conftest or helpers module.
"""
