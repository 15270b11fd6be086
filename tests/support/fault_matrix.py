"""A fault matrix over every remote call a deploy makes, computed from a clean run.

A target's matrix test gives a :class:`Subject`: how to build its world (fakes, a target
over them), the two run shapes (a first deploy; a redeploy that stages and promotes), and
how to read its state (a census of what exists, the version that serves). This module:

1. runs each shape once without faults and records every distinct call the program made
   (method, route template, and an optional body marker such as a GraphQL operation), so
   a call added to a target is covered without a test written for it;
2. for each (shape, call, fault) case runs the shape again with the fault queued on the
   fake's own :class:`~tests.fakes.server.FaultPlan` for the first request of that call;
3. judges the case by invariants read from the fakes' state, never by per-call
   expectations (:func:`judge`).

The faults (:data:`FAULTS`): a 429 with Retry-After; a 503 before the server acted; a 503
after it acted; a connection dropped before an answer; an answer slower than the call's
timeout (the server acted, the client gave up). Time is simulated (:class:`SimulatedClock`):
sleeps advance it, so do requests, so a retry's backoff or a poll's deadline costs no real
time.
"""

from __future__ import annotations

import functools
import hashlib
import re
import tempfile
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol

import httpx
import pytest

from pmcp_action.deadline import Deadline
from pmcp_action.errors import PmcpActionError
from pmcp_action.exit_codes import EXIT_CODES, SUCCESS
from tests.fakes.server import FakeBase, Fault, RecordedRequest

__all__ = [
    "FAULTS",
    "SHAPES",
    "Call",
    "Case",
    "Outcome",
    "SimulatedClock",
    "Subject",
    "World",
    "cases",
    "judge",
    "route_template",
    "run_case",
]

Shape = Literal["first-deploy", "redeploy"]
FaultName = Literal["429", "503-before", "503-after", "drop", "slow"]

SHAPES: tuple[Shape, ...] = ("first-deploy", "redeploy")
FAULTS: tuple[FaultName, ...] = ("429", "503-before", "503-after", "drop", "slow")

#: Faults the retrying client must absorb whatever the call: the server did nothing.
ABSORBED: frozenset[FaultName] = frozenset({"429", "503-before"})

#: Longer than any call's timeout: a "slow" answer always times out (without waiting, the
#: fakes simulate it under MockTransport).
SLOW_SECONDS = 3600.0

#: Path segments that are identifiers, not route words: uuids, hex, numbers, long tokens.
_ID_SEGMENT = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|[0-9a-f]{12,}|[0-9]+|[A-Za-z0-9_-]{24,}|.*[0-9]{3,}.*|.+-[0-9]+(-.*)?"
    r"|(?!v[0-9]+$)[A-Za-z]{1,3}[0-9]+",
)


#: An AWS operation marker (see the aws-lambda proxy's fault_text) of one that only reads.
_AWS_READ = re.compile(r"operation=(Get|List|Head|Describe)")
#: A content digest (an OCI blob or manifest).
_DIGEST = re.compile(r"[a-z0-9]+:[0-9a-f]{32,}")


def route_template(path: str, names: Iterable[str] = ()) -> str:
    """``path`` with its identifiers replaced by ``{id}`` and the given ``names`` (the
    server's, the project's) by ``{name}``: one route, whatever it was called with."""
    named = set(names)
    parts = []
    for segment in path.split("/"):
        if segment in named:
            parts.append("{name}")
            continue
        if _ID_SEGMENT.fullmatch(segment) or _DIGEST.fullmatch(segment):
            parts.append("{id}")
            continue
        head, colon, verb = segment.partition(":")  # Google's custom verbs: x:setIamPolicy
        if head in named:
            head = "{name}"
        elif head and _ID_SEGMENT.fullmatch(head):
            head = "{id}"
        parts.append(head + colon + verb)
    return "/".join(parts)


def _pattern(template: str) -> str:
    pieces = re.split(r"(\{id\}|\{name\})", template)
    return "".join("[^/]+" if p in ("{id}", "{name}") else re.escape(p) for p in pieces)


@dataclass(frozen=True, order=True)
class Call:
    """One remote call: which fake answers it, its method, route and body marker."""

    fake: str
    method: str
    route: str
    #: Text only this call's body carries (a GraphQL operation's name), if routes repeat.
    marker: str = ""
    #: Which occurrence in the run (0: the first). A mutation made twice on one route (a
    #: service's update, then its traffic move) is two calls; a read is one, its first.
    nth: int = 0

    @property
    def label(self) -> str:
        marker = f" [{self.marker.strip()}]" if self.marker else ""
        nth = f" #{self.nth + 1}" if self.nth else ""
        return f"{self.fake}:{self.method} {self.route}{marker}{nth}"

    @property
    def reads(self) -> bool:
        """A call that changes nothing (GET, a GraphQL query, an AWS Get/List/Describe)."""
        return (
            self.method in ("GET", "HEAD")
            or self.marker.startswith("query")
            or _AWS_READ.match(self.marker) is not None
        )

    def inject(self, fake: FakeBase, fault: FaultName) -> None:
        """Queue ``fault`` on ``fake`` for this call's request (its ``nth`` occurrence)."""
        fake.faults.add(
            _FAULTS[fault],
            method=self.method,
            route=_pattern(self.route),
            contains=self.marker or None,
            skip=self.nth,
        )


