"""A Docker build in ACR Tasks (``az acr build``): no local Docker, no local Rust toolchain.

1. The build context is packed as a reproducible ``tar.gz`` (:mod:`...artifact.build_context`:
   ``.dockerignore``, links only inside the project, regular files, a size limit), streamed
   into a temp file.
2. ``listBuildSourceUploadUrl`` gives a SAS URL (masked); the archive is ``PUT`` to it as a
   block blob, streamed.
3. ``scheduleRun`` starts a ``DockerBuildRequest`` that pushes ``<repository>:<tag>``; it is
   sent again only after a read shows it did not start (:mod:`.acr_tasks`).
4. The run is polled until it ends, within the deadline, its log blob followed meanwhile
   (new lines only, to the console); at the deadline the run is cancelled.
5. The pushed digest comes from the run's ``outputImages``: the image is returned pinned,
   ``<login_server>/<repository>@sha256:…``. A failed run raises
   :class:`~.failures.CloudBuildError` with its status, error and the log's last lines.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...artifact.build_context import pack_context
from ...artifact.command import output_tail
from ...artifact.common import mib
from ...ci.base import Platform
from ...deadline import Deadline, poll_until
from ...errors import ConfigError, RemoteApiError, TimeoutExceededError
from ...http import transient_reason
from ...polling import OPERATION_POLL
from .acr_tasks import TERMINAL, AcrTasks
from .arm import Arm
from .failures import CloudBuildError
from .sas_blob import LogFollower, put_block_blob

__all__ = ["build_in_registry", "task_platform"]

_REPOSITORY = re.compile(
    r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$"
)
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_ARCHITECTURES = {"amd64": "amd64", "arm64": "arm64", "arm": "arm", "386": "386", "x86": "x86"}
#: scheduleRun's own timeout bounds (seconds).
_RUN_TIMEOUT = (300, 28800)


def task_platform(platform: str) -> dict[str, str]:
    """``linux/amd64`` (``os/arch[/variant]``) as ACR Tasks names it."""
    parts = platform.strip().lower().split("/")
    os_name = {"linux": "Linux", "windows": "Windows"}.get(parts[0])
    arch = _ARCHITECTURES.get(parts[1]) if len(parts) > 1 else None
    if os_name is None or arch is None or len(parts) > 3:
        raise ConfigError(
            f"The platform {platform!r} cannot be built in ACR Tasks.",
            remediation="Use os/architecture, e.g. linux/amd64 or linux/arm64.",
        )
    named = {"os": os_name, "architecture": arch}
    if len(parts) == 3:
        named["variant"] = parts[2]
    return named


def build_in_registry(
    arm: Arm,
    *,
    registry_id: str,
    login_server: str,
    context_dir: Path,
    repository: str,
    tag: str,
    dockerfile: str,
    build_args: Mapping[str, str],
    platform: str,
    deadline: Deadline,
    console: Platform,
) -> str:
    """Upload the build context, run a Docker build in ACR Tasks, stream its log; return '<login_server>/<repository>@sha256:<64 hex>'."""  # noqa: E501
    named_platform = task_platform(platform)
    _check_image_name(repository, tag)
    image = f"{repository}:{tag}"
    tasks = AcrTasks(arm, registry_id, deadline, console)
    with tempfile.TemporaryDirectory(prefix="pmcp-acr-build-") as work:
        work_dir = Path(work)
        packed = pack_context(
            context_dir, work_dir / "context.tar.gz", dockerfile=dockerfile, deadline=deadline
        )
        console.info(
            f"Build context: {packed.files} files, {mib(packed.content_size)} "
            f"({mib(packed.size)} compressed, {packed.digest})"
        )
        upload_url, source = tasks.source_upload_url()
        put_block_blob(
            arm.client,
            upload_url,
            packed.path,
            what="uploading the build context",
            deadline=deadline,
            sleep=arm.sleep,
            on_retry=console.info,
        )
        request = _request(image, source, packed.dockerfile, named_platform, build_args, deadline)
        run_id = tasks.schedule(request, f"scheduling the ACR Tasks build of {image}")
        console.info(f"ACR Tasks run {run_id} builds {image} ({platform})")
        follower = LogFollower(
            arm.client,
            lambda: tasks.log_link(run_id),
            work_dir / "acr-build.log",
            console,
            f"the log of run {run_id}",
        )
        with console.group(f"ACR Tasks build {image} (run {run_id})"):
            run = _follow(tasks, run_id, image, follower, deadline, console)
        status = str(run.get("status", ""))
        if status != "Succeeded":
            raise _failed(run_id, image, status, run, follower, dockerfile, console)
        digest = _digest(run, repository, tag, run_id)
    console.info(f"ACR Tasks run {run_id} pushed {login_server}/{image} as {digest}")
    return f"{login_server}/{repository}@{digest}"


def _request(
    image: str,
    source: str,
    dockerfile: str,
    platform: dict[str, str],
    build_args: Mapping[str, str],
    deadline: Deadline,
) -> dict[str, Any]:
    """The DockerBuildRequest; the run's own timeout is what is left of the deadline."""
    return {
        "type": "DockerBuildRequest",
        "imageNames": [image],
        "isPushEnabled": True,
        "noCache": False,
        "sourceLocation": source,
        "dockerFilePath": dockerfile,
        "platform": platform,
        "arguments": [
            {"name": name, "value": value, "isSecret": False}
            for name, value in sorted(build_args.items())
        ],
        "timeout": int(min(max(deadline.remaining(), _RUN_TIMEOUT[0]), _RUN_TIMEOUT[1])),
    }


