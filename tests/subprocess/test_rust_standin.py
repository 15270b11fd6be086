"""The Rust MCP stand-in (tests/fakes/rust_mcp), compiled with rustc and run as a process:
its ``env_is_set`` tool says whether a variable is set, never its value (what the container
and act runs ask a deployed revision about a secret)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.mcp_servers import unused_port
from tests.fakes.rust_mcp import build_standin, rustc_problem

pytestmark = pytest.mark.timeout(600)

SECRET = "standin-secret-9c1e5a7b"


@pytest.fixture(scope="module")
def standin() -> Iterator[str]:
    problem = rustc_problem()
    if problem is not None:
        pytest.skip(problem)
    port = unused_port()
    env = {"PATH": os.environ.get("PATH", ""), "PORT": str(port), "API_KEY": SECRET, "EMPTY": ""}
    process = subprocess.Popen(
        [str(build_standin())], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.post(url, json={"jsonrpc": "2.0", "id": 0, "method": "ping"}, timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _call(url: str, method: str, params: dict[str, Any]) -> httpx.Response:
    body = {"jsonrpc": "2.0", "id": 7, "method": method, "params": params}
    return httpx.post(url, json=body, timeout=10)


def test_env_is_set_says_set_or_unset_and_never_the_value(standin: str) -> None:
    listed = _call(standin, "tools/list", {}).json()["result"]["tools"]
    assert [t["name"] for t in listed] == ["greet", "env_is_set"]
    said = {}
    for variable in ("API_KEY", "EMPTY", "NOT_THERE", ""):
        answer = _call(
            standin, "tools/call", {"name": "env_is_set", "arguments": {"variable": variable}}
        )
        assert SECRET not in answer.text
        result = answer.json()["result"]
        assert result["isError"] is False
        said[variable] = result["content"][0]["text"]
    assert said == {"API_KEY": "set", "EMPTY": "unset", "NOT_THERE": "unset", "": "unset"}
