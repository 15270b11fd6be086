"""The vocabulary of inputs: what one input is (:class:`InputSpec`) and its kinds.

An input is one name with three spellings: an action input (``INPUT_FOO-BAR``
or ``INPUT_FOO_BAR``), a CLI flag (``--foo-bar``) and the environment
variables its spec lists. The core declares the common inputs
(:mod:`.common_inputs`); each target package declares its own in its
``declaration`` module, and :mod:`.catalogue` joins them into one catalogue from
which the CLI, the settings loader, ``action.yml`` and the README tables are derived.

Defaults are applied in Python, not in ``action.yml``: an input the runner
passes as an empty string counts as "not given", so a value from the
environment or ``.pmcp/deploy.toml`` can still win.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["InputKind", "InputSpec"]


class InputKind(Enum):
    STRING = "string"
    BOOL = "bool"
    INT = "int"
    CHOICE = "choice"
    MULTILINE = "multiline"
    URL = "url"
    PATH = "path"


@dataclass(frozen=True)
class InputSpec:
    name: str
    description: str
    kind: InputKind = InputKind.STRING
    #: Default applied in Python when no source gives a value ("" = none).
    default: str = ""
    #: Environment variables read (in this order) when neither flag nor input is set.
    env: tuple[str, ...] = ()
    secret: bool = False
    choices: tuple[str, ...] = ()
    #: Lower and upper bound for INT inputs.
    minimum: int | None = None
    maximum: int | None = None
    #: Only a CLI flag; not declared in action.yml (e.g. output format).
    cli_only: bool = False
    #: Declared here, interpreted by the targets that list it in their ``uses``
    #: (each with its own fallbacks), never by the core itself.
    shared: bool = False
    #: What an unknown CHOICE value is called in messages ("unknown <noun> 'x'").
    noun: str = "value"

    @property
    def flag(self) -> str:
        return f"--{self.name}"

    @property
    def attr(self) -> str:
        return self.name.replace("-", "_")
