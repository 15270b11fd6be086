"""The one exception hierarchy of pmcp-action.

Every error the program expects carries three things: a short title, a message
that says what went wrong and where, and a remediation text that says how to fix
it. Only the CLI entry (``pmcp_action.__main__``) catches these; it turns them
into an ``::error::`` annotation, a step-summary section and the error's exit
code (:mod:`pmcp_action.exit_codes`: 1, 2 for a usage error, 3 for a version
left serving that failed verification).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .exit_codes import FAILED, UNVERIFIED, USAGE

__all__ = [
    "ConfigError",
    "CredentialExchangeError",
    "DeployError",
    "InsecureEndpointError",
    "NotSupportedError",
    "OidcError",
    "OidcPermissionError",
    "PmcpActionError",
    "Problem",
    "RemoteApiError",
    "TimeoutExceededError",
    "UsageError",
    "ValidationError",
    "VerificationError",
]


class PmcpActionError(Exception):
    """Base of every error pmcp-action reports to the user."""

    title = "pmcp-action failed"
    #: The process exit code when this error ends the run.
    exit_code = FAILED.code

    def __init__(self, message: str, *, remediation: str = "", details: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.remediation = remediation
        #: Extra context shown below the message (e.g. decoded OIDC claims).
        self.details = details

    def diagnostics(self) -> str:
        """The full text shown to the user: message, details and the fix."""
        parts = [self.message]
        if self.details:
            parts.append(self.details)
        if self.remediation:
            parts.append(f"How to fix: {self.remediation}")
        return "\n\n".join(parts)


@dataclass(frozen=True)
class Problem:
    """One invalid input: where it came from, what is wrong, how to fix it."""

    where: str
    what: str
    fix: str = ""

    def render(self) -> str:
        text = f"{self.where}: {self.what}"
        if self.fix:
            text += f" — {self.fix}"
        return text


class ValidationError(PmcpActionError):
    """One or more inputs are invalid; raised before any network call."""

    title = "Invalid input"

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: Sequence[Problem] = tuple(problems)
        count = len(self.problems)
        header = "1 problem" if count == 1 else f"{count} problems"
        lines = "\n".join(f"- {p.render()}" for p in self.problems)
        super().__init__(
            f"The inputs have {header}; nothing was changed:\n{lines}",
            remediation="Correct the inputs listed above and run again.",
        )


class UsageError(PmcpActionError):
    """A mistake on the command line itself (not in a value): exit code 2."""

    title = "Usage error"
    exit_code = USAGE.code


class ConfigError(PmcpActionError):
    """A configuration file cannot be read or understood."""

    title = "Configuration error"


class InsecureEndpointError(ConfigError):
    """A plain-http URL that does not point at a loopback host."""

    title = "Insecure endpoint"

    @classmethod
    def for_url(cls, url: str, where: str) -> InsecureEndpointError:
        return cls(
            f"{where} is a plain http:// URL to a non-loopback host ({url}).",
            remediation=(
                "Use an https:// URL. Plain http:// is accepted only for loopback hosts "
                "(127.0.0.0/8, ::1, localhost), e.g. a local emulator."
            ),
        )


class OidcError(PmcpActionError):
    """The CI's OIDC ID token could not be obtained."""

    title = "OIDC token unavailable"


class OidcPermissionError(OidcError):
    """The GitHub job lacks ``permissions: id-token: write``."""

    title = "OIDC permission missing"


class CredentialExchangeError(PmcpActionError):
    """A cloud refused to exchange our credentials for a session."""

    title = "Credential exchange failed"


class RemoteApiError(PmcpActionError):
    """A remote API answered with an error we cannot recover from."""

    title = "Remote API error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: str = "",
        remediation: str = "",
        details: str = "",
    ) -> None:
        super().__init__(message, remediation=remediation, details=details)
        self.status = status
        self.body = body


class DeployError(PmcpActionError):
    """A deployment step failed on the target."""

    title = "Deployment failed"

    def __init__(
        self, message: str, *, target: str = "", remediation: str = "", details: str = ""
    ) -> None:
        super().__init__(message, remediation=remediation, details=details)
        self.target = target


class TimeoutExceededError(PmcpActionError):
    """An overall deadline passed while waiting for something."""

    title = "Timed out"


class NotSupportedError(PmcpActionError):
    """The chosen target cannot do what was asked."""

    title = "Not supported"


class VerificationError(PmcpActionError):
    """The deployed server did not prove that it works.

    ``still_serving``: the version that failed is live (nothing put the previous
    one back), which exits with 3 instead of 1.
    """

    title = "Verification failed"

    def __init__(
        self,
        message: str,
        *,
        remediation: str = "",
        details: str = "",
        still_serving: bool = False,
    ) -> None:
        super().__init__(message, remediation=remediation, details=details)
        self.still_serving = still_serving
        self.exit_code = UNVERIFIED.code if still_serving else FAILED.code
