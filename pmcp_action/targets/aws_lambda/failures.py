"""Turn botocore exceptions into the program's errors, with a way out for each.

AWS's own answers (a :class:`~botocore.exceptions.ClientError`: its code, message and
request id) become :class:`~pmcp_action.errors.RemoteApiError` or
:class:`~pmcp_action.errors.CredentialExchangeError` with the permission or setting that
fixes them. A call that got no answer once botocore's retries were spent (the host does
not resolve, refuses, resets, times out) becomes a
:class:`~pmcp_action.rest.TransportFailure` naming the host, what was being done and
whether it may have happened anyway, as every target's network failures do.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectionError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ParamValidationError,
    ProxyConnectionError,
    ReadTimeoutError,
    SSLError,
)

from ...errors import CredentialExchangeError, DeployError, PmcpActionError, RemoteApiError
from ...rest import TransportFailure
from .clients import MAX_ATTEMPTS, OPERATION, is_read

__all__ = [
    "aws_step",
    "error_code",
    "error_message",
    "has_code",
    "network_failure",
    "request_id",
    "transient_reason",
    "translate",
]

#: What the resolver says when a host name does not resolve (glibc, macOS, urllib3).
_UNRESOLVED = ("name or service not known", "nodename nor servname", "failed to resolve")

_ACCESS_DENIED = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
)
_THROTTLED = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
        "RequestThrottled",
        "RequestThrottledException",
    }
)
_BAD_CREDENTIALS = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "IncompleteSignature",
    }
)
_EXPIRED = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})


def error_code(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def error_message(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return str(error.get("Message") or error.get("message") or "")
    return str(exc)


def request_id(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        metadata = exc.response.get("ResponseMetadata", {})
        return str(metadata.get("RequestId", ""))
    return ""


def http_status(exc: BaseException) -> int | None:
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return int(status) if isinstance(status, int) else None
    return None


def has_code(exc: BaseException, *codes: str) -> bool:
    return isinstance(exc, ClientError) and error_code(exc) in codes


def translate(exc: Exception, doing: str) -> PmcpActionError:
    """The program's error for a botocore failure while ``doing`` something."""
    if isinstance(exc, ParamValidationError):
        return DeployError(
            f"Could not {doing}: a request parameter is invalid: {exc}",
            target="aws-lambda",
            remediation="Check the values in .pmcp/deploy.toml and the inputs named above.",
        )
    if isinstance(exc, (ConnectionError, HTTPClientError)):
        return network_failure(exc, doing)
    if not isinstance(exc, ClientError):
        if isinstance(exc, BotoCoreError):
            return RemoteApiError(
                f"Could not {doing}: AWS could not be reached ({exc}).",
                remediation="Check the runner's network and proxy settings (HTTPS_PROXY, "
                "NO_PROXY); when AWS_ENDPOINT_URL is set, check that it points at a "
                "running endpoint.",
            )
        return RemoteApiError(f"Could not {doing}: {exc}")
    code = error_code(exc)
    message = error_message(exc)
    operation = getattr(exc, "operation_name", "") or "the request"
    rid = request_id(exc)
    details = f"AWS request id: {rid}" if rid else ""
    status = http_status(exc)
    text = f"Could not {doing}: {operation} answered {code or status}: {message}".rstrip(": ")
    if code in _ACCESS_DENIED:
        return RemoteApiError(
            text,
            status=status,
            details=details,
            remediation=(
                "The AWS identity this action runs as lacks the permission named in the "
                "message. Add it to that identity's policy (for a deploy role: iam:*Role* and "
                "iam:PassRole on the execution role, lambda:*, logs:CreateLogGroup, "
                "logs:PutRetentionPolicy, logs:TagResource, s3:* on pmcp-deploy-*, "
                "sts:GetCallerIdentity)."
            ),
        )
    if code in _THROTTLED:
        return RemoteApiError(
            text,
            status=status,
            details=details,
            remediation=(
                f"AWS kept throttling the request through {MAX_ATTEMPTS} attempts. Re-run the "
                "job later; other automation in the account may share the same API limit."
            ),
        )
    if code in _BAD_CREDENTIALS:
        return CredentialExchangeError(
            text,
            details=details,
            remediation=(
                "AWS does not accept these credentials. Check that the access key is active "
                "and belongs to the region's partition, or use OIDC with role-to-assume."
            ),
        )
    if code in _EXPIRED:
        return CredentialExchangeError(
            text,
            details=details,
            remediation="The AWS session expired during the run. Raise role-duration-seconds "
            "(and the role's maximum session duration), or lower timeout-minutes.",
        )
    if code == "PreconditionFailedException":
        return RemoteApiError(
            text,
            status=status,
            details=details,
            remediation=(
                "Something else changed the function while this deploy ran. Let deploys of one "
                "server run one at a time (a `concurrency:` group in the workflow) and re-run."
            ),
        )
    if status is not None and status >= 500:
        return RemoteApiError(
            text,
            status=status,
            details=details,
            remediation=(
                f"AWS answered with a server error through {MAX_ATTEMPTS} attempts. Re-run the "
                "job; https://health.aws.amazon.com shows ongoing incidents."
            ),
        )
    return RemoteApiError(text, status=status, details=details)


