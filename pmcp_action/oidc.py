"""The CI's OIDC ID token: fetch it, and show its claims when a cloud refuses it.

GitHub Actions tokens come from the runner's token endpoint through the ``id``
library (``id.detect_credential``); GitLab CI tokens arrive in a variable that
the job declares with ``id_tokens:``. Nothing here logs or formats the token
itself: :func:`fetch_id_token` hands it to ``on_token`` (which masks it) before
doing anything else with it, and :func:`render_claims` shows selected claims
only.
"""

from __future__ import annotations

import datetime
import os
import random
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import id as id_lib
import jwt

from .errors import OidcError, OidcPermissionError
from .urls import check_endpoint

__all__ = [
    "GITHUB_PLATFORM",
    "GITLAB_PLATFORM",
    "decode_claims",
    "describe_claims_for_error",
    "fetch_id_token",
    "render_claims",
]

GITHUB_PLATFORM = "github-actions"
GITLAB_PLATFORM = "gitlab-ci"

#: Tries of the GitHub token endpoint, counting the first (``id`` has no retry of its own).
_ATTEMPTS = 3
#: Backoff before the second and third try, in seconds (plus up to 50% jitter).
_BASE_DELAY = 1.0

_REQUEST_URL = "ACTIONS_ID_TOKEN_REQUEST_URL"
_REQUEST_TOKEN = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
#: What ``id`` reads from the process environment, which must agree with ``environ``.
_ID_LIB_VARIABLES = ("GITHUB_ACTIONS", _REQUEST_URL, _REQUEST_TOKEN)

#: ``id`` reports a failed request as "... (code=503, body=...)".
_STATUS_IN_MESSAGE = re.compile(r"\bcode=(\d{3})\b")

_FORKS_NOTE = (
    "GitHub gives no ID token to `pull_request` runs from forks, nor to Dependabot runs "
    "(secrets are withheld there too): deploy from `push` or `workflow_dispatch` runs "
    "of the repository itself."
)

_GITHUB_PERMISSION_REMEDIATION = (
    "Let the job request an OIDC ID token. Add this to the job (or the whole workflow) "
    "that runs the action:\n\n"
    "permissions:\n"
    "  id-token: write\n"
    "  contents: read\n\n"
    "Once a job lists `permissions`, every scope it does not list is `none`, so keep "
    "`contents: read` for actions/checkout. " + _FORKS_NOTE
)

_GITHUB_FAILURE_REMEDIATION = (
    "This is usually transient: re-run the job (https://www.githubstatus.com shows "
    "incidents). The job also needs `permissions: id-token: write`. " + _FORKS_NOTE
)

_GITHUB_REFUSED_REMEDIATION = (
    "The runner's token service refused the job's own request token "
    "(ACTIONS_ID_TOKEN_REQUEST_TOKEN). Make sure the workflow does not override "
    "ACTIONS_ID_TOKEN_REQUEST_URL or ACTIONS_ID_TOKEN_REQUEST_TOKEN through `env:`, then "
    "re-run the job; it also needs `permissions: id-token: write`. " + _FORKS_NOTE
)

_ELSEWHERE_REMEDIATION = (
    "At a terminal, sign in with your own credentials and pass --auth ambient where the "
    "target offers it (pmcp-action help TARGET says how), or give the target's credentials "
    "with --auth secrets. OIDC is for CI jobs: GitHub Actions with `permissions: id-token: "
    "write`, GitLab CI with an `id_tokens:` entry."
)

#: Claims shown by :func:`render_claims`, in order; the GitLab set is used when
#: the token has a ``project_path`` claim.
_GITHUB_CLAIMS = ("iss", "sub", "aud", "repository", "ref", "job_workflow_ref", "environment")
_GITLAB_CLAIMS = (
    "iss",
    "sub",
    "aud",
    "project_path",
    "ref",
    "ref_type",
    "pipeline_source",
    "environment",
)
_MAX_CLAIM_LENGTH = 200


