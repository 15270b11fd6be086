"""The closed vocabularies of the common inputs: the commands, verify modes, sign-in modes.

Each is a :class:`~enum.StrEnum`, so a member is its input's text: it compares
equal to that text, formats as it and is written as it in JSON, and the spec's
choices are its values.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "CLI_ONLY_COMMANDS",
    "COMMANDS",
    "COMMAND_ALIASES",
    "COMMAND_SUMMARIES",
    "AppsMode",
    "Auth",
    "Check",
    "CiSystem",
    "Command",
    "McpPathRule",
    "OnFailure",
    "OutputFormat",
    "VerifyMode",
    "choices_of",
]


class Command(StrEnum):
    """What a run does (the command input)."""

    DEPLOY = "deploy"
    PLAN = "plan"
    OUTPUTS = "outputs"
    ROLLBACK = "rollback"
    DESTROY = "destroy"
    LOGS = "logs"
    SERVERS = "servers"
    INIT = "init"
    #: Deploy the working tree as a pull request's preview, beside production.
    PREVIEW = "preview"
    #: Remove a preview and everything made for it.
    DESTROY_PREVIEW = "destroy-preview"
    #: Print (or apply) the cloud's trust of the CI's OIDC tokens (CLI only).
    TRUST = "trust"
    #: Probe sign-in and each permission a deploy needs, writing nothing.
    CHECK = "check"


#: What each command does, for the CLI's help, in the order the command input lists them.
COMMAND_SUMMARIES: Mapping[Command, str] = MappingProxyType(
    {
        Command.DEPLOY: "Deploy, verify over MCP, roll back on failure (the default).",
        Command.PLAN: "Show what a deploy would change; touches nothing.",
        Command.OUTPUTS: "Show what is deployed now.",
        Command.ROLLBACK: "Return to the previous version (or --to VERSION), verify it.",
        Command.DESTROY: "Delete what deploy created; refused without --yes.",
        Command.LOGS: "Show what the serving version logged last.",
        Command.SERVERS: "The repository's servers (or changed ones) as a CI matrix.",
        Command.INIT: "Write this project's GitHub workflow or GitLab component.",
        Command.PREVIEW: "Deploy a pull request's preview beside production, verify it.",
        Command.DESTROY_PREVIEW: "Remove a pull request's preview.",
        Command.TRUST: "Print (or --apply) the cloud's trust of the CI's tokens.",
        Command.CHECK: "Probe sign-in and each permission a deploy needs (doctor).",
    }
)
#: The command input's choices, as text.
COMMANDS: tuple[str, ...] = tuple(command.value for command in COMMAND_SUMMARIES)
#: The commands of a person at a terminal: init writes into the checkout, trust sets up the
#: cloud with the terminal's own credentials, so the action and the GitLab component do not
#: offer them (an action input naming one is refused).
CLI_ONLY_COMMANDS: frozenset[Command] = frozenset({Command.INIT, Command.TRUST})
#: Other words the command line takes for a command.
COMMAND_ALIASES: Mapping[str, Command] = MappingProxyType({"doctor": Command.CHECK})


class VerifyMode(StrEnum):
    """Whether and how a run proves the server works (the verify input)."""

    TRUE = "true"
    FALSE = "false"
    #: Also fail when the server is protected by OAuth.
    STRICT = "strict"


class Check(StrEnum):
    """A check of the verification (the verify-checks input, ``[post_deploy_tests].checks``)."""

    #: initialize (or server/discover) and tools/list: the server answers MCP.
    CONNECTIVITY = "connectivity"
    #: What the MCP specification asks of any server (:mod:`pmcp_action.verify.conformance`).
    CONFORMANCE = "conformance"
    #: The UI resources tools name as MCP Apps (:mod:`pmcp_action.verify.apps`).
    APPS = "apps"


class OnFailure(StrEnum):
    """What a failed check does (verify-on-failure, ``[post_deploy_tests].on_failure``)."""

    #: The run fails; rollback-on-failure decides whether the previous version is put back.
    FAIL = "fail"
    #: A warning only: the run succeeds, the new version serves, nothing is rolled back.
    WARN = "warn"
    #: The run fails and the previous version is put back.
    ROLLBACK = "rollback"


class AppsMode(StrEnum):
    """Which host's MCP Apps metadata the apps check reads (``[post_deploy_tests].apps_mode``)."""

    #: ``_meta.ui.resourceUri`` and ``text/html;profile=mcp-app``.
    STANDARD = "standard"
    #: ``_meta["openai/outputTemplate"]`` and ``text/html+skybridge``.
    CHATGPT = "chatgpt"
    #: As standard (Claude Desktop renders the MCP Apps extension).
    CLAUDE_DESKTOP = "claude-desktop"


class McpPathRule(StrEnum):
    """How a target's MCP endpoint follows from its service URL and ``[server].mcp_path``."""

    #: ``mcp_path``, else ``/mcp``, appended (a container platform's bare service URL).
    DEFAULT_MCP = "default-mcp"
    #: Never appended: the platform's URL is the MCP endpoint already.
    NEVER = "never"
    #: ``mcp_path`` appended only when it is set.
    WHEN_SET = "when-set"


class Auth(StrEnum):
    """How a target signs in (the shared auth input; each target reads it)."""

    AUTO = "auto"
    OIDC = "oidc"
    SECRETS = "secrets"
    AMBIENT = "ambient"


class CiSystem(StrEnum):
    """The CI a configuration is written for (the ci input)."""

    GITHUB = "github"
    GITLAB = "gitlab"


class OutputFormat(StrEnum):
    """How the outputs are printed outside CI (the output-format input)."""

    TEXT = "text"
    JSON = "json"


def choices_of(vocabulary: type[StrEnum]) -> tuple[str, ...]:
    """The members' texts, in order (an input's choices)."""
    return tuple(member.value for member in vocabulary)
