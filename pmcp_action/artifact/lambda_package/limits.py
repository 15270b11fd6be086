"""AWS Lambda's package size limits and the checks against them."""

from __future__ import annotations

from collections.abc import Sequence

from ...ci.base import Platform
from ...errors import ConfigError
from ..common import MIB, mib

__all__ = [
    "LAMBDA_DIRECT_UPLOAD_LIMIT",
    "LAMBDA_UNZIPPED_LIMIT",
    "LAMBDA_ZIP_FILE_LIMIT",
    "check_file_size",
    "check_unzipped_size",
    "warn_zip_size",
]

#: Above this a zip cannot be sent inline to Lambda; targets upload it through S3.
LAMBDA_DIRECT_UPLOAD_LIMIT = 50 * MIB
#: Lambda's hard limit on the unzipped size of a function package.
LAMBDA_UNZIPPED_LIMIT = 250 * MIB
#: The most a deployment zip can weigh on disk and still unpack within the unzipped
#: limit: stored entries are as large as their files, plus the zip's own headers.
LAMBDA_ZIP_FILE_LIMIT = LAMBDA_UNZIPPED_LIMIT + 16 * MIB

_SHRINK = (
    'Shrink the binary ([profile.release] strip = true, lto = true, opt-level = "z", '
    "codegen-units = 1) and narrow [assets].include; load large data from S3 at "
    "runtime instead of bundling it."
)


def check_file_size(size: int, label: str, *, zip_possible: bool = False) -> None:
    """Refuse one file from its size on disk, before any of it is read.

    A bootstrap or a ``config.toml`` may be at most the unzipped limit; a file that
    may still turn out to be a deployment zip (``zip_possible``: its magic bytes
    are not read yet) is held to :data:`LAMBDA_ZIP_FILE_LIMIT`.
    """
    if zip_possible:
        if size <= LAMBDA_ZIP_FILE_LIMIT:
            return
        raise ConfigError(
            f"{label} is {mib(size)} ({size} bytes), too large for AWS Lambda: no bootstrap "
            f"or deployment zip above {mib(LAMBDA_ZIP_FILE_LIMIT)} ({LAMBDA_ZIP_FILE_LIMIT} "
            f"bytes) fits its {mib(LAMBDA_UNZIPPED_LIMIT)} unzipped limit; it was not read.",
            remediation=_SHRINK,
        )
    if size <= LAMBDA_UNZIPPED_LIMIT:
        return
    raise ConfigError(
        f"{label} is {mib(size)} ({size} bytes), above AWS Lambda's limit of "
        f"{mib(LAMBDA_UNZIPPED_LIMIT)} ({LAMBDA_UNZIPPED_LIMIT} bytes) for a package unzipped; "
        "it was not read.",
        remediation=_SHRINK,
    )


def check_unzipped_size(files: Sequence[tuple[str, int]]) -> None:
    total = sum(size for _, size in files)
    if total <= LAMBDA_UNZIPPED_LIMIT:
        return
    largest = sorted(files, key=lambda f: f[1], reverse=True)[:5]
    breakdown = "\n".join(f"- {name}: {mib(size)} ({size} bytes)" for name, size in largest)
    raise ConfigError(
        f"The deployment package is {mib(total)} ({total} bytes) unzipped, above AWS Lambda's "
        f"limit of {mib(LAMBDA_UNZIPPED_LIMIT)} ({LAMBDA_UNZIPPED_LIMIT} bytes).",
        details=f"Largest files:\n{breakdown}",
        remediation=_SHRINK,
    )


def warn_zip_size(size: int, console: Platform) -> None:
    if size > LAMBDA_DIRECT_UPLOAD_LIMIT:
        console.warning(
            f"The deployment zip is {mib(size)}, above Lambda's "
            f"{mib(LAMBDA_DIRECT_UPLOAD_LIMIT)} direct-upload limit; it cannot be sent "
            "inline and goes through S3.",
            title="Lambda artifact",
        )
