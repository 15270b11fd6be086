"""The fault matrix builder itself: route templates, GraphQL markers, the calls recorded
from a clean run, and judging — a product that re-sends a create blindly fails its cases,
one that reads first passes them."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from pmcp_action.errors import PmcpActionError
from pmcp_action.http import HttpClientFactory, transient_reason
from pmcp_action.rest import RestApi
from tests.fakes.server import FakeBase, RecordedRequest, json_response
from tests.support import fault_matrix
from tests.support.fault_matrix import Call, Case, Shape, SimulatedClock


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/v2/projects/demo/services/calc", "/v2/projects/{name}/services/{name}"),
        (
            "/v1/projects/demo/secrets/calc-KEY:addVersion",
            "/v1/projects/{name}/secrets/calc-KEY:addVersion",
        ),
        ("/accounts/0123456789abcdef0123/workers/x", "/accounts/{id}/workers/x"),
        ("/v2/calc/blobs/sha256:" + "a" * 64, "/v2/{name}/blobs/{id}"),
        ("/v2/calc/blobs/uploads/u12", "/v2/{name}/blobs/uploads/{id}"),
        ("/ops/op-14", "/ops/{id}"),
        ("/versions/2f1e6b8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "/versions/{id}"),
        ("/v1/token", "/v1/token"),
    ],
)
def test_a_route_template_keeps_route_words_and_hides_identifiers(path: str, template: str) -> None:
    assert fault_matrix.route_template(path, ("demo", "calc")) == template


def test_a_graphql_marker_names_the_operation_as_the_body_carries_it() -> None:
    body = b'{"query": "\\nmutation CreateThing($x: Int!) {\\n  createThing(x: $x) { id } }"}'
    assert fault_matrix.graphql_marker(body) == "mutation CreateThing("
    assert fault_matrix.graphql_marker(b'{"query": "query Things { things { id } }"}') == (
        "query Things "
    )
    assert fault_matrix.graphql_marker(b"\x00\x01 binary") == ""


class Things(FakeBase):
    """A toy API: GET /things lists, POST /things makes one, GET /live says which serves."""

    name = "things"

    def __init__(self) -> None:
        super().__init__()
        self.things: list[str] = []
        self.ids = itertools.count(1)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            thing = f"thing-{next(self.ids)}"
            self.things.append(thing)
            return json_response(201, {"id": thing})
        return json_response(200, {"things": self.things})


@dataclass
class ThingsWorld:
    clock: SimulatedClock
    fake: Things
    careful: bool
    fakes: Mapping[str, FakeBase] = field(init=False)

    def __post_init__(self) -> None:
        self.fakes = {"things": self.fake}

    def deploy(self, shape: Shape, number: int) -> Any:
        factory = HttpClientFactory(
            transport=self.clock.transport(httpx.MockTransport(self.fake)),
            deadline=self.clock.deadline(),
            sleep=self.clock.sleep,
        )
        api = RestApi(factory(), "https://things.test")
        before = len(api.call_json("GET", "/things", "listing things")["things"])
        try:
            # careful: sent once; a lost answer is read back before anything is sent again.
            return api.call_json("POST", "/things", "making a thing", once=self.careful)
        except PmcpActionError as exc:
            if not self.careful or transient_reason(exc) is None:
                raise
            after = api.call_json("GET", "/things", "listing things")["things"]
            if len(after) > before:
                return after[-1]
            return api.call_json("POST", "/things", "making a thing", once=True)

    def census(self) -> Mapping[str, int]:
        return {"things": len(self.fake.things)}

    def serving(self) -> str:
        return self.fake.things[-1] if self.fake.things else ""

    def call_of(self, fake: str, request: RecordedRequest) -> Call | None:
        return fault_matrix.by_route()(fake, request)


@dataclass
class ThingsSubject:
    careful: bool
    name: str = ""

    def __post_init__(self) -> None:
        self.name = f"things-{'careful' if self.careful else 'blind'}"

    @contextmanager
    def world(self, root: Path, clock: SimulatedClock) -> Iterator[ThingsWorld]:
        yield ThingsWorld(clock, Things(), self.careful)


def test_the_calls_come_from_the_clean_run_and_each_meets_every_fault() -> None:
    subject = ThingsSubject(careful=True)
    cases = [p.values[0] for p in fault_matrix.cases(subject)]
    calls = {case.call.label for case in cases}
    assert calls == {"things:GET /things", "things:POST /things"}
    assert len(cases) == 2 * len(fault_matrix.SHAPES) * len(fault_matrix.FAULTS)
    assert fault_matrix.size(subject) == (4, 5)


@pytest.mark.parametrize("fault", fault_matrix.FAULTS)
def test_a_careful_create_keeps_every_invariant(fault: fault_matrix.FaultName) -> None:
    subject = ThingsSubject(careful=True)
    call = Call("things", "POST", "/things")
    fault_matrix.check(subject, Case("redeploy", call, fault))


def test_a_create_re_sent_blindly_after_it_happened_fails_its_case() -> None:
    subject = ThingsSubject(careful=False)
    call = Call("things", "POST", "/things")
    with pytest.raises(AssertionError, match="2 things, a clean run makes 1"):
        fault_matrix.check(subject, Case("first-deploy", call, "503-after"))


def test_a_fault_on_a_call_that_is_never_made_fails_its_case() -> None:
    subject = ThingsSubject(careful=True)
    call = Call("things", "DELETE", "/things")
    with pytest.raises(AssertionError, match="the fault was never used"):
        fault_matrix.check(subject, Case("first-deploy", call, "429"))
