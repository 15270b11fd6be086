"""Emulators: what ``python -m tests.fakes serve NAME`` serves and a demo deploy deploys to.

Each module of :mod:`tests.fakes` may declare one ``EMULATOR = Emulator(...)``;
:func:`emulators` finds them with pkgutil, the way :mod:`pmcp_action.settings.catalogue`
finds targets, so no list of fakes is written anywhere. An emulator with
``target=True`` stands in for the pmcp-action target of its name: starting it
gives everything a deploy of examples/hello-mcp to it needs — the loopback URLs,
the environment variables the target's inputs declare (``env``, act's
``--env``), the secret ones (``secrets``, act's ``--secret``) — and the live
fakes behind it, for assertions. A new target's fake appears in
``python -m tests.fakes serve``, the act tests and ``scripts/demo`` by itself.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from .server import FakeBase, LoopbackServer

__all__ = [
    "Emulator",
    "EmulatorError",
    "Running",
    "demo_emulators",
    "emulators",
    "single_fake",
]

_PACKAGE = "tests.fakes"


class EmulatorError(Exception):
    """An emulator cannot be started as asked (e.g. with TLS), or is declared wrongly."""


@dataclass(frozen=True)
class Running:
    """A started emulator."""

    #: Name -> base URL, what ``serve`` prints (the first is named after the emulator).
    urls: Mapping[str, str]
    #: The variables a deploy of examples/hello-mcp to it needs, as the inputs declare them.
    env: Mapping[str, str] = field(default_factory=dict)
    #: The secret ones; the action reads them from the environment too.
    secrets: Mapping[str, str] = field(default_factory=dict)
    #: The live fakes behind it, by role ("pmcp-run", "proxy", "oidc", ...), for assertions.
    fakes: Mapping[str, Any] = field(default_factory=dict)


class Starter(Protocol):
    def __call__(
        self, *, host: str = "127.0.0.1", tls: bool = False
    ) -> AbstractContextManager[Running]: ...


@dataclass(frozen=True)
class Emulator:
    """One servable emulator, declared as ``EMULATOR`` in a module of tests.fakes."""

    #: The name ``serve`` knows it by; for a target emulator, the target's id.
    name: str
    #: One line for ``serve --help`` and the demo.
    summary: str
    #: ``start(host=..., tls=...)``: a context manager that serves it on loopback.
    start: Starter
    #: True when it stands in for the pmcp-action target ``name`` (the demo deploys to it).
    target: bool = False
    #: For a target emulator: writes the stand-in artifact the target deploys into a project
    #: directory (where its build would put it) and says what it wrote.
    stand_in: Callable[[Path], str] | None = None


def single_fake(
    name: str,
    create: Callable[[], FakeBase],
    *,
    env: Callable[[str], Mapping[str, str]] = lambda _url: {},
    secrets: Mapping[str, str] | None = None,
) -> Starter:
    """A starter for one fake behind a :class:`LoopbackServer`; ``env(url)`` names its URL."""

    @contextmanager
    def start(*, host: str = "127.0.0.1", tls: bool = False) -> Iterator[Running]:
        fake = create()
        with LoopbackServer(fake, host=host, tls=tls) as server:
            url = str(server.url)
            urls = {name: url}
            if server.url.ca_bundle is not None:
                urls["ca_bundle"] = str(server.url.ca_bundle)
            yield Running(
                urls=MappingProxyType(urls),
                env=MappingProxyType(dict(env(url))),
                secrets=MappingProxyType(dict(secrets or {})),
                fakes=MappingProxyType({name: fake}),
            )

    return start


@functools.cache
def _discover() -> tuple[Emulator, ...]:
    package = importlib.import_module(_PACKAGE)
    found: dict[str, Emulator] = {}
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):  # __main__ would run the CLI
            continue
        module_name = f"{_PACKAGE}.{info.name}"
        declared = getattr(importlib.import_module(module_name), "EMULATOR", None)
        if declared is None:
            continue
        if not isinstance(declared, Emulator):
            raise EmulatorError(f"{module_name}.EMULATOR is not a tests.fakes.emulators.Emulator")
        if declared.name in found:
            raise EmulatorError(f"two emulators are named {declared.name!r} ({module_name})")
        found[declared.name] = declared
    return tuple(found[name] for name in sorted(found))


def emulators() -> dict[str, Emulator]:
    """Every declared emulator, by name."""
    return {emulator.name: emulator for emulator in _discover()}


def demo_emulators() -> dict[str, Emulator]:
    """The emulators that stand in for a pmcp-action target, by target id."""
    return {emulator.name: emulator for emulator in _discover() if emulator.target}