def _follow(
    tasks: AcrTasks,
    run_id: str,
    image: str,
    follower: LogFollower,
    deadline: Deadline,
    console: Platform,
) -> dict[str, Any]:
    """Poll the run until it ends, printing its log as it grows; the run's properties."""
    last: dict[str, Any] = {}

    def probe() -> dict[str, Any] | None:
        run = tasks.run(run_id)
        last.clear()
        last.update(run)
        follower.poll()
        return run if str(run.get("status", "")) in TERMINAL else None

    try:
        run = poll_until(
            probe,
            deadline=deadline,
            what=f"ACR Tasks run {run_id}",
            sleep=tasks.arm.sleep,
            tolerate=transient_reason,
            on_tolerated=console.info,
            schedule=OPERATION_POLL,
        )
    except TimeoutExceededError:
        follower.drain(attempts=1)
        why_not = tasks.cancel(run_id)
        ended = "it was cancelled" if not why_not else f"it could not be cancelled ({why_not})"
        raise TimeoutExceededError(
            f"The ACR Tasks run {run_id} building {image} had not finished (status "
            f"{last.get('status', 'unknown')}) when the deadline of {deadline.seconds:.0f} s "
            f"passed; {ended}.",
            remediation="Raise timeout-minutes if the build is just slow (a Rust release build "
            "takes minutes: cache the dependencies in their own Dockerfile layer), or see the "
            "build log above for where it stalls.",
            details=console.redactor.redact(output_tail(follower.log_path)),
        ) from None
    follower.drain()
    return run


def _failed(
    run_id: str,
    image: str,
    status: str,
    run: dict[str, Any],
    follower: LogFollower,
    dockerfile: str,
    console: Platform,
) -> CloudBuildError:
    error = " ".join(str(run.get("runErrorMessage") or "").split())
    if status == "Failed":
        remediation = (
            f"Fix {dockerfile} or the code it builds (the build log is above, its end below); "
            f"`docker build -f {dockerfile} .` reproduces it locally."
        )
    elif status == "Timeout":
        remediation = "The run hit its own timeout; raise timeout-minutes (it sets the run's)."
    elif status == "Canceled":
        remediation = (
            "Something cancelled the run (az acr task cancel-run, or the portal); run again."
        )
    else:
        remediation = (
            "ACR Tasks could not run the build (its error is above); check the registry in "
            "the Azure portal (SKU, network rules, Tasks availability) and run again."
        )
    return CloudBuildError(
        f"The ACR Tasks run {run_id} building {image} ended {status}"
        + (f": {error}" if error else "")
        + ".",
        run_id=run_id,
        status=status,
        remediation=remediation,
        details=console.redactor.redact(output_tail(follower.log_path)),
    )


def _digest(run: dict[str, Any], repository: str, tag: str, run_id: str) -> str:
    images = run.get("outputImages") or []
    for item in images if isinstance(images, list) else []:
        if not isinstance(item, dict):
            continue
        if item.get("repository") == repository and item.get("tag") == tag:
            digest = str(item.get("digest") or "")
            if _DIGEST.match(digest):
                return digest
    raise RemoteApiError(
        f"The ACR Tasks run {run_id} succeeded, but reported no digest for {repository}:{tag} "
        f"(outputImages: {images!r}).",
        remediation="Check the registry for the image (az acr repository show-tags); run again.",
    )


def _check_image_name(repository: str, tag: str) -> None:
    if not _REPOSITORY.match(repository) or not _TAG.match(tag):
        raise ConfigError(
            f"{repository}:{tag} is not a valid image name for the registry.",
            remediation="Use a lower-case repository (letters, digits, . _ - and /) and a tag "
            "of up to 128 letters, digits, . _ and -.",
        )
