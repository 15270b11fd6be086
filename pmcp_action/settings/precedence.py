"""Which value of an input wins, and where it came from: one precedence for every input.

Highest first: CLI flag > action input (``INPUT_FOO-BAR`` or ``INPUT_FOO_BAR``) >
the spec's environment variables > ``.pmcp/deploy.toml`` > the default. A
target's inputs continue the chain with their declared fallbacks
(:class:`~.target_inputs.TargetInputs`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .spec import InputSpec
from .values import RawValue

__all__ = ["read_given", "resolve"]


def _lookup(
    spec: InputSpec,
    flags: Mapping[str, str | None],
    environ: Mapping[str, str],
) -> RawValue | None:
    flag_value = flags.get(spec.name)
    if flag_value is not None and flag_value != "":
        return RawValue(flag_value, f"flag {spec.flag}")
    if not spec.cli_only:
        upper = spec.name.upper()
        for key in dict.fromkeys((f"INPUT_{upper}", f"INPUT_{upper.replace('-', '_')}")):
            value = environ.get(key, "")
            if value.strip():
                return RawValue(value, f"input '{spec.name}'")
    for key in spec.env:
        value = environ.get(key, "")
        if value.strip():
            return RawValue(value, f"environment variable {key}")
    return None


def read_given(
    flags: Mapping[str, str | None],
    environ: Mapping[str, str],
    specs: Iterable[InputSpec],
) -> dict[str, RawValue]:
    """Every value given by flag, action input or the spec's variables, with its source.

    A run reads these once; everything after (deploy.toml, defaults, the targets'
    fallbacks) is layered over this result by :func:`resolve` and
    :class:`~.target_inputs.TargetInputs`, never by reading the environment again.
    """
    found: dict[str, RawValue] = {}
    for spec in specs:
        raw = _lookup(spec, flags, environ)
        if raw is not None:
            found[spec.name] = raw
    return found


def resolve(
    given: Mapping[str, RawValue],
    specs: Iterable[InputSpec],
    fallbacks: Mapping[str, RawValue] | None = None,
) -> dict[str, RawValue]:
    """The winning text of each of ``specs``, with its source: the value given, else the
    one ``.pmcp/deploy.toml`` supplies (``fallbacks``), else the spec's default."""
    found: dict[str, RawValue] = {}
    for spec in specs:
        raw = given.get(spec.name)
        if raw is None and fallbacks:
            raw = fallbacks.get(spec.name)
        if raw is None and spec.default:
            raw = RawValue(spec.default, "default")
        if raw is not None:
            found[spec.name] = raw
    return found
