"""The ``init`` command: plan, refuse to write over what is there, write, say what is next.

Everything is decided and checked before the one write (:func:`prepare_init`, in the run's
validate phase); :func:`write_init` writes the file whole (a temporary file renamed over it)
and prints what it wrote and the commands to run next.
"""

from __future__ import annotations

import os
import shlex
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..ci.base import Platform
from ..settings.core_settings import Settings
from ..settings.deploy_toml_reading import ConfigLookup
from ..settings.vocabulary import CiSystem
from .github import WORKFLOW_PATH, render_workflow
from .gitlab import CI_FILE, extend_gitlab_ci
from .model import InitPlan, InitRefused
from .plan import plan_init

__all__ = ["Prepared", "prepare_init", "write_init"]

#: Where each CI's settings for the secrets and variables are.
_SETTINGS_PAGE = {
    CiSystem.GITHUB: "Settings → Secrets and variables → Actions",
    CiSystem.GITLAB: "Settings → CI/CD → Variables",
}


@dataclass(frozen=True)
class Prepared:
    """What init is about to write, checked."""

    plan: InitPlan
    #: The file, and its path relative to the repository (as messages and git name it).
    path: Path
    shown: str
    text: str
    #: Whether the file was there before (GitLab's is extended; GitHub's written over).
    existed: bool


def _read_existing(path: Path, shown: str) -> str | None:
    if not os.path.lexists(path):
        return None
    if path.is_symlink() or not path.is_file():
        raise InitRefused(
            f"{shown} is not a regular file (a link, a directory, ...); nothing was written.",
            remediation="Replace it with the file itself, then run init again.",
        )
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InitRefused(
            f"{shown} cannot be read as UTF-8 text; nothing was written.",
            remediation="Fix the file (or its permissions), then run init again.",
        ) from exc


def prepare_init(
    settings: Settings, lookup: ConfigLookup, *, warn: Callable[[str], None]
) -> Prepared:
    """The file to write, checked; :class:`InitRefused` or ``ValidationError`` otherwise."""
    plan = plan_init(settings, lookup, warn=warn)
    if not plan.in_git:
        warn(
            f"{plan.repository_root} is in no git repository: the CI configuration is written "
            "there, where it belongs only when that becomes the repository's root."
        )
    shown = WORKFLOW_PATH if plan.ci is CiSystem.GITHUB else CI_FILE
    path = plan.repository_root / shown
    existing = _read_existing(path, shown)
    if plan.ci is CiSystem.GITLAB:
        return Prepared(plan, path, shown, extend_gitlab_ci(existing, plan), existing is not None)
    if existing is not None and not plan.force:
        raise InitRefused(
            f"{shown} exists already; nothing was written.",
            remediation="`pmcp-action init --force` writes over it (commit it first, and "
            "`git diff` shows what changed), or move it away and run init again.",
        )
    return Prepared(plan, path, shown, render_workflow(plan), existing is not None)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _git(plan: InitPlan, words: list[str]) -> str:
    prefix = ["git"]
    if Path.cwd().resolve() != plan.repository_root.resolve():
        prefix += ["-C", str(plan.repository_root)]
    return " ".join(shlex.quote(word) for word in [*prefix, *words])


def next_steps(prepared: Prepared) -> list[str]:
    """The commands and settings to do next, in order."""
    plan = prepared.plan
    steps: list[str] = []
    groups = []
    for kind in ("variable", "secret"):
        names = [name for made, name, _ in plan.to_create() if made == kind]
        if names:
            groups.append(f"the {kind}{'s' if len(names) > 1 else ''} {', '.join(names)}")
    if groups:
        steps.append(f"Create {' and '.join(groups)} ({_SETTINGS_PAGE[plan.ci]}).")
    steps.append(plan.trust_command())
    message = f"Deploy {plan.server_name} with pmcp-deploy-action"
    if plan.in_git:
        steps.append(
            _git(plan, ["add", prepared.shown]) + " && " + _git(plan, ["commit", "-m", message])
        )
    return steps


def write_init(prepared: Prepared, platform: Platform) -> None:
    """Write the file, then say what was written and what to do next."""
    _write(prepared.path, prepared.text)
    plan = prepared.plan
    where = f"on every push to {plan.branch}, and when run by hand"
    if plan.ci is CiSystem.GITLAB:
        where = f"in the pipelines of {plan.branch}"
        did = "Added the pmcp-deploy-action component to" if prepared.existed else "Wrote"
    else:
        did = "Wrote over" if prepared.existed else "Wrote"
    platform.info(
        f"{did} {prepared.shown} in {plan.repository_root}: it deploys {plan.server_name} to "
        f"{plan.title} ({plan.target}) {where}."
    )
    platform.info("Next:")
    for number, step in enumerate(next_steps(prepared), start=1):
        platform.info(f"  {number}. {step}")
