"""What the program calls itself and its words: the commands, help, completion, the shells.

Also the one way a mistake in the command line suggests what was meant.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..settings.vocabulary import COMMANDS

__all__ = [
    "COMPLETION_WORD",
    "DESCRIPTION",
    "HELP_WORD",
    "PROG",
    "SHELLS",
    "WORDS",
    "WORD_HELP",
    "closest",
    "did_you_mean",
]

PROG = "pmcp-action"
SHELLS: tuple[str, ...] = ("bash", "zsh", "tcsh")
HELP_WORD = "help"
COMPLETION_WORD = "completion"
WORDS = (*COMMANDS, HELP_WORD, COMPLETION_WORD)
DESCRIPTION = (
    "Deploy Rust MCP servers (pmcp SDK) from CI, headless, and prove that they work. Every "
    "option is also an action input of the same name and an environment variable; a value "
    "given nowhere falls back to .pmcp/deploy.toml, then to its default."
)
WORD_HELP = {
    HELP_WORD: "This overview, or one target's page (help TARGET).",
    COMPLETION_WORD: "Print a shell completion script: " + ", ".join(SHELLS) + ".",
}


def closest(word: str, candidates: Sequence[str]) -> str | None:
    """The candidate ``word`` was likely meant to be, if one is close enough."""
    import difflib  # only for a mistake: help and a run that parses need none of it

    matches = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(text: str, suggestion: str | None) -> str:
    return f"{text} — did you mean {suggestion}?" if suggestion else text
