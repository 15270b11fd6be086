"""The exit codes of ``pmcp-action``, declared once.

The CLI's ``--help``, the README table (``python -m pmcp_action.docgen``) and the
errors that carry a code all read these. This module imports nothing, so the
fastest paths (``--version``) may use it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "EXIT_CODES",
    "FAILED",
    "INTERRUPTED",
    "SUCCESS",
    "UNVERIFIED",
    "USAGE",
    "ExitCode",
]


@dataclass(frozen=True)
class ExitCode:
    code: int
    #: What a run that ends with this code did, in one sentence.
    meaning: str


SUCCESS = ExitCode(0, "Success: the command did what was asked (and the server was verified).")
FAILED = ExitCode(
    1,
    "Failed, with nothing left changed or the previous version serving again: invalid input "
    "values, credentials, a refused or failed deployment, a verification failure that was "
    "rolled back.",
)
USAGE = ExitCode(
    2,
    "Usage error: a mistake on the command line (an unknown option or command, a missing "
    "option value); nothing was run.",
)
UNVERIFIED = ExitCode(
    3,
    "Deployed, but verification failed and the new version is still serving: "
    "rollback-on-failure is false, there was no previous version, the target cannot roll "
    "back, or the command was rollback (a rollback is not undone).",
)
INTERRUPTED = ExitCode(130, "Interrupted (Ctrl-C or SIGINT).")

#: In the order the help and the README list them.
EXIT_CODES: tuple[ExitCode, ...] = (SUCCESS, FAILED, USAGE, UNVERIFIED, INTERRUPTED)