_FAULTS: dict[FaultName, Fault] = {
    "429": Fault("status", status=429, retry_after=2),
    "503-before": Fault("status", status=503),
    "503-after": Fault("status", status=503, after_handling=True),
    "drop": Fault("drop"),
    "slow": Fault("delay", seconds=SLOW_SECONDS),
}


class SimulatedClock:
    """Monotonic time that moves only when the program sleeps or makes a request."""

    def __init__(self, per_request: float = 0.05) -> None:
        self.now = 1000.0
        self.per_request = per_request
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(0.0, seconds)

    def deadline(self, seconds: float = 600.0) -> Deadline:
        return Deadline(seconds, clock=self)

    def transport(self, inner: httpx.BaseTransport) -> httpx.BaseTransport:
        """``inner``, with each request costing ``per_request`` seconds of simulated time
        (so a loop that never sleeps still reaches its deadline)."""
        clock = self

        class Ticking(httpx.BaseTransport):
            def handle_request(self, request: httpx.Request) -> httpx.Response:
                clock.now += clock.per_request
                return inner.handle_request(request)

            def close(self) -> None:
                inner.close()

        return Ticking()


class World(Protocol):
    """One target's remote side for one case: its fakes and how to run and read it."""

    #: The fakes by name; their request logs are recorded and their fault plans used.
    fakes: Mapping[str, FakeBase]

    def deploy(self, shape: Shape, number: int) -> Any:
        """Run the shape's deploy (``number`` 1: the first, 2: the redeploy) to its end."""
        ...

    def census(self) -> Mapping[str, int]:
        """How many of each thing a deploy creates exist (versions, revisions, ...)."""
        ...

    def serving(self) -> str:
        """What serves now (a version or revision id; "" when nothing does)."""
        ...

    def call_of(self, fake: str, request: RecordedRequest) -> Call | None:
        """The call a request is (None: not a call to the target's API, e.g. a probe)."""
        ...


class Subject(Protocol):
    """A target's side of the matrix: how to make a fresh world."""

    name: str

    def world(self, root: Path, clock: SimulatedClock) -> AbstractContextManager[World]:
        """A world whose project lives under ``root`` (closed after the case)."""
        ...


@dataclass(frozen=True)
class Outcome:
    shape: Shape
    error: BaseException | None
    census: Mapping[str, int]
    before: str
    after: str
    calls: tuple[Call, ...]
    #: Faults queued and never consumed (the call was not made).
    pending: int = 0
    log: str = ""


@dataclass(frozen=True)
class Case:
    shape: Shape
    call: Call
    fault: FaultName

    @property
    def id(self) -> str:
        return f"{self.shape}|{self.call.label}|{self.fault}"


def _calls(world: World, marks: Mapping[str, int]) -> tuple[Call, ...]:
    """The distinct calls of a run: each read once, each mutation at each occurrence."""
    seen: dict[Call, int] = {}
    found: list[Call] = []
    for name, fake in world.fakes.items():
        for request in fake.requests[marks[name] :]:
            call = world.call_of(name, request)
            if call is None:
                continue
            nth = seen.get(call, 0)
            seen[call] = nth + 1
            if nth == 0 or not call.reads:
                found.append(replace(call, nth=nth))
    return tuple(found)


def run_case(
    subject: Subject, shape: Shape, fault: tuple[Call, FaultName] | None = None
) -> Outcome:
    """One run of ``shape`` (after a clean first deploy, for a redeploy), with ``fault``."""
    clock = SimulatedClock()
    with _memoized_scrypt(), tempfile.TemporaryDirectory(prefix="pmcp-matrix-") as tmp:
        with subject.world(Path(tmp), clock) as world:
            if shape == "redeploy":
                world.deploy(shape, 1)
            before = world.serving()
            marks = {name: len(fake.requests) for name, fake in world.fakes.items()}
            if fault is not None:
                call, kind = fault
                call.inject(world.fakes[call.fake], kind)
            error: BaseException | None = None
            try:
                world.deploy(shape, 2 if shape == "redeploy" else 1)
            except Exception as exc:  # judged below: named or a bug
                error = exc
            return Outcome(
                shape=shape,
                error=error,
                census=dict(world.census()),
                before=before,
                after=world.serving(),
                calls=_calls(world, marks),
                pending=sum(fake.faults.pending for fake in world.fakes.values()),
                log=_log(world, marks),
            )


