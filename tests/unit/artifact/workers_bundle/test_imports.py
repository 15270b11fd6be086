"""workers_bundle.imports: the import forms worker-build emits."""

from __future__ import annotations

from pmcp_action.artifact.workers_bundle.imports import import_specifiers


def test_import_specifiers_cover_the_forms_worker_build_emits():
    source = """
import { WorkerEntrypoint } from "cloudflare:workers";
import wasm from './index_bg.wasm';
import source mod from "./other.wasm";
import * as ns from "./ns.js";
import "./side.js";
export * from "../index.js";
export { default, x as y } from "./re.mjs";
const lazy = await import("./lazy.js");
const text = "this import is only text";
"""
    assert import_specifiers(source) == [
        "cloudflare:workers",
        "./index_bg.wasm",
        "./other.wasm",
        "./ns.js",
        "./side.js",
        "../index.js",
        "./re.mjs",
        "./lazy.js",
    ]
