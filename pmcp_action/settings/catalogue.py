"""The target catalogue: every target found, its declaration joined with the common inputs.

Targets are found two ways, and no list of them is written anywhere:

- each sub-package of :mod:`pmcp_action.targets` that has a ``declaration``
  module with a ``DECLARATION`` (imported without the target's SDKs);
- each entry point of the group ``pmcp_action.targets`` (a third-party package
  ships a target this way), naming a :class:`TargetDeclaration` or a module
  holding ``DECLARATION``.

:func:`catalogue` does this once per process; everything derived from the
declarations (CLI flags, settings, action.yml, README tables, summary labels)
reads it.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import pkgutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType, ModuleType

from ..errors import PmcpActionError
from .common_inputs import COMMON_INPUTS, COMMON_VARIABLES
from .common_outputs import COMMON_OUTPUTS, OUTPUT_VARIABLE_PREFIX
from .declaration import OutputSpec, TargetDeclaration
from .spec import InputSpec

__all__ = [
    "ENTRY_POINT_GROUP",
    "Catalogue",
    "RegistryError",
    "build_catalogue",
    "catalogue",
    "discover_declarations",
]

#: The entry-point group third-party targets register in.
ENTRY_POINT_GROUP = "pmcp_action.targets"
_TARGETS_PACKAGE = "pmcp_action.targets"


class RegistryError(PmcpActionError):
    """A target declaration is broken (a bug in that target, not in the user's input)."""

    title = "Target registry error"


@dataclass(frozen=True)
class Catalogue:
    """The targets, and every input and output of the program, in listing order."""

    targets: tuple[TargetDeclaration, ...]
    #: Common inputs first (target's choices filled in), then each target's own.
    inputs: tuple[InputSpec, ...]
    #: Common outputs first, then each target's own.
    outputs: tuple[OutputSpec, ...]
    #: Input name -> ids of the targets that declare or use it ("" for core inputs).
    input_owners: Mapping[str, tuple[str, ...]]
    #: Output name -> ids of the targets that declare it (empty for common ones).
    output_owners: Mapping[str, tuple[str, ...]]

    @property
    def variables(self) -> dict[str, tuple[str, tuple[str, ...]]]:
        """Every variable read besides the inputs': name -> (what for, targets; () = core)."""
        found: dict[str, tuple[str, tuple[str, ...]]] = {
            name: (text, ()) for name, text in COMMON_VARIABLES.items()
        }
        for target in self.targets:
            for name, text in target.variables.items():
                owners = found[name][1] if name in found else ()
                found[name] = (found[name][0] if name in found else text, (*owners, target.id))
        return found

    @property
    def input_variables(self) -> frozenset[str]:
        """Every variable the program reads a setting from: the inputs' own, the targets'
        fallbacks' and the variables listed besides them."""
        names = {name for spec in self.inputs for name in spec.env}
        names |= {
            name
            for target in self.targets
            for fallback in target.fallbacks.values()
            for name in fallback.env
        }
        names |= {part for listed in self.variables for part in listed.split(", ")}
        return frozenset(names)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(target.id for target in self.targets)

    @property
    def available_ids(self) -> tuple[str, ...]:
        return tuple(target.id for target in self.targets if target.available)

    def target(self, target_id: str) -> TargetDeclaration | None:
        for declaration in self.targets:
            if declaration.id == target_id:
                return declaration
        return None

    def input(self, name: str) -> InputSpec:
        for spec in self.inputs:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def target_inputs(self, target_id: str) -> tuple[InputSpec, ...]:
        """The inputs a target reads besides the core's own, in its order."""
        declaration = self.target(target_id)
        if declaration is None:
            return ()
        return tuple(self.input(name) for name in declaration.input_names)

    @property
    def config_keys(self) -> tuple[str, ...]:
        """The ``.pmcp/deploy.toml`` keys the targets read through their fallbacks."""
        return tuple(
            key
            for target in self.targets
            for fallback in target.fallbacks.values()
            for key in fallback.config
        )

    @property
    def common_inputs(self) -> tuple[InputSpec, ...]:
        return self.inputs[: len(COMMON_INPUTS)]

    @property
    def target_specific_inputs(self) -> tuple[InputSpec, ...]:
        return self.inputs[len(COMMON_INPUTS) :]


def _from_module(module: ModuleType, where: str) -> TargetDeclaration:
    declaration = getattr(module, "DECLARATION", None)
    if not isinstance(declaration, TargetDeclaration):
        raise RegistryError(
            f"{where} has no DECLARATION (a pmcp_action.settings.declaration.TargetDeclaration).",
            remediation="Define DECLARATION = TargetDeclaration(...) in that module.",
        )
    return declaration


def _builtin() -> list[TargetDeclaration]:
    package = importlib.import_module(_TARGETS_PACKAGE)
    found: list[TargetDeclaration] = []
    for info in pkgutil.iter_modules(package.__path__):
        if not info.ispkg:
            continue
        name = f"{_TARGETS_PACKAGE}.{info.name}.declaration"
        if importlib.util.find_spec(name) is None:
            continue
        found.append(_from_module(importlib.import_module(name), name))
    return found


def _entry_points() -> list[TargetDeclaration]:
    from importlib.metadata import entry_points

    found: list[TargetDeclaration] = []
    for point in entry_points(group=ENTRY_POINT_GROUP):
        where = f"entry point {point.name} = {point.value} ({ENTRY_POINT_GROUP})"
        try:
            loaded = point.load()
        except Exception as exc:  # noqa: BLE001 - a broken plug-in must not be a traceback
            raise RegistryError(
                f"The {where} cannot be loaded: {type(exc).__name__}: {exc}.",
                remediation="Reinstall or remove the package that provides it.",
            ) from exc
        if isinstance(loaded, ModuleType):
            loaded = _from_module(loaded, where)
        if not isinstance(loaded, TargetDeclaration):
            raise RegistryError(
                f"The {where} is not a TargetDeclaration.",
                remediation="Point the entry point at a TargetDeclaration or its module.",
            )
        found.append(loaded)
    return found


def discover_declarations() -> list[TargetDeclaration]:
    """The built-in targets and the installed plug-ins, unsorted."""
    return _builtin() + _entry_points()


def build_catalogue(declarations: Iterable[TargetDeclaration]) -> Catalogue:
    """Check the declarations against each other and the core, and join them."""
    targets = sorted(declarations, key=lambda d: (d.order, d.id))
    problems: list[str] = []
    seen_ids: set[str] = set()
    for declaration in targets:
        problems += [f"{declaration.id}: {text}" for text in declaration.problems()]
        if declaration.id in seen_ids:
            problems.append(f"{declaration.id}: declared twice")
        seen_ids.add(declaration.id)

    ids = tuple(d.id for d in targets)
    common: list[InputSpec] = []
    for spec in COMMON_INPUTS:
        if spec.name == "target":
            spec = replace(
                spec,
                choices=ids,
                description=f"Where to deploy: {', '.join(ids)}. {spec.description}",
            )
        common.append(spec)
    by_name: dict[str, InputSpec] = {spec.name: spec for spec in common}
    shared = {spec.name for spec in common if spec.shared}
    owners: dict[str, list[str]] = {spec.name: [] for spec in common}
    extra: list[InputSpec] = []
    for declaration in targets:
        for name in declaration.uses:
            if name not in shared:
                problems.append(f"{declaration.id}: uses {name!r}, which is no shared input")
            else:
                owners[name].append(declaration.id)
        for spec in declaration.inputs:
            known = by_name.get(spec.name)
            if known is None:
                by_name[spec.name] = spec
                extra.append(spec)
                owners[spec.name] = [declaration.id]
            elif known != spec or spec.name in shared or not owners[spec.name]:
                declared_by = ", ".join(owners[spec.name]) or "the core"
                problems.append(
                    f"{declaration.id}: input {spec.name!r} clashes with the one declared by "
                    f"{declared_by}"
                )
            else:
                owners[spec.name].append(declaration.id)

    outputs: list[OutputSpec] = list(COMMON_OUTPUTS)
    output_owners: dict[str, list[str]] = {spec.name: [] for spec in COMMON_OUTPUTS}
    known_outputs = {spec.name: spec for spec in COMMON_OUTPUTS}
    for declaration in targets:
        for output in declaration.outputs:
            previous = known_outputs.get(output.name)
            if previous is None:
                known_outputs[output.name] = output
                outputs.append(output)
                output_owners[output.name] = [declaration.id]
            elif previous != output or not output_owners[output.name]:
                problems.append(f"{declaration.id}: output {output.name!r} clashes")
            else:
                output_owners[output.name].append(declaration.id)
    joined = Catalogue(
        targets=tuple(targets),
        inputs=(*common, *extra),
        outputs=tuple(outputs),
        input_owners=MappingProxyType({k: tuple(v) for k, v in owners.items()}),
        output_owners=MappingProxyType({k: tuple(v) for k, v in output_owners.items()}),
    )
    problems += [
        f"the variable {name} begins with {OUTPUT_VARIABLE_PREFIX}, which names the outputs "
        "(GitLab's dotenv report): a later job would read a deploy's output as its setting"
        for name in sorted(joined.input_variables)
        if name.startswith(OUTPUT_VARIABLE_PREFIX)
    ]
    if problems:
        raise RegistryError(
            "The target declarations are inconsistent:\n" + "\n".join(f"- {p}" for p in problems),
            remediation="Fix the declaration modules named above.",
        )
    return joined


@functools.cache
def catalogue() -> Catalogue:
    """The catalogue of this process (discovered once)."""
    return build_catalogue(discover_declarations())