def _host(exc: BotoCoreError) -> str:
    url = str(exc.kwargs.get("endpoint_url") or exc.kwargs.get("proxy_url") or "")
    try:
        return urlsplit(url).hostname or "AWS"
    except ValueError:
        return "AWS"


def _what_happened(exc: BotoCoreError, host: str) -> str:
    """What a network failure means, in words."""
    if isinstance(exc, ProxyConnectionError):
        return f"the proxy {host} refused the connection"
    if isinstance(exc, SSLError):
        return f"the TLS handshake with {host} failed"
    if isinstance(exc, ConnectTimeoutError):
        return f"{host} did not accept the connection in time"
    if isinstance(exc, EndpointConnectionError):
        detail = str(exc.kwargs.get("error", "")).lower()
        if any(text in detail for text in _UNRESOLVED):
            return f"the host name {host} does not resolve"
        if "refused" in detail:
            return f"{host} refused the connection"
        return f"could not connect to {host}"
    if isinstance(exc, ReadTimeoutError):
        return f"{host} did not answer in time"
    if isinstance(exc, ConnectionClosedError):
        return f"the connection to {host} broke before the answer was complete"
    return f"the request to {host} failed"


def network_failure(exc: BotoCoreError, doing: str) -> TransportFailure:
    """The program's error for a call that got no answer while ``doing`` something.

    A connection that was never made sent nothing; one that broke (or timed out) after the
    request went out may have been carried out, unless the operation only reads.
    """
    host = _host(exc)
    sent = not isinstance(exc, ConnectionError)
    may_have_happened = sent and not is_read(str(getattr(exc, OPERATION, "")))
    message = f"Could not {doing}: {_what_happened(exc, host)} ({type(exc).__name__})."
    if may_have_happened:
        message += " The request was sent, so it may have been carried out."
    return TransportFailure(
        message,
        host=host,
        doing=doing,
        may_have_happened=may_have_happened,
        remediation=(
            f"Check that the runner's network reaches {host} (DNS, firewall, HTTPS_PROXY and "
            "NO_PROXY) and, when AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_<SERVICE> is set, that "
            "it points at a running endpoint; then run again"
            + (
                ", which reads what is there before it changes anything."
                if may_have_happened
                else "."
            )
        ),
    )


def transient_reason(exc: Exception) -> str | None:
    """Why a failed AWS read is worth another poll (throttling, 5xx, network), else None."""
    cause = exc.__cause__ if isinstance(exc, PmcpActionError) else exc
    if isinstance(cause, (ConnectionError, ReadTimeoutError)):
        return f"{type(cause).__name__} (AWS did not answer)"
    if isinstance(cause, ClientError):
        code = error_code(cause)
        status = http_status(cause)
        if code in _THROTTLED or (status is not None and status >= 500):
            return f"{code or 'HTTP'} {status or ''}".strip()
    return None


@contextmanager
def aws_step(doing: str) -> Iterator[None]:
    """Translate botocore failures raised inside the block."""
    try:
        yield
    except PmcpActionError:
        raise
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, doing) from exc
