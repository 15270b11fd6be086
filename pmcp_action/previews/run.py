"""The commands preview and destroy-preview, between the pipeline and the target.

- **preview**: the preview's name checked with the platform's limits (offline, with every
  other input) → the GitHub deployment in progress → the target deploys the preview beside
  production → verified at its own URL (scenarios included) → the deployment's status and
  the pull request's sticky comment. A failed verification fails the job; production was
  never touched, and the preview stays for a look (destroy-preview removes it).
- **destroy-preview**: the target removes the preview (a missing one is success, with a
  note) → the GitHub deployments inactive, the comment says so.
- **destroy** of a server with previews: each preview named ``pr-<number>`` is told as
  destroy-preview tells it (:func:`announce_destroyed`), in a GitHub run with a token; the
  pull request of any other name is unknown, and a note says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from ..errors import Problem, VerificationError
from ..result import RunStatus, TargetResult, Verification, VerificationStatus
from ..settings.vocabulary import Command, VerifyMode
from ..targets import PreviewTarget, Target, previews_of
from .identity import Preview, derive_preview
from .pull_request import PullRequest

if TYPE_CHECKING:
    from ..context import RunContext
    from ..pipeline import RunRecorder

__all__ = ["PREVIEW_COMMANDS", "announce_destroyed", "check_preview", "run_preview"]

#: The commands this module runs.
PREVIEW_COMMANDS = frozenset({Command.PREVIEW, Command.DESTROY_PREVIEW})

Verify = Callable[[TargetResult, str], Verification]
#: The name a pull_request event gives a preview (:func:`.identity.derive_preview`).
_PULL_REQUEST_NAME = re.compile(r"pr-([1-9][0-9]*)")


def check_preview(context: RunContext, target: Target) -> tuple[Preview | None, list[Problem]]:
    """The run's preview, or why there is none, before any call: the name, then the
    platform's own limits on it; a target without previews refuses the command."""
    settings = context.settings
    if previews_of(target) is None:
        return None, [
            Problem(
                f"input 'command' ({settings.command})",
                f"the {target.name} target cannot deploy previews",
                "deploy a preview to a target that serves them (google-cloud-run, "
                "cloudflare-workers, azure-container-apps, pmcp-run, aws-lambda), or use "
                "command: deploy with a server-name of its own",
            )
        ]
    source = settings.sources.get("preview-id", "input 'preview-id'")
    preview, problems = derive_preview(settings.preview_id, source, context.environ)
    targeted = previews_of(target)
    if preview is not None and targeted is not None:
        problems += targeted.preview_problems(preview.id)
    return (preview if not problems else None), problems


def run_preview(
    recorder: RunRecorder,
    context: RunContext,
    target: Target,
    preview: Preview,
    verify: Verify,
) -> RunStatus:
    """The command, its facts left in ``recorder``; raises when it fails."""
    previews = previews_of(target)
    assert previews is not None  # check_preview refused the command otherwise
    pull = PullRequest(context, preview, context.project.server_name)
    try:
        if context.settings.command is Command.DESTROY_PREVIEW:
            return _destroy(recorder, previews, preview, pull)
        return _preview(recorder, context, previews, preview, pull, verify)
    finally:
        pull.close()


def _preview(
    recorder: RunRecorder,
    context: RunContext,
    previews: PreviewTarget,
    preview: Preview,
    pull: PullRequest,
    verify: Verify,
) -> RunStatus:
    with recorder.phase("github deployment"):
        pull.started()
    result: TargetResult | None = None
    verification: Verification | None = None
    try:
        with recorder.phase("preview"):
            result = previews.preview(preview)
            recorder.result = result
        if context.settings.verify is not VerifyMode.FALSE:
            with recorder.phase("verify preview"):
                verification = verify(result, result.preview_url or result.url)
            recorder.verification = verification
    finally:
        with recorder.phase("pull request"):
            pull.finished(result, verification)
    if verification is not None and verification.status is VerificationStatus.FAILED:
        raise VerificationError(
            f"The preview {preview.id} at {verification.url} did not prove that it works.",
            details=verification.detail,
            remediation="Production was not touched. Fix the server (see the details) and "
            "push again; destroy-preview removes the preview.",
        )
    return RunStatus.SUCCESS


def _destroy(
    recorder: RunRecorder, previews: PreviewTarget, preview: Preview, pull: PullRequest
) -> RunStatus:
    with recorder.phase("destroy-preview"):
        result = previews.destroy_preview(preview.id)
        recorder.result = replace(result, preview_id=result.preview_id or preview.id)
    with recorder.phase("pull request"):
        pull.destroyed()
    return RunStatus.SUCCESS


def announce_destroyed(context: RunContext, previews: Sequence[str]) -> tuple[str, ...]:
    """After ``destroy`` removed ``previews`` with the server: in a GitHub run with a token,
    each ``pr-<number>``'s GitHub deployments inactive and its comment's "destroyed" line,
    as destroy-preview leaves them; the notes said for the others (never fails the job)."""
    console = context.console
    repository = context.environ.get("GITHUB_REPOSITORY", "")
    if not repository:
        return ()
    if not context.settings.github_token:
        note = (
            f"The GitHub deployments and comments of the previews removed "
            f"({', '.join(previews)}) are left as they are: give github-token to mark them "
            "destroyed."
        )
        console.info(note)
        return (note,)
    notes: list[str] = []
    server = context.project.server_name
    for name in previews:
        found = _PULL_REQUEST_NAME.fullmatch(name)
        if found is None:
            note = (
                f"The preview {name} is not named pr-<number>, so its pull request is unknown: "
                "its GitHub deployment and comment are left as they are."
            )
            console.info(note)
            notes.append(note)
            continue
        preview = Preview(name, "destroy", int(found.group(1)), repository=repository)
        pull = PullRequest(context, preview, server)
        try:
            pull.destroyed()
        finally:
            pull.close()
    return tuple(notes)
