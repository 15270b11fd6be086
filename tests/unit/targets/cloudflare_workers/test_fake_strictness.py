"""The fake refuses what the Workers API refuses, so a sloppy client cannot pass against it."""

from __future__ import annotations

import json

import httpx

from tests.fakes.cloudflare_workers import ACCOUNT_ID, TOKEN, FakeCloudflare
from tests.fakes.cloudflare_workers.stand_in import ADD_WASM, worker_source

BASE = f"https://api.cf.test/client/v4/accounts/{ACCOUNT_ID}/workers/scripts"


def client(fake: FakeCloudflare) -> httpx.Client:
    return httpx.Client(
        transport=httpx.MockTransport(fake), headers={"Authorization": f"Bearer {TOKEN}"}
    )


def upload(fake, metadata, modules, name="strict"):
    files = [("metadata", (None, json.dumps(metadata).encode(), "application/json"))]
    files += [(n, (n, data, kind)) for n, kind, data in modules]
    with client(fake) as http:
        return http.put(f"{BASE}/{name}", files=files)


JS = (
    "index.js",
    "application/javascript+module",
    worker_source(wasm_name="index_bg.wasm").encode(),
)
WASM = ("index_bg.wasm", "application/wasm", ADD_WASM)
META = {"main_module": "index.js", "compatibility_date": "2024-11-20"}


def errors(response: httpx.Response) -> str:
    body = response.json()
    assert body["success"] is False
    return " ".join(f"{e['code']} {e['message']}" for e in body["errors"])


def test_a_complete_upload_is_accepted(fake):
    answer = upload(fake, META, [JS, WASM])
    assert answer.status_code == 200 and answer.json()["success"] is True


def test_unknown_metadata_fields_and_missing_imports_are_refused(fake):
    assert "Unknown metadata fields" in errors(upload(fake, {**META, "mian": 1}, [JS, WASM]))
    assert "No such module './index_bg.wasm'" in errors(upload(fake, META, [JS]))
    wrong_type = ("index_bg.wasm", "application/octet-stream", ADD_WASM)
    assert "imported as wasm" in errors(upload(fake, META, [JS, wrong_type]))
    assert "names no uploaded part" in errors(upload(fake, {**META, "main_module": "x.js"}, [JS]))
    assert "Invalid Worker name" in errors(upload(fake, META, [JS, WASM], name="Bad_"))
    assert fake.script("strict") is None


def test_deployments_need_known_versions_and_percentages_that_add_up(fake):
    upload(fake, META, [JS, WASM])
    version = fake.script("strict").versions[0].id
    with client(fake) as http:

        def deploy(versions):
            return http.post(
                f"{BASE}/strict/deployments", json={"strategy": "percentage", "versions": versions}
            )

        assert "add up to 100" in errors(deploy([{"version_id": version, "percentage": 90}]))
        assert "not found" in errors(deploy([{"version_id": "nope", "percentage": 100}]))
        three = [{"version_id": version, "percentage": 34}] * 3
        assert "one or two versions" in errors(deploy(three))
        assert deploy([{"version_id": version, "percentage": 100}]).json()["success"] is True


def test_tokens_are_checked_on_every_call(fake):
    with httpx.Client(transport=httpx.MockTransport(fake)) as http:
        assert http.get(f"{BASE}/strict/deployments").status_code == 400
        bad = http.get(
            "https://api.cf.test/client/v4/user/tokens/verify",
            headers={"Authorization": "Bearer wrong"},
        )
        assert bad.status_code == 401 and "1000 Invalid API Token" in errors(bad)