def fetch_id_token(
    audience: str,
    *,
    environ: Mapping[str, str],
    platform_name: str,
    gitlab_variable: str = "PMCP_ID_TOKEN",
    on_token: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """A fresh OIDC ID token (JWT) for ``audience`` from the CI the program runs in.

    ``on_token`` is called with the token before anything else is done with it;
    the caller masks it there. ``platform_name`` is the CI adapter's name
    (``"github-actions"``, ``"gitlab-ci"`` or anything else).

    Raises :class:`OidcPermissionError` when a GitHub job may not request tokens,
    and :class:`OidcError` for every other reason a token is unavailable.
    """
    if platform_name == GITHUB_PLATFORM:
        token = _fetch_github(audience, environ=environ, sleep=sleep)
        on_token(token)
        return token
    if platform_name == GITLAB_PLATFORM:
        return _read_gitlab(audience, environ=environ, variable=gitlab_variable, on_token=on_token)
    raise OidcError(
        f"An OIDC ID token (audience {audience!r}) is needed, but OIDC works only in "
        f"GitHub Actions or GitLab CI and this run is on {platform_name!r}.",
        remediation=_ELSEWHERE_REMEDIATION,
    )


# --- GitHub Actions ---------------------------------------------------------------


def _fetch_github(
    audience: str, *, environ: Mapping[str, str], sleep: Callable[[float], None]
) -> str:
    request_url = environ.get(_REQUEST_URL, "")
    request_token = environ.get(_REQUEST_TOKEN, "")
    if not request_url or not request_token:
        missing = [
            name
            for name, value in ((_REQUEST_URL, request_url), (_REQUEST_TOKEN, request_token))
            if not value
        ]
        verb = "are" if len(missing) > 1 else "is"
        raise OidcPermissionError(
            f"This GitHub Actions job may not request an OIDC ID token: {' and '.join(missing)} "
            f"{verb} not set, which is how the runner says `id-token: write` was not granted.",
            remediation=_GITHUB_PERMISSION_REMEDIATION,
        )
    check_endpoint(request_url, _REQUEST_URL)
    if not environ.get("GITHUB_ACTIONS"):
        # Without it ``id`` would go on to probe GCP, Buildkite, GitLab and CircleCI.
        raise OidcError(
            "GITHUB_ACTIONS is not set, so the `id` library would not ask GitHub for a token.",
            remediation="Run the action in GitHub Actions, which sets GITHUB_ACTIONS=true.",
        )
    # ``id`` reads os.environ, not ``environ``: refuse to let it use a token
    # endpoint other than the one just checked.
    for name in _ID_LIB_VARIABLES:
        if os.environ.get(name) != environ.get(name):
            raise OidcError(
                f"Internal error: {name} differs between the run's environment and the "
                "process environment that the `id` library reads.",
                remediation="Report this as a bug in pmcp-deploy-action.",
            )

    attempt = 1
    while True:
        try:
            token = id_lib.detect_credential(audience)
        except id_lib.GitHubOidcPermissionCredentialError as exc:
            raise OidcPermissionError(
                "This GitHub Actions job may not request an OIDC ID token: "
                f"{_clean(str(exc), request_token)}",
                remediation=_GITHUB_PERMISSION_REMEDIATION,
            ) from exc
        except id_lib.IdentityError as exc:
            reason = _clean(str(exc), request_token)
            if attempt < _ATTEMPTS and _is_transient(reason):
                sleep(_BASE_DELAY * 2 ** (attempt - 1) * (1 + random.random() / 2))
                attempt += 1
                continue
            tries = f" after {attempt} attempts" if attempt > 1 else ""
            refused = _status_of(reason) in ("401", "403")
            raise OidcError(
                f"Could not get a GitHub Actions OIDC ID token for audience {audience!r}"
                f"{tries}: {reason}",
                remediation=_GITHUB_REFUSED_REMEDIATION if refused else _GITHUB_FAILURE_REMEDIATION,
            ) from exc
        if token is None:
            raise OidcError(
                "The `id` library found no GitHub Actions ID token although this run is on "
                "GitHub Actions.",
                remediation=_GITHUB_FAILURE_REMEDIATION,
            )
        return token


def _status_of(reason: str) -> str:
    match = _STATUS_IN_MESSAGE.search(reason)
    return match.group(1) if match else ""


def _is_transient(reason: str) -> bool:
    """Whether an ``id`` failure is worth another try: 429, 5xx or a network failure."""
    status = _status_of(reason)
    if status:
        return status == "429" or status.startswith("5")
    # ``id``'s wording for every urllib3 connection failure (refused, reset, timeout).
    return "token request timed out" in reason


def _clean(text: str, secret: str) -> str:
    """``text`` without the runner's request token, should a server echo it."""
    return text.replace(secret, "***") if secret else text


# --- GitLab CI --------------------------------------------------------------------


def _read_gitlab(
    audience: str,
    *,
    environ: Mapping[str, str],
    variable: str,
    on_token: Callable[[str], None],
) -> str:
    token = environ.get(variable, "").strip()
    if not token:
        raise OidcError(
            f"GitLab CI provides no OIDC ID token in the variable {variable}.",
            remediation=_gitlab_remediation(audience, variable),
        )
    on_token(token)
    claims = decode_claims(token)
    if not claims:
        raise OidcError(
            f"The variable {variable} does not hold a JWT (an OIDC ID token).",
            remediation=_gitlab_remediation(audience, variable),
        )
    audiences = _audiences(claims.get("aud"))
    if audience not in audiences:
        shown = ", ".join(repr(a) for a in audiences) or "none"
        raise OidcError(
            f"The ID token in {variable} is for audience {shown}, but {audience!r} is needed.",
            remediation=_gitlab_remediation(audience, variable),
            details=render_claims(token),
        )
    return token


def _gitlab_remediation(audience: str, variable: str) -> str:
    return (
        "Declare the ID token in the job of .gitlab-ci.yml:\n\n"
        "id_tokens:\n"
        f"  {variable}:\n"
        f"    aud: {_yaml_scalar(audience)}\n\n"
        f"The name must be {variable} (or set `id-token-variable` to the name you use); "
        "`aud` may also be a list when one token serves several targets. With the "
        "pmcp-deploy component, its `target` input picks the target's audience, or set its "
        f"`audience` input to {_yaml_scalar(audience)}."
    )


def _yaml_scalar(value: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:/@+=-]*", value) and ": " not in value:
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _audiences(aud: object) -> list[str]:
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list):
        return [str(a) for a in aud]
    return []


