"""A network failure on the way to any of Azure's APIs ends the run cleanly: exit 1, an
``::error::`` naming the host and the call, a summary entry, never "This is a bug".

The whole program deploys a project with a Dockerfile (built by ACR Tasks, so every API is
called) against the Azure fake in process, each API on a host of its own: Entra ID, ARM,
the registry's login server and the blob storage of the build context.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from pmcp_action.__main__ import main
from pmcp_action.targets.azure_container_apps.config import derived_registry_name
from tests.fakes.azure_container_apps import FakeAzure
from tests.support.network_faults import Fault, FaultyTransport, assert_reported_network_failure

from .helpers import CLIENT, SECRET, SHA, SUBSCRIPTION, TENANT

LOGIN_HOST = "login.azure.test"
ARM_HOST = "management.azure.test"
BLOB_HOST = "calcstore.blob.azure.test"
REGISTRY_HOST = f"{derived_registry_name(SUBSCRIPTION, 'calc-rg', 'calc')}.azurecr.io"

#: (the API, what its requests are, what the error must say was being done)
CALLS: list[tuple[str, Callable[[httpx.Request], bool], str]] = [
    (
        LOGIN_HOST,
        lambda r: r.url.host == LOGIN_HOST,
        f"signing in app {CLIENT} at Entra ID",
    ),
    (
        ARM_HOST,
        lambda r: r.url.host == ARM_HOST,
        "reading the state of resource provider Microsoft.App",
    ),
    (
        REGISTRY_HOST,
        lambda r: r.url.host == REGISTRY_HOST,
        f"asking the registry {REGISTRY_HOST} how to log in",
    ),
    (
        BLOB_HOST,
        lambda r: r.url.host == BLOB_HOST,
        "uploading the build context",
    ),
]


def _project(root: Path) -> Path:
    (root / ".pmcp").mkdir(parents=True, exist_ok=True)
    (root / ".pmcp" / "deploy.toml").write_text('[server]\nname = "calc"\n', encoding="utf-8")
    (root / "Dockerfile").write_text("FROM scratch\nCOPY server /server\n")
    (root / "server").write_text("stand-in\n")
    return root


@pytest.fixture
def azure() -> FakeAzure:
    fake = FakeAzure(f"https://{ARM_HOST}", SUBSCRIPTION)
    fake.entra.add_app(CLIENT, TENANT, secret=SECRET)
    fake.arm.tasks.blob_origin = f"https://{BLOB_HOST}"
    return fake


@pytest.mark.parametrize("fault", list(Fault), ids=[f.name.lower() for f in Fault])
@pytest.mark.parametrize("call", range(len(CALLS)), ids=["entra", "arm", "registry", "blob"])
def test_a_network_failure_is_named_not_a_bug(
    tmp_path: Path, gha_files: dict[str, Path], azure: FakeAzure, fault: Fault, call: int
) -> None:
    host, match, doing = CALLS[call]
    env = {k: str(v) for k, v in gha_files.items()} | {
        "GITHUB_ACTIONS": "true",
        "GITHUB_SHA": SHA,
        "INPUT_TARGET": "azure-container-apps",
        "INPUT_WORKING-DIRECTORY": str(_project(tmp_path)),
        "INPUT_VERIFY": "false",
        "AZURE_TENANT_ID": TENANT,
        "AZURE_CLIENT_ID": CLIENT,
        "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION,
        "AZURE_CLIENT_SECRET": SECRET,
        "PMCP_AZURE_LOGIN_URL": f"https://{LOGIN_HOST}",
        "PMCP_AZURE_ARM_URL": f"https://{ARM_HOST}",
    }
    transport = FaultyTransport(httpx.MockTransport(azure), match, fault)
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
    assert_reported_network_failure(code, out.getvalue(), summary, host=host, doing=doing)
    assert azure.arm.tasks.all_runs() == [], "nothing was built after the failure"
    shown = [line for line in out.getvalue().splitlines() if not line.startswith("::add-mask::")]
    assert SECRET not in "\n".join(shown) + summary
