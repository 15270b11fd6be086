"""What ``init`` writes, decided once for both CIs (:class:`InitPlan`), and its refusal."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from ..errors import PmcpActionError
from ..settings.vocabulary import CiSystem

__all__ = ["BuildPlan", "CiValue", "InitPlan", "InitRefused"]


class InitRefused(PmcpActionError):
    """A file is there already, or cannot be extended safely: nothing was written."""

    title = "Nothing written"


@dataclass(frozen=True)
class CiValue:
    """One input the CI job gives the target, from a CI secret or a CI variable."""

    #: The input's name (the key under the step's ``with:``).
    input: str
    #: The CI secret's or variable's name: a variable the program reads the input from.
    variable: str
    secret: bool
    #: What the input is (its description's first sentence), for the comment.
    what: str
    #: No variable of the program reads the input: GitLab passes it as its flag.
    flag_only: bool = False


@dataclass(frozen=True)
class BuildPlan:
    """The step that builds what the target deploys, before the deploy step."""

    #: The step's name.
    title: str
    #: Where its commands run, relative to the repository ("." for its root).
    directory: str
    #: Environment variables the build needs.
    env: tuple[tuple[str, str], ...]
    #: PyPI packages its commands run (installed into a virtual environment first).
    python_tools: tuple[str, ...]
    #: Debian packages it needs besides a Rust image's (GitHub's runner has them).
    apt_packages: tuple[str, ...]
    #: Commands that add the rest of the toolchain (Rust targets, cargo-installed tools).
    setup: tuple[str, ...]
    #: The build itself.
    commands: tuple[str, ...]
    #: What it leaves for the deploy, relative to the repository (GitLab keeps them).
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class InitPlan:
    """Everything the written configuration says, whatever the CI."""

    ci: CiSystem
    #: The target's id and its human name.
    target: str
    title: str
    server_name: str
    #: Whether the name was given to init (else the action finds the same one by itself).
    name_given: bool
    #: The repository's root (where the CI configuration goes), and whether git knows it.
    repository_root: Path
    in_git: bool
    #: The project relative to the repository root, "." for the root (working-directory).
    working_directory: str
    #: The config input as given ("" to let the action find .pmcp/deploy.toml).
    config: str
    #: Where the settings came from, for the header ("" without a deploy.toml).
    config_shown: str
    #: Whether the job signs in with its OIDC ID token.
    oidc: bool
    #: The inputs the job gives the target: sign-in, then location.
    values: tuple[CiValue, ...]
    #: The server's secrets deploy.toml's [secrets] requires, and those it lists as optional.
    secrets: tuple[str, ...]
    optional_secrets: tuple[str, ...]
    build: BuildPlan | None
    #: The CI's deployment environment.
    environment: str
    #: The branch a push to deploys (the repository's default branch).
    branch: str
    #: The repository's path at its origin (OWNER/REPO, group/project), "" when unknown.
    origin: str
    #: Whether an earlier file (or init's earlier part of one) may be written over.
    force: bool

    def to_create(self) -> tuple[tuple[str, str, str], ...]:
        """What the CI needs before the first run: (secret or variable, name, what it is)."""
        rows = [
            (
                "secret" if value.secret else "variable",
                value.variable,
                f"{value.input}: {value.what}",
            )
            for value in self.values
        ]
        source = self.config_shown or ".pmcp/deploy.toml"
        rows += [
            ("secret", name, f"the server's secret {name} ([secrets] of {source}).")
            for name in self.secrets
        ]
        return tuple(rows)

    def trust_command(self) -> str:
        """The command that says what the cloud side needs for this job's sign-in."""
        words = ["pmcp-action", "trust", "--target", self.target]
        if self.ci is not CiSystem.GITHUB:
            words += ["--ci", self.ci.value]
        if self.oidc:
            repository = self.origin or (
                "OWNER/REPO" if self.ci is CiSystem.GITHUB else "GROUP/PROJECT"
            )
            words += ["--repository", repository, "--ci-environment", self.environment]
        return " ".join(shlex.quote(word) for word in words)
