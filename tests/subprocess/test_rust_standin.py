"""The Rust MCP stand-in as a process on loopback: it speaks MCP, and its tool env_is_set
says whether a variable reached the server (what a platform's secrets become), never its
value. The container and act runs ask it the same over the deployed URL."""

from __future__ import annotations

import base64
import os
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.rust_mcp import build_standin, rustc_problem
from tests.support.registry import free_port

SECRET = "sk-standin-0123456789"


@pytest.fixture
def standin() -> Iterator[str]:
    problem = rustc_problem()
    if problem is not None:
        pytest.skip(problem)
    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "HOST": "127.0.0.1", "PORT": str(port)}
    env |= {"API_KEY": SECRET, "EMPTY": ""}
    process = subprocess.Popen(
        [str(build_standin())], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.post(url, json={"jsonrpc": "2.0", "method": "ping"}, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=10)
        assert SECRET.encode() not in out  # it never prints a value


def _call(url: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
    body = {"jsonrpc": "2.0", "id": 7, "method": method, "params": params}
    answer = httpx.post(url, json=body, headers={"Accept": "application/json"}, timeout=10)
    assert answer.status_code == 200
    assert SECRET not in answer.text
    assert base64.b64encode(SECRET.encode()).decode() not in answer.text
    result: dict[str, Any] = answer.json()["result"]
    return result


def _says(url: str, variable: str) -> tuple[str, bool]:
    result = _call(url, "tools/call", {"name": "env_is_set", "arguments": {"variable": variable}})
    return str(result["content"][0]["text"]), bool(result["isError"])


def test_the_standin_says_whether_a_variable_is_set_never_its_value(standin: str) -> None:
    listed = _call(standin, "tools/list", {})
    assert [tool["name"] for tool in listed["tools"]] == ["greet", "env_is_set"]
    assert _says(standin, "API_KEY") == ("API_KEY is set", False)
    assert _says(standin, "EMPTY") == ("EMPTY is not set", False)
    assert _says(standin, "NOT_GIVEN") == ("NOT_GIVEN is not set", False)
    assert _says(standin, 'A"B') == ("variable must be letters, digits and _", True)
