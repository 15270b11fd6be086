"""The loopback harness: round trips, every fault kind at the socket, the CLI."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from tests.fakes.oidc_issuer import DEFAULT_REQUEST_TOKEN
from tests.fakes.server import FakeBase, FaultPlan, LoopbackServer, ServedUrl, json_response, serve

REPO_ROOT = Path(__file__).resolve().parents[3]


class EchoFake(FakeBase):
    """Answers 201 with what it received; counts the requests it handled."""

    name = "echo"

    def __init__(self) -> None:
        super().__init__()
        self.handled = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/boom":
            raise RuntimeError("the fake itself is broken")
        self.handled += 1
        return json_response(
            201,
            {
                "method": request.method,
                "path": request.url.path,
                "query": request.url.query.decode(),
                "x-custom": request.headers.get("x-custom"),
                "body": request.content.decode(),
            },
            headers={"X-Fake": "echo", "Set-Cookie": "a=1"},
        )

    def snapshot(self) -> dict[str, Any]:
        return {"handled": self.handled}

    def reset_state(self) -> None:
        self.handled = 0


@pytest.fixture
def fake() -> EchoFake:
    return EchoFake()


@pytest.fixture
def url(fake: EchoFake) -> Iterator[ServedUrl]:
    with serve(fake) as base_url:
        yield base_url


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as c:
        yield c


# --- round trip ----------------------------------------------------------------------


def test_round_trip(fake: EchoFake, url: ServedUrl, client: httpx.Client) -> None:
    assert url.startswith("http://127.0.0.1:")

    response = client.post(
        f"{url}/v1/things?x=1&y=two",
        content=b'{"name": "demo"}',
        headers={"X-Custom": "yes", "Content-Type": "application/json"},
    )

    assert response.status_code == 201
    assert response.headers["x-fake"] == "echo"
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json() == {
        "method": "POST",
        "path": "/v1/things",
        "query": "x=1&y=two",
        "x-custom": "yes",
        "body": '{"name": "demo"}',
    }
    (recorded,) = fake.requests
    assert recorded.method == "POST"
    assert recorded.path == "/v1/things"
    assert recorded.params["y"] == "two"
    assert recorded.headers["x-custom"] == "yes"
    assert recorded.json() == {"name": "demo"}
    assert recorded.url == f"{url}/v1/things?x=1&y=two"
    assert recorded.fault is None


def test_chunked_upload_and_methods(fake: EchoFake, url: ServedUrl, client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"part one, "
        yield b"part two"

    put = client.put(f"{url}/upload", content=chunks())
    head = client.head(f"{url}/upload")
    delete = client.delete(f"{url}/upload")

    assert put.json()["body"] == "part one, part two"
    assert head.status_code == 201 and head.content == b""
    assert delete.json()["method"] == "DELETE"
    assert [r.method for r in fake.requests] == ["PUT", "HEAD", "DELETE"]
    assert fake.requests[0].body == b"part one, part two"


def test_same_fake_under_mock_transport(fake: EchoFake) -> None:
    with httpx.Client(transport=httpx.MockTransport(fake), base_url="https://api.example") as c:
        response = c.patch("/thing", json={"a": 1})

    assert response.status_code == 201
    assert response.json()["body"] == '{"a":1}'
    assert fake.requests[0].url == "https://api.example/thing"


def test_a_crashing_fake_answers_500(fake: EchoFake, url: ServedUrl, client: httpx.Client) -> None:
    response = client.get(f"{url}/boom")

    assert response.status_code == 500
    assert "the fake itself is broken" in response.text
    assert len(fake.errors) == 1
    assert client.get(f"{url}/ok").status_code == 201


def test_server_is_gone_after_the_block(fake: EchoFake) -> None:
    with serve(fake) as base_url:
        with httpx.Client() as c:  # keeps an idle keep-alive connection open
            assert c.get(base_url).status_code == 201
            started = time.monotonic()
    assert time.monotonic() - started < 3
    with pytest.raises(httpx.ConnectError):
        httpx.get(base_url, timeout=2)


# --- faults ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", [500, 502, 503])
def test_status_fault(fake: EchoFake, url: ServedUrl, client: httpx.Client, code: int) -> None:
    fake.faults.status(code, times=2)

    statuses = [client.get(f"{url}/x").status_code for _ in range(3)]

    assert statuses == [code, code, 201]
    assert fake.handled == 1  # a gateway error never reached the app
    assert [r.fault for r in fake.requests] == [f"status {code}", f"status {code}", None]


def test_429_carries_retry_after(fake: EchoFake, url: ServedUrl, client: httpx.Client) -> None:
    fake.faults.status(429).status(429, retry_after=7)

    first = client.get(f"{url}/x")
    second = client.get(f"{url}/x")

    assert (first.status_code, first.headers["retry-after"]) == (429, "1")
    assert (second.status_code, second.headers["retry-after"]) == (429, "7")


def test_faults_match_method_and_path_prefix(
    fake: EchoFake, url: ServedUrl, client: httpx.Client
) -> None:
    fake.faults.status(503, method="post", path="/api/deploy")

    assert client.get(f"{url}/api/deploy").status_code == 201
    assert client.post(f"{url}/api/other").status_code == 201
    assert client.post(f"{url}/api/deploy/123").status_code == 503
    assert client.post(f"{url}/api/deploy").status_code == 201
    assert fake.faults.pending == 0


def test_delay_beyond_the_client_timeout(
    fake: EchoFake, url: ServedUrl, client: httpx.Client
) -> None:
    fake.faults.delay(3.0)
    started = time.monotonic()

    with pytest.raises(httpx.ReadTimeout):
        client.get(f"{url}/slow", timeout=0.3)

    assert time.monotonic() - started < 2
    assert fake.handled == 1  # the server did act; only the answer was late


def test_short_delay_then_answer(fake: EchoFake, url: ServedUrl, client: httpx.Client) -> None:
    fake.faults.delay(0.3)
    started = time.monotonic()

    response = client.get(f"{url}/slow")

    assert response.status_code == 201
    assert time.monotonic() - started >= 0.3


def test_dropped_connection(fake: EchoFake, url: ServedUrl, client: httpx.Client) -> None:
    fake.faults.drop()

    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.get(f"{url}/x")

    assert fake.handled == 0
    assert client.get(f"{url}/x").status_code == 201


def test_reset_connection(fake: EchoFake, url: ServedUrl, client: httpx.Client) -> None:
    fake.faults.drop(reset=True)

    with pytest.raises(httpx.ReadError):
        client.get(f"{url}/x")


def test_drop_after_handling(fake: EchoFake, url: ServedUrl, client: httpx.Client) -> None:
    fake.faults.drop(after_handling=True)

    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.post(f"{url}/deploy")

    assert fake.handled == 1


def test_garbage_bytes(fake: EchoFake, url: ServedUrl, client: httpx.Client) -> None:
    fake.faults.garbage("bytes")

    response = client.get(f"{url}/x")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(ValueError):
        response.json()


def test_garbage_json_and_truncated_json(
    fake: EchoFake, url: ServedUrl, client: httpx.Client
) -> None:
    fake.faults.garbage("json").garbage("truncated-json")

    wrong_shape = client.get(f"{url}/x").json()
    truncated = client.get(f"{url}/x")

    assert "method" not in wrong_shape and wrong_shape["unexpected"] == ["wrong", "shape"]
    with pytest.raises(json.JSONDecodeError):
        truncated.json()


def test_garbage_content_type(fake: EchoFake, url: ServedUrl, client: httpx.Client) -> None:
    fake.faults.garbage("content-type")

    response = client.get(f"{url}/x")

    assert response.headers["content-type"].startswith("text/html")
    assert "<html>" in response.text


def test_socket_faults_are_simulated_under_mock_transport(fake: EchoFake) -> None:
    fake.faults.drop().drop(reset=True).delay(60).delay(0.01)
    fake.sleep = lambda seconds: None
    transport = httpx.MockTransport(fake)
    with httpx.Client(transport=transport, base_url="https://api.example", timeout=1) as c:
        with pytest.raises(httpx.RemoteProtocolError):
            c.get("/x")
        with pytest.raises(httpx.ReadError):
            c.get("/x")
        with pytest.raises(httpx.ReadTimeout):
            c.get("/x")
        assert c.get("/x").status_code == 201


def test_fault_plan_rejects_nonsense() -> None:
    plan = FaultPlan()
    with pytest.raises(ValueError):
        plan.status(503, times=0)
    with pytest.raises(ValueError):
        plan.add_spec({"kind": "explode"})
    with pytest.raises(ValueError):
        plan.add_spec({"kind": "status", "colour": "red"})
    assert plan.pending == 0


# --- control API ----------------------------------------------------------------------


def test_control_api(fake: EchoFake, url: ServedUrl, client: httpx.Client) -> None:
    queued = client.post(
        f"{url}/__fake__/faults",
        json=[{"kind": "status", "status": 503, "times": 2, "path": "/api"}, {"kind": "drop"}],
    )
    assert queued.json() == {"pending": 3}

    assert client.get(f"{url}/api/a").status_code == 503
    assert client.get(f"{url}/api/b").status_code == 503
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.get(f"{url}/other")
    assert client.get(f"{url}/api/c").status_code == 201

    log = client.get(f"{url}/__fake__/requests").json()
    assert [(r["path"], r["fault"]) for r in log] == [
        ("/api/a", "status 503"),
        ("/api/b", "status 503"),
        ("/other", "drop"),
        ("/api/c", None),
    ]
    assert client.get(f"{url}/__fake__/state").json() == {"handled": 1}
    assert client.post(f"{url}/__fake__/faults", json={"kind": "nope"}).status_code == 400

    client.post(f"{url}/__fake__/reset")

    assert fake.requests == [] and fake.handled == 0


# --- TLS --------------------------------------------------------------------------------


def test_tls(fake: EchoFake) -> None:
    with serve(fake, tls=True) as base_url:
        assert base_url.startswith("https://localhost:")
        assert base_url.ca_bundle is not None and base_url.ca_bundle.is_file()
        with httpx.Client(verify=base_url.ssl_context()) as c:
            assert c.get(f"{base_url}/secure").json()["path"] == "/secure"
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{base_url}/secure")  # the system store does not trust the fake CA
    assert not base_url.ca_bundle.exists()


# --- the CLI ------------------------------------------------------------------------------


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    if not selector.select(timeout):
        raise AssertionError("the fake server printed nothing")
    return proc.stdout.readline()


def test_cli_serves_oidc_until_sigterm(tmp_path: Path) -> None:
    port_file = tmp_path / "ports.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes", "serve", "oidc", "--port-file", str(port_file)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = _read_line(proc, timeout=30)
        urls = json.loads(line)
        assert list(urls) == ["oidc"]
        assert urls["oidc"].startswith("http://127.0.0.1:")
        assert json.loads(port_file.read_text()) == urls

        base = urls["oidc"]
        response = httpx.get(
            f"{base}/token?api-version=2.0&audience=https://pmcp.run",
            headers={"Authorization": f"Bearer {DEFAULT_REQUEST_TOKEN}"},
        )
        assert response.status_code == 200
        token = response.json()["value"]
        jwks = jwt.PyJWKSet.from_dict(httpx.get(f"{base}/.well-known/jwks").json())
        key = jwks[jwt.get_unverified_header(token)["kid"]].key
        claims = jwt.decode(token, key, algorithms=["RS256"], audience="https://pmcp.run")
        assert claims["sub"] == "repo:octo-org/octo-repo:ref:refs/heads/main"
        assert httpx.get(f"{base}/__fake__/state").json()["audiences"] == ["https://pmcp.run"]
        unauthorized = httpx.get(f"{base}/token?api-version=2.0&audience=x")
        assert unauthorized.status_code == 401

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{base}/.well-known/jwks", timeout=2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stderr is not None
        stderr = proc.stderr.read()
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()
    assert "Traceback" not in stderr


def test_cli_rejects_unknown_fakes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.fakes", "serve", "no-such-fake"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_an_unstarted_server_stops_at_once(fake: EchoFake) -> None:
    server = LoopbackServer(fake)
    started = time.monotonic()

    server.stop()

    assert time.monotonic() - started < 1
