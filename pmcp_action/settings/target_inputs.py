"""The chosen target's inputs, each with the value that won and where it came from.

The order is the same for every input: flag > action input > the spec's
environment variables > the target's :class:`~.declaration.Fallback`
(``.pmcp/deploy.toml`` keys, then the cloud's own variables, then its default)
> the spec's default. The target's ``config`` module reads these once into its
own frozen, typed configuration; every message names the real source.

Values given by flag, input or variable are checked when the settings load (so
every such problem is reported together); values from a fallback are checked
when the target reads them, with the file and line in the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..errors import Problem
from .declaration import Fallback, TargetDeclaration
from .deploy_toml import DeployConfig
from .spec import InputKind, InputSpec
from .values import RawValue, convert, empty_value, split_list

__all__ = ["TargetInputs"]

_NO_FALLBACK = Fallback()
#: How a fallback value of each source kind is marked internally.
_GIVEN, _FALLBACK, _DEFAULT = "given", "fallback", "default"


class TargetInputs:
    """Lookup of one target's inputs; built by the settings loader."""

    def __init__(
        self,
        declaration: TargetDeclaration,
        specs: tuple[InputSpec, ...],
        *,
        given: Mapping[str, RawValue],
        environ: Mapping[str, str],
        config: DeployConfig,
    ) -> None:
        self.declaration = declaration
        self._specs = {spec.name: spec for spec in specs}
        self._given = given
        self._environ = environ
        self._config = config
        self._found: dict[str, tuple[RawValue, str] | None] = {}
        self._fallback_problems: dict[str, Problem] = {}

    # --- lookup -------------------------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._specs)

    def spec(self, name: str) -> InputSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise KeyError(
                f"the {self.declaration.id} target does not declare or use the input {name!r}"
            ) from None

    def _fallback(self, name: str) -> Fallback:
        return self.declaration.fallbacks.get(name, _NO_FALLBACK)

    def _lookup(self, name: str) -> tuple[RawValue, str] | None:
        if name in self._found:
            return self._found[name]
        spec = self.spec(name)
        result: tuple[RawValue, str] | None = None
        if name in self._given:
            result = (self._given[name], _GIVEN)
        else:
            fallback = self._fallback(name)
            for key in fallback.config:
                raw = self._from_config(name, key)
                if raw is not None:
                    result = (raw, _FALLBACK)
                    break
            if result is None:
                for variable in fallback.env:
                    value = self._environ.get(variable, "")
                    if value.strip():
                        result = (RawValue(value, f"environment variable {variable}"), _FALLBACK)
                        break
            if result is None:
                default = fallback.default if fallback.default is not None else spec.default
                if default:
                    result = (RawValue(default, "default"), _DEFAULT)
        self._found[name] = result
        return result

    def _from_config(self, name: str, dotted: str) -> RawValue | None:
        table, _, key = dotted.rpartition(".")
        data: Mapping[str, Any] = self._config.table(table) if table else {}
        if key not in data:
            return None
        value = data[key]
        where = self._config.where(dotted)
        if isinstance(value, bool):
            return RawValue("true" if value else "false", where)
        if isinstance(value, (str, int, float)):
            return RawValue(str(value), where) if str(value).strip() else None
        self._fallback_problems[name] = Problem(
            where, f"must be a single value, found a {type(value).__name__}", "fix the file"
        )
        return None

    def raw(self, name: str) -> RawValue | None:
        """The winning text and its source, or None when nothing gives a value."""
        found = self._lookup(name)
        return found[0] if found is not None else None

    def given(self, name: str) -> bool:
        """Whether a flag, input, variable or deploy.toml key gave a value (not a default)."""
        found = self._lookup(name)
        return found is not None and found[1] != _DEFAULT

    def source(self, name: str) -> str:
        """Where the value came from; for a missing value, where to set it."""
        found = self._lookup(name)
        return found[0].source if found is not None else f"input '{name}'"

    def text(self, name: str) -> str:
        found = self._lookup(name)
        if found is None:
            return ""
        raw = found[0].text
        return raw if self.spec(name).kind is InputKind.MULTILINE else raw.strip()

    # --- typed values -------------------------------------------------------------------
    def value(self, name: str, problems: list[Problem] | None = None) -> Any:
        """The typed value; an invalid fallback value adds a problem and yields the default.

        Invalid values from flags, inputs and variables were reported by the settings
        loader already and are not added again.
        """
        spec = self.spec(name)
        if name in self._fallback_problems and problems is not None:
            problems.append(self._fallback_problems.pop(name))
        found = self._lookup(name)
        if found is None:
            return empty_value(spec)
        raw, how = found
        value, problem = convert(spec, raw)
        if problem is None:
            return value
        if problems is not None and how != _GIVEN:
            problems.append(problem)
        default = self._fallback(name).default
        default = spec.default if default is None else default
        if default and how != _DEFAULT:
            fallback_value, _ = convert(spec, RawValue(default, "default"))
            if fallback_value is not None:
                return fallback_value
        return empty_value(spec)

    def string(self, name: str, problems: list[Problem] | None = None) -> str:
        value = self.value(name, problems)
        return value if isinstance(value, str) else ""

    def flag(self, name: str, problems: list[Problem] | None = None) -> bool:
        return self.value(name, problems) is True

    def integer(self, name: str, problems: list[Problem] | None = None) -> int:
        value = self.value(name, problems)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    def path(self, name: str) -> Path | None:
        value = self.value(name)
        return value if isinstance(value, Path) else None

    def items(self, name: str) -> tuple[str, ...]:
        """A comma- or newline-separated list."""
        return split_list(self.text(name))

    # --- checks and reports -------------------------------------------------------------
    def given_problems(self) -> list[Problem]:
        """Problems of values given by flag, input or variable (reported with the settings)."""
        problems: list[Problem] = []
        for name in self._specs:
            found = self._lookup(name)
            if found is not None and found[1] == _GIVEN:
                _, problem = convert(self.spec(name), found[0])
                if problem is not None:
                    problems.append(problem)
        return problems

    def redacted(self) -> dict[str, object]:
        """The values for the report: secrets as a marker, paths as text."""
        out: dict[str, object] = {}
        for name, spec in self._specs.items():
            if spec.secret:
                out[name] = "***" if self.text(name) else ""
                continue
            value = self.value(name)
            out[name] = str(value) if isinstance(value, Path) else value
        return out

    @property
    def sources(self) -> Mapping[str, str]:
        return MappingProxyType(
            {name: found[0].source for name in self._specs if (found := self._lookup(name))}
        )
