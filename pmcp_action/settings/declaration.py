"""What a target declares about itself: its inputs, outputs, fallbacks and help.

A target package has a light ``declaration`` module (no SDK imports) that
builds one :class:`TargetDeclaration`. The catalogue discovers those modules
(and third-party ones through the ``pmcp_action.targets`` entry-point group);
the CLI, the settings, ``action.yml``, the README and the summary are derived
from them, so the core never names a target or a target's input.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from .spec import InputSpec
from .vocabulary import McpPathRule

__all__ = ["ArtifactBuild", "CiInputs", "Fallback", "OutputSpec", "TargetDeclaration"]

_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
#: ``{input-name}`` in a default audience.
_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9-]*)\}")


def _empty() -> Mapping[str, Fallback]:
    return MappingProxyType({})


def _empty_text() -> Mapping[str, str]:
    return MappingProxyType({})


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", ")")) else text + "."


class OutputKind(StrEnum):
    """What an output's text stands for, so ``--json`` can give it typed."""

    TEXT = "text"
    BOOL = "bool"
    INT = "int"
    JSON = "json"


@dataclass(frozen=True)
class OutputSpec:
    """One step output: its name, what it holds, and its row label in the summary."""

    name: str
    description: str
    #: Label of its row in the job summary; "" keeps it out of the summary.
    label: str = ""
    #: Its type in ``--json`` (step outputs are text): text, bool, int or json.
    kind: OutputKind = OutputKind.TEXT


@dataclass(frozen=True)
class Fallback:
    """Where a target looks for an input after the flag, the action input and its variables.

    The order is fixed: ``config`` keys of ``.pmcp/deploy.toml`` (``"aws.region"``),
    then the cloud's own environment variables ``env``, then ``default`` (which
    replaces the spec's default for this target when not None).
    """

    config: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    default: str | None = None


class ArtifactBuild(StrEnum):
    """What a CI job builds before the deploy step, by the kind of artifact a target deploys
    (``pmcp-action init`` writes that step; see :mod:`pmcp_action.init.build`)."""

    #: Nothing: the target needs no build, or builds what it deploys itself.
    NONE = "none"
    #: A Lambda ``bootstrap`` (``cargo lambda build``).
    LAMBDA_PACKAGE = "lambda-package"
    #: A container image: the project's Dockerfile (built by the target), else the release
    #: Linux binary (``cargo build --release``) laid onto a base image.
    OCI_IMAGE = "oci-image"
    #: A workers-rs module bundle (``worker-build --release``).
    WORKERS_BUNDLE = "workers-bundle"


@dataclass(frozen=True)
class CiInputs:
    """The inputs a CI job gives the target to sign in and to find its place: what
    ``pmcp-action init`` writes, a secret input from a CI secret and any other from a CI
    variable named after the variable the input reads.

    A platform with OIDC federation lists the inputs that name the identity under ``oidc``;
    ``secrets`` lists those of a sign-in with stored credentials (the way for a platform
    without OIDC, the fallback for one with it).
    """

    #: Sign-in with the job's OIDC ID token; () when the platform has no OIDC federation.
    oidc: tuple[str, ...] = ()
    #: Sign-in with stored credentials.
    secrets: tuple[str, ...] = ()
    #: Either way, where the deploy goes (an account, a project, a region): given by the job
    #: only when .pmcp/deploy.toml does not say it (the input's fallback keys).
    location: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (*self.oidc, *self.secrets, *self.location)