@functools.lru_cache(maxsize=256)
def _cached_scrypt(password: bytes, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    return _real_scrypt(password, salt=salt, n=n, r=r, p=p, dklen=dklen)


_real_scrypt = hashlib.scrypt


def _scrypt(
    password: Any, *, salt: Any, n: int, r: int, p: int, maxmem: int = 0, dklen: int = 64
) -> bytes:
    return _cached_scrypt(bytes(password), bytes(salt), n, r, p, dklen)


@contextmanager
def _memoized_scrypt() -> Iterator[None]:
    """scrypt (a secret's fingerprint, ~0.1 s each) computed once per value: every case
    fingerprints the same few values, and scrypt is a pure function."""
    hashlib.scrypt = _scrypt
    try:
        yield
    finally:
        hashlib.scrypt = _real_scrypt


def _log(world: World, marks: Mapping[str, int]) -> str:
    lines = []
    for name, fake in world.fakes.items():
        for request in fake.requests[marks[name] :]:
            fault = f"  <- {request.fault}" if request.fault else ""
            lines.append(f"{name}: {request.method} {request.path}{fault}")
    return "\n".join(lines)


@dataclass
class _Reference:
    """The clean runs of one subject, per shape."""

    runs: dict[Shape, Outcome] = field(default_factory=dict)


_references: dict[str, _Reference] = {}


def clean(subject: Subject, shape: Shape) -> Outcome:
    """The clean run of ``shape`` (made once per subject and shape)."""
    reference = _references.setdefault(subject.name, _Reference())
    if shape not in reference.runs:
        outcome = run_case(subject, shape)
        if outcome.error is not None:
            raise AssertionError(
                f"the clean {shape} of {subject.name} failed: "
                + "".join(traceback.format_exception(outcome.error))
            )
        reference.runs[shape] = outcome
    return reference.runs[shape]


def cases(subject: Subject) -> list[Any]:
    """The matrix as pytest params: every call of each shape's clean run × every fault."""
    params = []
    for shape in SHAPES:
        for call in clean(subject, shape).calls:
            for fault in FAULTS:
                case = Case(shape, call, fault)
                params.append(pytest.param(case, id=case.id))
    return params


def size(subject: Subject) -> tuple[int, int]:
    """(calls, faults): the matrix is their product."""
    return sum(len(clean(subject, s).calls) for s in SHAPES), len(FAULTS)


def judge(subject: Subject, case: Case, outcome: Outcome) -> None:
    """The invariants every case keeps, whatever the call and the fault."""
    reference = clean(subject, case.shape)
    where = f"{case.id}\n--- requests ---\n{outcome.log}"
    assert outcome.pending == 0, f"the fault was never used (the call was not made): {where}"
    error = outcome.error
    if error is not None and not isinstance(error, PmcpActionError):
        raise AssertionError(
            f"an unexpected error (a bug, not a named failure): {where}"
        ) from error
    if error is not None:
        assert error.exit_code in {c.code for c in EXIT_CODES} - {SUCCESS.code}, where
    # Never a duplicate: no more of anything than the clean run made.
    for thing, count in outcome.census.items():
        expected = reference.census.get(thing, 0)
        if error is None:
            assert count == expected, f"{count} {thing}, a clean run makes {expected}: {where}"
        else:
            assert count <= expected, f"{count} {thing}, a clean run makes {expected}: {where}"
    if error is None:
        if case.shape == "redeploy":
            assert outcome.after != outcome.before, f"the new version does not serve: {where}"
        else:
            assert outcome.after, f"nothing serves after a successful deploy: {where}"
    elif case.shape == "redeploy":
        assert outcome.after == outcome.before, (
            f"the run failed ({type(error).__name__}: {error}) and {outcome.after!r} serves "
            f"instead of the previous {outcome.before!r}: {where}"
        )
    # A fault the server never acted on, or any fault on a read, is absorbed by a retry.
    if case.fault in ABSORBED or case.call.reads:
        assert error is None, (
            f"a {case.fault} on {'a read' if case.call.reads else 'a call'} was not retried: "
            f"{type(error).__name__}: {error}\n{where}"
        )


def check(subject: Subject, case: Case) -> None:
    """Run and judge one case."""
    judge(subject, case, run_case(subject, case.shape, (case.call, case.fault)))


#: For a subject's module: ``call_of`` helpers.
CallOf = Callable[[str, RecordedRequest], "Call | None"]


def by_route(
    names: Sequence[str] = (),
    skip: Callable[[RecordedRequest], bool] = lambda _r: False,
    marker: Callable[[bytes], str] = lambda _b: "",
) -> CallOf:
    """A ``call_of`` that keys a request by method, route template and ``marker(body)``."""

    def call_of(fake: str, request: RecordedRequest) -> Call | None:
        if skip(request):
            return None
        template = route_template(request.path, names)
        return Call(fake, request.method, template, marker(request.body))

    return call_of


#: A GraphQL operation's head in a JSON body: "query GetDeployment(" or "mutation X {".
_OPERATION = re.compile(r"(query|mutation)\s+\w+\W")


def graphql_marker(body: bytes) -> str:
    """The text naming a GraphQL request's operation, exactly as its body carries it (the
    fault plan's ``contains``); "" for a body that is not one."""
    found = _OPERATION.search(body.decode("utf-8", "replace"))
    return found.group(0) if found else ""
