"""A network failure on the way to the Workers API ends the run cleanly: exit 1, an
``::error::`` naming the host and the call, a summary entry, never "This is a bug" (or,
when the answer to the upload was lost after it happened, a read finds it and the run goes
on)."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest

from pmcp_action.__main__ import main
from tests.fakes.cloudflare_workers import ACCOUNT_ID, TOKEN, FakeCloudflare
from tests.support.network_faults import Fault, FaultyTransport, assert_reported_network_failure

from .helpers import BASE, write_project

#: (what the request is, what the error must say was being done)
CALLS = [
    (lambda r: r.url.path.endswith("/user/tokens/verify"), "verifying the API token"),
    (lambda r: "/workers/services/" in r.url.path, "reading the Worker weather"),
    (
        lambda r: r.method == "PUT" and r.url.path.endswith("/workers/scripts/weather"),
        "uploading the Worker weather",
    ),
]


@pytest.mark.parametrize("fault", list(Fault), ids=[f.name.lower() for f in Fault])
@pytest.mark.parametrize("call", range(len(CALLS)), ids=["token", "read", "upload"])
def test_a_network_failure_is_named_not_a_bug(
    tmp_path: Path, gha_files: dict[str, Path], fake: FakeCloudflare, fault: Fault, call: int
) -> None:
    match, doing = CALLS[call]
    write_project(tmp_path)
    env = {k: str(v) for k, v in gha_files.items()} | {
        "GITHUB_ACTIONS": "true",
        "INPUT_TARGET": "cloudflare-workers",
        "INPUT_WORKING-DIRECTORY": str(tmp_path),
        "INPUT_CLOUDFLARE-API-TOKEN": TOKEN,
        "INPUT_CLOUDFLARE-API-BASE-URL": BASE,
        "CLOUDFLARE_ACCOUNT_ID": ACCOUNT_ID,
        "INPUT_VERIFY": "false",
    }
    transport = FaultyTransport(httpx.MockTransport(fake), match, fault)
    out = io.StringIO()
    code = main(
        [],
        environ=env,
        stdout=out,
        stderr=io.StringIO(),
        transport=transport,
        sleep=lambda _s: None,
    )
    assert transport.failed, "the faulty call was made"
    summary = gha_files["GITHUB_STEP_SUMMARY"].read_text()
    if fault is Fault.RESET and call == 2:
        # The upload happened before the answer was lost: a read finds the new Worker, so
        # the run goes on instead of failing or uploading it twice.
        assert code == 0, out.getvalue()
        assert "The answer to the upload of the Worker weather was lost, but it happened." in (
            out.getvalue()
        )
        script = fake.script("weather")
        assert script is not None and len(script.versions) == 1
    else:
        assert_reported_network_failure(
            code, out.getvalue(), summary, host="api.cf.test", doing=doing
        )
    shown = [line for line in out.getvalue().splitlines() if not line.startswith("::add-mask::")]
    assert TOKEN not in "\n".join(shown) + summary