@dataclass(frozen=True)
class TargetDeclaration:
    """Everything the core needs to know about a target, and nothing heavy."""

    #: The target id, as cargo-pmcp names it: lower-case words joined by "-".
    id: str
    #: A human name ("AWS Lambda").
    title: str
    #: One sentence for listings.
    summary: str
    #: ``"package.module:function"`` returning the target for a RunContext; "" when the
    #: target is declared but not available in this version.
    factory: str = ""
    #: Sort key of the listings (then the id); built-in targets use 10, 20, …
    order: int = 100
    #: The target's own inputs (and shared specs such as a Lambda architecture).
    inputs: tuple[InputSpec, ...] = ()
    #: Common inputs marked ``shared`` that this target reads (region, artifact, …).
    uses: tuple[str, ...] = ()
    #: Per input (own or used): where to look after flag, input and variables.
    fallbacks: Mapping[str, Fallback] = field(default_factory=_empty)
    #: What a used common input means for this target (shown in its help).
    notes: Mapping[str, str] = field(default_factory=_empty_text)
    #: The target's own step outputs.
    outputs: tuple[OutputSpec, ...] = ()
    #: How to give it credentials (help text; Markdown-free prose).
    credentials: str = ""
    #: How a person at a terminal signs in with their own credentials (prose, no workflow
    #: expression): what a credentials error suggests outside CI, and the README's "At a
    #: terminal" list.
    terminal: str = ""
    #: A GitHub Actions ``with:`` block that deploys to it.
    example: str = ""
    #: Whether it can show what a deployed version logged (the logs command, and the
    #: last lines in the summary when verification fails).
    logs: bool = False
    #: Environment variables it reads besides its inputs' own (name -> what for), e.g. an
    #: SDK's endpoint override; the README lists them.
    variables: Mapping[str, str] = field(default_factory=_empty_text)
    #: The audience of the CI's OIDC ID token when the audience input is empty ("" for a
    #: target that takes no token): text in which ``{input-name}`` stands for that input's
    #: value. The target signs in with it; the GitLab component asks GitLab for it.
    audience: str = ""
    #: The inputs a CI job gives it (``pmcp-action init``).
    ci: CiInputs = field(default_factory=CiInputs)
    #: What a CI job builds before deploying to it.
    build: ArtifactBuild = ArtifactBuild.NONE
    #: How its MCP endpoint follows from its service URL and ``[server].mcp_path``
    #: (:mod:`pmcp_action.endpoint`).
    mcp_path: McpPathRule = McpPathRule.WHEN_SET

    @property
    def available(self) -> bool:
        return bool(self.factory)

    @property
    def audience_inputs(self) -> tuple[str, ...]:
        """The inputs the default audience is made of, in order."""
        return tuple(_PLACEHOLDER.findall(self.audience))

    def default_audience(self, value_of: Callable[[str], str]) -> str:
        """The default audience, each ``{input-name}`` replaced by ``value_of(input-name)``."""
        return _PLACEHOLDER.sub(lambda match: value_of(match.group(1)), self.audience)

    @property
    def input_names(self) -> tuple[str, ...]:
        """Every input this target reads besides the core's own."""
        return (*self.uses, *(spec.name for spec in self.inputs))

    def describe(self, spec: InputSpec) -> str:
        """What one of its inputs means for this target: the spec's text and the target's note.

        A note on a shared input replaces the generic text (it says what the input is
        here); a note on its own input is added to it.
        """
        note = self.notes.get(spec.name, "")
        if spec.shared and note:
            return note[:1].upper() + note[1:]
        if note:
            return f"{_sentence(spec.description)} {note}"
        return spec.description

    def default_of(self, spec: InputSpec) -> str:
        """The default of one of its inputs here: its fallback's, else the spec's."""
        fallback = self.fallbacks.get(spec.name)
        if fallback is not None and fallback.default is not None:
            return fallback.default
        return spec.default

    def fallback_lookups(self, spec: InputSpec) -> tuple[str, ...]:
        """Where this target looks after the flag, the input and the spec's variables, in
        order: ``[table].key`` of deploy.toml, then the cloud's variables."""
        fallback = self.fallbacks.get(spec.name) or Fallback()
        tables = tuple(
            f"[{key.rpartition('.')[0]}].{key.rpartition('.')[2]}" for key in fallback.config
        )
        return (*tables, *fallback.env)

    def lookups(self, spec: InputSpec) -> tuple[str, ...]:
        """Everywhere it is looked for after the flag and the input, in order."""
        return (*spec.env, *self.fallback_lookups(spec))

    def problems(self) -> list[str]:
        """Mistakes in the declaration itself (checked when the catalogue loads it)."""
        found: list[str] = []
        if not _ID.match(self.id):
            found.append(f"id {self.id!r} must be lower-case words joined by '-'")
        if self.factory and ":" not in self.factory:
            found.append(f"factory {self.factory!r} must be 'module:function'")
        names = [spec.name for spec in self.inputs]
        if len(set(names)) != len(names):
            found.append("an input is declared twice")
        for name in self.fallbacks:
            if name not in self.input_names:
                found.append(
                    f"a fallback names {name!r}, which the target neither declares nor uses"
                )
        if self.audience and "audience" not in self.uses:
            found.append("a default audience is declared, but the audience input is not used")
        for name in self.audience_inputs:
            if name not in self.input_names:
                found.append(f"the default audience names {name!r}, which is no input of it")
        for name in self.ci.names:
            if name not in self.input_names:
                found.append(f"the CI inputs name {name!r}, which is no input of it")
        if self.ci.oidc and not self.audience:
            found.append("the CI inputs sign in with OIDC, but no default audience is declared")
        outputs = [spec.name for spec in self.outputs]
        if len(set(outputs)) != len(outputs):
            found.append("an output is declared twice")
        return found