# --- claims -----------------------------------------------------------------------


def decode_claims(token: str) -> dict[str, Any]:
    """The token's claims, not verified; ``{}`` when it is not a readable JWT."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except Exception:  # any garbage at all: this only feeds messages
        return {}
    return dict(claims)  # pyjwt rejects payloads that are not JSON objects


def render_claims(token: str) -> str:
    """A readable block of the claims a trust policy matches on; never the token."""
    claims = decode_claims(token)
    if not claims:
        return "OIDC token claims: (the token could not be decoded as a JWT)"
    names = _GITLAB_CLAIMS if "project_path" in claims else _GITHUB_CLAIMS
    rows = [(name, _claim_text(claims[name])) for name in names if name in claims]
    if isinstance(claims.get("exp"), int | float):
        when = datetime.datetime.fromtimestamp(claims["exp"], tz=datetime.UTC)
        rows.append(("exp", when.strftime("%Y-%m-%dT%H:%M:%SZ")))
    width = max(len(name) for name, _ in rows) if rows else 0
    lines = [f"  {name.ljust(width)}  {value}" for name, value in rows]
    return "OIDC token claims (decoded for debugging; the token is not shown):\n" + "\n".join(lines)


def describe_claims_for_error(token: str) -> str:
    """The claims plus a hint, for the ``details`` of a refused credential exchange."""
    return (
        render_claims(token)
        + "\n\nThe cloud's trust policy or federated credential must match the issuer "
        "(iss), subject (sub) and audience (aud) above exactly; they are case-sensitive."
    )


def _claim_text(value: object) -> str:
    if isinstance(value, list):
        text = ", ".join(str(v) for v in value)
    else:
        text = str(value)
    text = " ".join(text.split())  # no line breaks: the block ends up in annotations
    if len(text) > _MAX_CLAIM_LENGTH:
        text = text[: _MAX_CLAIM_LENGTH - 1] + "…"
    return text
