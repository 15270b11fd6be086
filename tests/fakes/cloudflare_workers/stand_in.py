"""A stand-in for a workers-rs bundle: a small MCP worker in JS plus a wasm module it imports.

No wasm Rust target is available here, so ``worker-build`` cannot run; these files have
the shape it emits, in either layout (reference cloud-apis §3.5):

- ``current``: ``index.js`` (imports ``cloudflare:workers`` and ``./index_bg.wasm``),
  ``index_bg.wasm``, ``worker/shim.mjs`` re-exporting ``../index.js``, ``package.json``;
- ``legacy``: ``worker/shim.mjs`` (imports ``./index.wasm``), ``worker/index.wasm``, and
  ``index.js`` re-exporting ``./worker/shim.mjs``.

The worker answers MCP ``initialize``, ``tools/list`` and ``ping`` with JSON on any path
but ``/health``; its tools are ``add`` (whose description is computed by the wasm module,
so the wasm import is exercised) and one ``binding_<NAME>`` per string binding, so a test
can see which bindings reached the runtime without seeing their values. ``broken=True``
answers 500 instead (a candidate that fails verification).
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["ADD_WASM", "SERVER_NAME", "write_bundle", "worker_source"]

SERVER_NAME = "stand-in-worker"

#: A wasm module exporting ``add(i32, i32) -> i32``.
ADD_WASM = bytes.fromhex(
    "0061736d01000000"  # magic, version 1
    "01070160027f7f017f"  # type section: (i32, i32) -> i32
    "03020100"  # function section: one function of type 0
    "070701036164640000"  # export section: "add" = function 0
    "0a09010700200020016a0b"  # code: local.get 0, local.get 1, i32.add
)

_WORKER = """\
import { WorkerEntrypoint } from "cloudflare:workers";
import wasmModule from "__WASM__";

const adder = new WebAssembly.Instance(wasmModule, {}).exports;
const SERVER = { name: "__NAME__", version: "__VERSION__" };
const BROKEN = __BROKEN__;

function reply(id, result) {
  return Response.json({ jsonrpc: "2.0", id, result });
}

export default class extends WorkerEntrypoint {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/health") return new Response("ok");
    if (BROKEN) return new Response("the candidate is broken", { status: 500 });
    if (request.method !== "POST") {
      const headers = { Allow: "POST" };
      return new Response("MCP endpoint: POST JSON-RPC", { status: 405, headers });
    }
    const message = await request.json();
    if (message.id === undefined || message.id === null) return new Response(null, { status: 202 });
    switch (message.method) {
      case "initialize":
        return reply(message.id, {
          protocolVersion: (message.params && message.params.protocolVersion) || "2025-06-18",
          capabilities: { tools: {} },
          serverInfo: SERVER,
        });
      case "tools/list": {
        const inputSchema = { type: "object" };
        const description = `wasm says 2 + 3 = ${adder.add(2, 3)}`;
        const tools = [{ name: "add", description, inputSchema }];
        for (const [key, value] of Object.entries(this.env)) {
          if (typeof value === "string") tools.push({ name: `binding_${key}`, inputSchema });
        }
        return reply(message.id, { tools });
      }
      case "ping":
        return reply(message.id, {});
      default:
        const error = { code: -32601, message: "Method not found" };
        return Response.json({ jsonrpc: "2.0", id: message.id, error });
    }
  }
}
"""


def worker_source(*, wasm_name: str, version: str = "1.0.0", broken: bool = False) -> str:
    return (
        _WORKER.replace("__WASM__", f"./{wasm_name}")
        .replace("__NAME__", SERVER_NAME)
        .replace("__VERSION__", version)
        .replace("__BROKEN__", "true" if broken else "false")
    )


def write_bundle(
    build_dir: Path, *, layout: str = "current", version: str = "1.0.0", broken: bool = False
) -> Path:
    """Write a worker-build-shaped output into ``build_dir``; return its main module."""
    (build_dir / "worker").mkdir(parents=True, exist_ok=True)
    if layout == "current":
        main = build_dir / "index.js"
        main.write_text(worker_source(wasm_name="index_bg.wasm", version=version, broken=broken))
        (build_dir / "index_bg.wasm").write_bytes(ADD_WASM)
        (build_dir / "worker" / "shim.mjs").write_text(
            'export * from "../index.js";\nexport { default } from "../index.js";\n'
        )
        (build_dir / "package.json").write_text(
            json.dumps({"name": "index", "files": ["index_bg.wasm", "index.js"]}) + "\n"
        )
        return main
    if layout == "legacy":
        main = build_dir / "worker" / "shim.mjs"
        main.write_text(worker_source(wasm_name="index.wasm", version=version, broken=broken))
        (build_dir / "worker" / "index.wasm").write_bytes(ADD_WASM)
        (build_dir / "index.js").write_text(
            'export * from "./worker/shim.mjs";\nexport { default } from "./worker/shim.mjs";\n'
        )
        return main
    raise ValueError(f"unknown layout {layout!r}")
