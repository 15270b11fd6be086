"""A network failure on the way to any Google API ends the run cleanly: exit 1, an
``::error::`` naming the host and the call, a summary entry, never "This is a bug".

Without ``PMCP_GOOGLE_API_URL`` the target calls each API at its own googleapis.com host;
the fake answers them all in process (it routes by path), and the faulty transport fails
the requests to one host.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from pmcp_action.__main__ import main
from tests.fakes.google_cloud_run import FakeGoogleCloud
from tests.support.network_faults import Fault, FaultyTransport, assert_reported_network_failure

from .helpers import DEMO, DEPLOYER, PROVIDER, image_of, service_account_key


@dataclass(frozen=True)
class Call:
    """A request to one Google API, and what the error must say was being done."""

    host: str
    doing: str
    #: The command that makes it, with the credentials it signs in with.
    command: str = "deploy"
    credentials: str = "key"
    match: Callable[[httpx.Request], bool] = lambda _r: True
    #: The secrets input of the run (Secret Manager is called only for a run that has some).
    secrets: str = ""


#: A secret of the server, given to the runs that call Secret Manager.
SECRET = "sk-network-0123456789abcdef"


CALLS = {
    "sts": Call(
        "sts.googleapis.com",
        f"exchanging the CI token at Google STS for {PROVIDER}",
        credentials="external_account",
    ),
    "iamcredentials": Call(
        "iamcredentials.googleapis.com",
        f"impersonating {DEPLOYER}",
        credentials="external_account",
    ),
    "oauth2": Call(
        "oauth2.googleapis.com", f"signing in with the service-account key of {DEPLOYER}"
    ),
    "run": Call("run.googleapis.com", "reading service calc"),
    "run-iam": Call(
        "run.googleapis.com",
        "setting the IAM policy of calc",
        match=lambda r: r.url.path.endswith(":setIamPolicy"),
    ),
    "artifactregistry": Call(
        "artifactregistry.googleapis.com", "reading Artifact Registry repository pmcp", "plan"
    ),
    "logging": Call("logging.googleapis.com", "reading the logs of revision calc-00001-x", "logs"),
    "secretmanager": Call(
        "secretmanager.googleapis.com",
        "listing the secrets in Secret Manager",
        secrets=f"API_KEY={SECRET}",
    ),
    "secretmanager-version": Call(
        "secretmanager.googleapis.com",
        "adding a version to secret calc-API_KEY",
        match=lambda r: r.url.path.endswith(":addVersion"),
        secrets=f"API_KEY={SECRET}",
    ),
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _external_account(root: Path) -> str:
    """What google-github-actions/auth writes: the CI's token in a file, exchanged at STS,
    then the service account impersonated."""
    claims = {"iss": "https://token.actions.githubusercontent.com", "repository": "o/r"}
    token = root / "oidc-token"
    token.write_text(f"{_b64(b'{}')}.{_b64(json.dumps(claims).encode())}.c2ln")
    return json.dumps(
        {
            "type": "external_account",
            "audience": f"//iam.googleapis.com/{PROVIDER}",
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "token_url": "https://sts.googleapis.com/v1/token",
            "service_account_impersonation_url": "https://iamcredentials.googleapis.com/v1/"
            f"projects/-/serviceAccounts/{DEPLOYER}:generateAccessToken",
            "credential_source": {"file": str(token)},
        }
    )


def _run(env: dict[str, str], transport: httpx.BaseTransport, **extra: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(
        [],
        environ=env | extra,
        stdout=out,
        stderr=io.StringIO(),
        transport=transport,
        sleep=lambda _s: None,
    )
    return code, out.getvalue()


@pytest.mark.parametrize("fault", list(Fault), ids=[f.name.lower() for f in Fault])
@pytest.mark.parametrize("api", list(CALLS))
def test_a_network_failure_is_named_not_a_bug(
    tmp_path: Path, gha_files: dict[str, Path], fault: Fault, api: str
) -> None:
    call = CALLS[api]
    fake = FakeGoogleCloud()
    fake.providers[PROVIDER] = {"repository": "o/r"}
    fake.service_accounts[DEPLOYER] = PROVIDER
    key_json, public = service_account_key(DEPLOYER)
    fake.keys[DEPLOYER] = public
    (tmp_path / ".pmcp").mkdir()
    (tmp_path / ".pmcp" / "deploy.toml").write_text('[server]\nname = "calc"\n')
    credentials = key_json if call.credentials == "key" else _external_account(tmp_path)
    env = {k: str(v) for k, v in gha_files.items()} | {
        "GITHUB_ACTIONS": "true",
        "INPUT_TARGET": "google-cloud-run",
        "INPUT_WORKING-DIRECTORY": str(tmp_path),
        "INPUT_GCP-PROJECT": DEMO,
        "INPUT_GCP-CREDENTIALS-JSON": credentials,
        "INPUT_VERIFY": "false",
    }
    if call.secrets:
        env["INPUT_SECRETS"] = call.secrets
    image = {"PMCP_IMAGE": image_of("a")}
    if call.command == "logs":  # there must be a revision to read the logs of
        assert _run(env, httpx.MockTransport(fake), **image)[0] == 0

    def match(request: httpx.Request) -> bool:
        return request.url.host == call.host and call.match(request)

    transport = FaultyTransport(httpx.MockTransport(fake), match, fault)
    given = {} if call.command == "plan" else image  # plan reads the default repository
    code, printed = _run(env, transport, INPUT_COMMAND=call.command, **given)
    assert transport.failed, "the faulty call was made"
    summary = gha_files["GITHUB_STEP_SUMMARY"].read_text()
    if fault is Fault.RESET and api == "secretmanager-version":
        # A version added whose answer was lost: read back, never added twice.
        assert code == 0, printed
        assert "The answer to the new version of secret calc-API_KEY was lost, but it happened" in (
            printed
        )
        assert [v.number for v in fake.secrets[next(iter(fake.secrets))].versions] == [1]
    else:
        assert_reported_network_failure(code, printed, summary, host=call.host, doing=call.doing)
    if fault is Fault.RESET and api == "run-iam":
        # The policy was written before the answer was lost: the error says it may have.
        assert "may have been carried out" in printed
    shown = "\n".join(line for line in printed.splitlines() if not line.startswith("::add-mask::"))
    private_key = json.loads(key_json)["private_key"]
    for secret in (credentials, private_key, *fake.tokens, SECRET):
        assert secret not in shown + summary
        assert base64.b64encode(secret.encode()).decode() not in shown + summary
