"""A real workerd per served version, on 127.0.0.1 (the workers.dev zone of the fake)."""

from __future__ import annotations

import json
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx

from .state import Version

_CAPNP_TYPES = {
    "application/javascript+module": "esModule",
    "application/javascript": "commonJsModule",
    "application/wasm": "wasm",
    "text/plain": "text",
    "application/octet-stream": "data",
    "application/json": "json",
}


def _capnp_string(text: str) -> str:
    return json.dumps(text)


class WorkerdPool:
    """One ``workerd serve`` per served version, started on first use, on 127.0.0.1."""

    def __init__(self, workerd: Path) -> None:
        self.workerd = workerd
        self._lock = threading.Lock()
        self._running: dict[str, tuple[subprocess.Popen[bytes], int, Path]] = {}
        self._tmp = tempfile.TemporaryDirectory(prefix="fake-workerd-")

    def port_for(self, version: Version) -> int:
        with self._lock:
            if version.id not in self._running:
                self._running[version.id] = self._start(version)
            return self._running[version.id][1]

    def _start(self, version: Version) -> tuple[subprocess.Popen[bytes], int, Path]:
        root = Path(self._tmp.name) / version.id
        modules: list[str] = []
        ordered = [version.main_module] + [n for n in version.modules if n != version.main_module]
        for index, name in enumerate(ordered):
            content_type, data = version.modules[name]
            kind = _CAPNP_TYPES.get(content_type)
            if kind is None:
                continue
            stored = root / "modules" / f"m{index}"
            stored.parent.mkdir(parents=True, exist_ok=True)
            stored.write_bytes(data)
            modules.append(
                f"(name = {_capnp_string(name)}, {kind} = embed "
                f"{_capnp_string(stored.relative_to(root).as_posix())})"
            )
        bindings = []
        for binding in version.bindings:
            if binding.get("type") in ("plain_text", "secret_text"):
                bindings.append(
                    f"(name = {_capnp_string(binding['name'])}, "
                    f"text = {_capnp_string(str(binding.get('text', '')))})"
                )
            elif binding.get("type") == "json":
                bindings.append(
                    f"(name = {_capnp_string(binding['name'])}, "
                    f"json = {_capnp_string(json.dumps(binding.get('json')))})"
                )
        flags = ", ".join(_capnp_string(f) for f in version.compatibility_flags)
        config = root / "config.capnp"
        config.write_text(
            'using Workerd = import "/workerd/workerd.capnp";\n'
            "const config :Workerd.Config = (\n"
            '  services = [ (name = "main", worker = .mainWorker) ],\n'
            '  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), '
            'service = "main") ],\n'
            ");\n"
            "const mainWorker :Workerd.Worker = (\n"
            f"  modules = [ {', '.join(modules)} ],\n"
            f"  compatibilityDate = {_capnp_string(version.compatibility_date)},\n"
            f"  compatibilityFlags = [ {flags} ],\n"
            f"  bindings = [ {', '.join(bindings)} ],\n"
            ");\n"
        )
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        port = int(listener.getsockname()[1])
        log = root / "workerd.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(self.workerd), "serve", str(config), f"--socket-fd=http={listener.fileno()}"],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                pass_fds=(listener.fileno(),),
            )
        listener.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"workerd exited {process.returncode}:\n{log.read_text()}")
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        return process, port, log

    def log_of(self, version_id: str) -> str:
        running = self._running.get(version_id)
        return running[2].read_text() if running else ""

    def close(self) -> None:
        with self._lock:
            for process, _port, _log in self._running.values():
                process.terminate()
            for process, _port, _log in self._running.values():
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
            self._running.clear()
        self._tmp.cleanup()


# --- multipart ------------------------------------------------------------------------------
