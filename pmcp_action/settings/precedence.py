"""Which value of an input wins, and where it came from: one precedence for every input.

Highest first: CLI flag > action input (``INPUT_FOO-BAR`` or ``INPUT_FOO_BAR``) >
the spec's environment variables > ``.pmcp/deploy.toml`` > the default. A
target's inputs continue the chain with their declared fallbacks
(:class:`~.target_inputs.TargetInputs`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .catalogue import catalogue
from .spec import InputSpec
from .values import RawValue

__all__ = ["resolve_raw"]


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
        for key in (f"INPUT_{upper}", f"INPUT_{upper.replace('-', '_')}"):
            value = environ.get(key, "")
            if value.strip():
                return RawValue(value, f"input '{spec.name}'")
    for key in spec.env:
        value = environ.get(key, "")
        if value.strip():
            return RawValue(value, f"environment variable {key}")
    return None


def resolve_raw(
    flags: Mapping[str, str | None],
    environ: Mapping[str, str],
    fallbacks: Mapping[str, RawValue] | None = None,
    *,
    specs: Iterable[InputSpec] | None = None,
    defaults: bool = True,
) -> dict[str, RawValue]:
    """Find the winning text of every input, with its source.

    ``fallbacks`` are values ``.pmcp/deploy.toml`` supplies to common inputs;
    with ``defaults`` the spec's default fills what nothing gave.
    """
    found: dict[str, RawValue] = {}
    for spec in specs if specs is not None else catalogue().inputs:
        raw = _lookup(spec, flags, environ)
        if raw is None and fallbacks and spec.name in fallbacks:
            raw = fallbacks[spec.name]
        if raw is None and defaults and spec.default:
            raw = RawValue(spec.default, "default")
        if raw is not None:
            found[spec.name] = raw
    return found
