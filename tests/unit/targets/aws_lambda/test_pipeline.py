"""Whole runs through ``main``: a failed MCP verification puts alias ``live`` back and
shows what the new version logged; the logs command (moto + real MCP servers); the server's
secrets set, unchanged, changed, kept, pruned, required, refused, rolled back, and never
shown in any output."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import httpx
import pytest

from pmcp_action.__main__ import main
from tests.fakes.aws_lambda.url_hosts import FunctionUrlHosts, FunctionUrlTransport
from tests.fakes.mcp_servers import serve_handler, serve_mcp, serve_static
from tests.support.aws import REGION, elf_bootstrap
from tests.support.github import parse_github_output

from .helpers import MUTATING_PREFIXES, write_log_lines

SECRET_KEY = "moto-secret-key-for-rollback-test"


def deploy(gha_files, workspace: Path, moto_url: str, marker: bytes, **inputs: str):
    bootstrap = workspace / "bootstrap"
    bootstrap.write_bytes(elf_bootstrap(marker))
    bootstrap.chmod(0o755)
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        gha_files[name].write_text("")
    env = {k: str(v) for k, v in gha_files.items()} | {
        "GITHUB_ACTIONS": "true",
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "AKIAROLLBACKTEST0000",
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "INPUT_TARGET": "aws-lambda",
        "INPUT_SERVER-NAME": "rollback-demo",
        "INPUT_REGION": REGION,
        "INPUT_ARTIFACT": "bootstrap",
        "INPUT_WORKING-DIRECTORY": str(workspace),
        "INPUT_VERIFY-TIMEOUT-SECONDS": "3",
    }
    env |= {f"INPUT_{k.upper().replace('_', '-')}": v for k, v in inputs.items()}
    out = io.StringIO()
    code = main([], environ=env, stdout=out, stderr=io.StringIO())
    outputs = parse_github_output(gha_files["GITHUB_OUTPUT"].read_text())
    return code, out.getvalue(), outputs, gha_files["GITHUB_STEP_SUMMARY"].read_text()


def test_failed_verification_moves_live_back_to_the_previous_version(
    gha_files, tmp_path, moto, aws
):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    with serve_mcp(tools=("greet",)) as good:
        code, _, first, _ = deploy(gha_files, workspace, moto.url, b"v1", verify_url=good.url)
    assert code == 0, first
    assert first["verified"] == "true" and first["version"] == "1"

    with serve_static("<h1>502 Bad Gateway</h1>", status=200) as broken:
        code, out, second, summary = deploy(
            gha_files, workspace, moto.url, b"v2", verify_url=broken.url
        )
    assert code == 1
    assert second["version"] == "2" and second["previous-version"] == "1"
    assert second["verified"] == "false" and second["rolled-back"] == "true"
    alias = aws("lambda").get_alias(FunctionName="rollback-demo", Name="live")
    assert alias["FunctionVersion"] == "1"
    assert "Version 1 serves again" in summary
    assert "::error title=Verification failed::" in out
    printed = [line for line in out.splitlines() if not line.startswith("::add-mask::")]
    assert SECRET_KEY not in "\n".join(printed) + summary + "".join(second.values())


def test_a_failed_verification_shows_what_the_new_version_logged(gha_files, tmp_path, moto, aws):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    with serve_mcp(tools=("greet",)) as good:
        assert deploy(gha_files, workspace, moto.url, b"v1", verify_url=good.url)[0] == 0
    write_log_lines(aws, "rollback-demo", "1", ["version 1 is fine"])
    write_log_lines(
        aws,
        "rollback-demo",
        "2",
        [
            "INIT_START Runtime Version: provided:al2023",
            f"thread 'main' panicked: missing API_KEY (key {SECRET_KEY})",
            "END RequestId: 1234",
        ],
    )

    with serve_static("<h1>502 Bad Gateway</h1>", status=200) as broken:
        code, _, _, summary = deploy(gha_files, workspace, moto.url, b"v2", verify_url=broken.url)

    assert code == 1
    assert (
        "<details><summary>Server log: last 3 lines (CloudWatch Logs "
        "/aws/lambda/rollback-demo, version 2)</summary>"
    ) in summary
    assert "thread 'main' panicked: missing API_KEY (key ***)" in summary
    assert "version 1 is fine" not in summary
    assert SECRET_KEY not in summary
    report = __import__("json").loads(
        (gha_files["RUNNER_TEMP"] / "pmcp-deploy-report.json").read_text()
    )
    assert report["logs"]["lines"][0] == "INIT_START Runtime Version: provided:al2023"
    assert SECRET_KEY not in str(report)


def test_the_logs_command_prints_what_the_serving_version_logged(gha_files, tmp_path, moto, aws):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    with serve_mcp(tools=("greet",)) as good:
        assert deploy(gha_files, workspace, moto.url, b"v1", verify_url=good.url)[0] == 0
    write_log_lines(
        aws, "rollback-demo", "1", ["listening on the runtime API", "tools/list answered"]
    )

    code, out, outputs, summary = deploy(gha_files, workspace, moto.url, b"v1", command="logs")

    assert code == 0, out
    assert outputs["status"] == "success" and outputs["command"] == "logs"
    assert "## pmcp deploy — 📜 Server logs" in summary
    assert "  listening on the runtime API" in out and "  tools/list answered" in out
    assert "CloudWatch Logs /aws/lambda/rollback-demo, version 1:" in out


# --- the server's secrets, through the whole program ---------------------------------------

API_KEY = "sk-live-whole-program-7c1e"
DB_URL = "postgres://app:s3cr3t-pw@db.internal/app"
PEM = (
    "-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7\n"
    "-----END PRIVATE KEY-----"
)


class Run:
    """One run of ``main`` against moto behind the recording proxy, and everything it wrote."""

    def __init__(self, gha_files, workspace: Path, proxy, marker: bytes, **inputs: str) -> None:
        bootstrap = workspace / "bootstrap"
        bootstrap.write_bytes(elf_bootstrap(marker))
        bootstrap.chmod(0o755)
        for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV"):
            gha_files[name].write_text("")
        report = gha_files["RUNNER_TEMP"] / "pmcp-deploy-report.json"
        report.unlink(missing_ok=True)
        env = {k: str(v) for k, v in gha_files.items()} | {
            "GITHUB_ACTIONS": "true",
            "AWS_ENDPOINT_URL": proxy.url,
            "AWS_ACCESS_KEY_ID": "AKIASECRETSTEST00000",
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "INPUT_TARGET": "aws-lambda",
            "INPUT_SERVER-NAME": "secret-demo",
            "INPUT_REGION": REGION,
            "INPUT_ARTIFACT": "bootstrap",
            "INPUT_WORKING-DIRECTORY": str(workspace),
            "INPUT_VERIFY": "false",
        }
        env |= {f"INPUT_{k.upper().replace('_', '-')}": v for k, v in inputs.items()}
        out, err = io.StringIO(), io.StringIO()
        proxy.reset()
        self.code = main([], environ=env, stdout=out, stderr=err)
        self.operations = proxy.operations()
        self.stdout = out.getvalue()
        self.stderr = err.getvalue()
        self.output_file = gha_files["GITHUB_OUTPUT"].read_text()
        self.outputs = parse_github_output(self.output_file)
        self.summary = gha_files["GITHUB_STEP_SUMMARY"].read_text()
        self.env_file = gha_files["GITHUB_ENV"].read_text()
        self.report = report.read_text() if report.exists() else ""

    @property
    def secrets(self) -> dict[str, str]:
        return json.loads(self.outputs["secrets"]) if self.outputs.get("secrets") else {}

    def assert_never_shows(self, *values: str) -> None:
        """No output of the run holds a secret, a line of one, or its base64 (the mask
        commands themselves aside)."""
        shown = "\n".join(
            line for line in self.stdout.splitlines() if not line.startswith("::add-mask::")
        )
        everything = "\n".join(
            (shown, self.stderr, self.output_file, self.summary, self.env_file, self.report)
        )
        for value in values:
            forms = {value, base64.b64encode(value.encode()).decode()}
            forms |= {line for line in value.splitlines() if len(line) > 8}
            for form in forms:
                assert form not in everything, f"a secret ({len(form)} chars) was shown"


def _mutations(operations: list[str]) -> list[str]:
    return [op for op in operations if op.startswith(MUTATING_PREFIXES)]


def _secrets_input(**values: str) -> str:
    lines = []
    for name, value in values.items():
        if "\n" in value:
            lines += [f"{name}<<EOF", *value.splitlines(), "EOF"]
        else:
            lines.append(f"{name}={value}")
    return "\n".join(lines)


def test_secrets_set_unchanged_changed_kept_and_pruned(gha_files, tmp_path, proxy, aws):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    every = [API_KEY, DB_URL, PEM, "sk-live-rotated-9d2f"]

    first = Run(
        gha_files, workspace, proxy, b"v1", secrets=_secrets_input(API_KEY=API_KEY, PEM=PEM)
    )
    assert first.code == 0, first.stdout
    assert first.secrets == {"API_KEY": "set", "PEM": "set"}
    assert "| **Secrets** | API_KEY set, PEM set |" in first.summary
    assert {"name": "API_KEY", "status": "set"} in json.loads(first.report)["secrets"]
    config = aws("lambda").get_function_configuration(FunctionName="secret-demo", Qualifier="1")
    assert config["Environment"]["Variables"] == {"API_KEY": API_KEY, "PEM": PEM}
    assert config["KMSKeyArn"].startswith(f"arn:aws:kms:{REGION}:")

    same = Run(gha_files, workspace, proxy, b"v1", secrets=_secrets_input(API_KEY=API_KEY, PEM=PEM))
    assert same.code == 0 and same.outputs["status"] == "unchanged"
    assert same.secrets == {"API_KEY": "unchanged", "PEM": "unchanged"}
    assert same.outputs["version"] == "1" and _mutations(same.operations) == []

    changed = Run(
        gha_files, workspace, proxy, b"v1", secrets=_secrets_input(API_KEY=every[3], PEM=PEM)
    )
    assert changed.code == 0 and changed.outputs["version"] == "2"
    assert changed.secrets == {"API_KEY": "set", "PEM": "unchanged"}
    assert changed.outputs["previous-version"] == "1"

    kept = Run(gha_files, workspace, proxy, b"v2", secrets=_secrets_input(DB_URL=DB_URL))
    assert kept.code == 0 and kept.outputs["version"] == "3"
    assert kept.secrets == {"API_KEY": "kept", "DB_URL": "set", "PEM": "kept"}
    variables = aws("lambda").get_function_configuration(FunctionName="secret-demo", Qualifier="3")[
        "Environment"
    ]["Variables"]
    assert variables == {"API_KEY": every[3], "DB_URL": DB_URL, "PEM": PEM}

    pruned = Run(
        gha_files,
        workspace,
        proxy,
        b"v2",
        secrets=_secrets_input(DB_URL=DB_URL),
        prune_secrets="true",
    )
    assert pruned.code == 0 and pruned.outputs["version"] == "4"
    assert pruned.secrets == {"API_KEY": "removed", "DB_URL": "unchanged", "PEM": "removed"}
    variables = aws("lambda").get_function_configuration(FunctionName="secret-demo", Qualifier="4")[
        "Environment"
    ]["Variables"]
    assert variables == {"DB_URL": DB_URL}

    for run in (first, same, changed, kept, pruned):
        run.assert_never_shows(*every)


def _deploy_toml(workspace: Path, text: str) -> None:
    (workspace / ".pmcp").mkdir(exist_ok=True)
    (workspace / ".pmcp" / "deploy.toml").write_text(text)


def test_a_required_secret_no_one_gave_stops_the_run_before_any_change(
    gha_files, tmp_path, proxy, aws
):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    _deploy_toml(workspace, '[server]\nname = "secret-demo"\n\n[secrets]\nAPI_KEY = ""\n')

    missing = Run(gha_files, workspace, proxy, b"v1")

    assert missing.code == 1
    assert "requires the secret API_KEY" in missing.stdout
    assert _mutations(missing.operations) == []
    assert aws("lambda").list_functions()["Functions"] == []

    given = Run(gha_files, workspace, proxy, b"v1", secrets=f"API_KEY={API_KEY}")
    assert given.code == 0 and given.secrets == {"API_KEY": "set"}
    # Stored now: a later run needs no value for it.
    later = Run(gha_files, workspace, proxy, b"v2")
    assert later.code == 0 and later.secrets == {"API_KEY": "kept"}
    for run in (missing, given, later):
        run.assert_never_shows(API_KEY)


_REFUSED = {
    "an empty value": ("API_KEY=", "the secret API_KEY is empty"),
    "a name Lambda reserves": ("AWS_REGION=eu-west-1-not-this", "Lambda sets AWS_REGION itself"),
    "a name Lambda does not take": ("_TOKEN=abcdefgh", "Lambda does not take _TOKEN"),
    "200 secrets": (
        "\n".join(f"S{i:03}=value-{i:03}" for i in range(200)),
        "give at most 47 secrets",
    ),
    "a 64 KiB value": (f"CERT={'c' * 65536}", "the largest secret, CERT, 65536 bytes"),
}


@pytest.mark.parametrize("case", list(_REFUSED))
def test_hostile_secrets_are_refused_before_any_call(gha_files, tmp_path, proxy, case):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    text, said = _REFUSED[case]

    run = Run(gha_files, workspace, proxy, b"v1", secrets=text)

    assert run.code == 1
    assert said in run.stdout
    assert run.operations == []  # not even a sign-in
    run.assert_never_shows(
        *(line.split("=", 1)[1] for line in text.splitlines() if len(line.split("=", 1)[1]) > 8)
    )


def test_values_with_newlines_and_equals_signs_reach_the_function_as_given(
    gha_files, tmp_path, proxy, aws
):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    equals = "a=b==c&d=e"

    run = Run(gha_files, workspace, proxy, b"v1", secrets=_secrets_input(PEM=PEM, QUERY=equals))

    assert run.code == 0 and run.secrets == {"PEM": "set", "QUERY": "set"}
    variables = aws("lambda").get_function_configuration(FunctionName="secret-demo")["Environment"][
        "Variables"
    ]
    assert variables == {"PEM": PEM, "QUERY": equals}
    run.assert_never_shows(PEM, equals)


def test_a_changed_secret_that_fails_verification_is_rolled_back(gha_files, tmp_path, proxy, aws):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    with serve_mcp(tools=("greet",)) as good:
        first = Run(
            gha_files,
            workspace,
            proxy,
            b"v1",
            secrets=f"API_KEY={API_KEY}",
            verify="true",
            verify_url=good.url,
        )
    assert first.code == 0, first.stdout

    with serve_static("<h1>502 Bad Gateway</h1>", status=200) as broken:
        failed = Run(
            gha_files,
            workspace,
            proxy,
            b"v1",
            secrets="API_KEY=sk-live-broken-value-1",
            verify="true",
            verify_url=broken.url,
            verify_timeout_seconds="3",
        )

    assert failed.code == 1
    assert failed.outputs["version"] == "2" and failed.outputs["rolled-back"] == "true"
    assert failed.secrets == {"API_KEY": "set"}
    lam = aws("lambda")
    assert lam.get_alias(FunctionName="secret-demo", Name="live")["FunctionVersion"] == "1"
    # What serves again has the old value, and the tags say so: giving it again is unchanged.
    again = Run(gha_files, workspace, proxy, b"v1", secrets=f"API_KEY={API_KEY}")
    assert again.code == 0 and again.outputs["status"] == "unchanged"
    assert again.secrets == {"API_KEY": "unchanged"} and _mutations(again.operations) == []
    for run in (first, failed, again):
        run.assert_never_shows(API_KEY, "sk-live-broken-value-1")


PRICE_SCENARIO = """\
name: Price an apple
steps:
  - name: price
    operation: {type: tool_call, tool: price, arguments: {item: apple, quantity: 2}}
    assertions:
      - {type: equals, path: parsed.total, value: 3.0}
"""


def test_a_failing_scenario_on_the_live_version_puts_the_previous_one_back(
    gha_files, tmp_path, moto, aws
):
    from tests.fakes.mcp_servers import serve_shop_mcp
    from tests.fakes.rust_mcp import rustc_problem, serve_standin

    if rustc_problem():
        import pytest

        pytest.skip(str(rustc_problem()))
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "price.yaml").write_text(PRICE_SCENARIO)
    with serve_shop_mcp(json_response=True) as shop:
        code, _, first, _ = deploy(
            gha_files,
            workspace,
            moto.url,
            b"v1",
            verify_url=shop.url,
            verify_scenarios="price.yaml",
        )
    assert code == 0, first
    assert first["scenarios-passed"] == "1" and first["version"] == "1"

    with serve_standin() as standin:  # the new version: a Rust server without the price tool
        code, out, second, summary = deploy(
            gha_files, workspace, moto.url, b"v2", verify_url=standin, verify_scenarios="price.yaml"
        )
    assert code == 1, out
    assert second["version"] == "2" and second["rolled-back"] == "true"
    assert second["scenarios-failed"] == "1" and second["verified"] == "false"
    alias = aws("lambda").get_alias(FunctionName="rollback-demo", Name="live")
    assert alias["FunctionVersion"] == "1"
    assert "Version 1 serves again" in summary
    assert "scenario 'Price an apple' (price.yaml), steps step 'price' (tool_call price)" in summary
    assert "JSON-RPC error -32601: unknown" in summary


def test_an_oauth_protected_server_is_verified_with_client_credentials(
    gha_files, tmp_path, moto, aws
):
    import base64

    from tests.fakes.oauth_server import FakeAuthorizationServer, serve_protected_mcp

    client_secret = "cc-secret-5e0a9f3b71"
    issuer = FakeAuthorizationServer()
    issuer.clients["ci-verifier"] = client_secret
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "whoami.yaml").write_text(
        "name: Who am I\nsteps:\n  - name: whoami\n    operation: {type: tool_call, tool: whoami}\n"
        "    assertions:\n      - {type: equals, path: result, value: protected}\n"
    )
    with serve_protected_mcp(issuer) as protected:
        code, out, outputs, summary = deploy(
            gha_files,
            workspace,
            moto.url,
            b"v1",
            verify_url=protected.mcp.url,
            verify_oauth_client_id="ci-verifier",
            verify_oauth_client_secret=client_secret,
            verify_oauth_scope="mcp.read",
            verify_scenarios="whoami.yaml",
            verify_checks="conformance",
        )
        # Without credentials the run says what it needs, and does not fail.
        for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
            gha_files[name].write_text("")
        plain_code, plain_out, plain, _ = deploy(
            gha_files, workspace, moto.url, b"v1", verify_url=protected.mcp.url
        )
    assert code == 0, out
    assert outputs["verified"] == "true" and outputs["scenarios-passed"] == "1"
    assert outputs["mcp-server-name"] == "protected-mcp"
    (token,) = issuer.issued
    assert issuer.issued[token]["scope"] == "mcp.read"
    report = (gha_files["RUNNER_TEMP"] / "pmcp-deploy-report.json").read_text()
    printed = "\n".join(line for line in out.splitlines() if not line.startswith("::add-mask::"))
    everything = printed + summary + report + "".join(outputs.values())
    for secret in (client_secret, token, SECRET_KEY):
        assert secret not in everything
        assert base64.b64encode(secret.encode()).decode() not in everything
    assert plain_code == 0 and plain["verified"] == "skipped"
    assert "verify-oauth-client-id and verify-oauth-client-secret" in plain_out


# --- verified at alias candidate's own function URL before live moves --------------------


def staged_deploy(
    gha_files,
    workspace: Path,
    moto_url: str,
    hosts,
    marker: bytes,
    *,
    sleep=None,
    environ=None,
    **inputs: str,
):
    """A deploy through ``main`` whose function URLs answer through ``hosts`` (no verify-url:
    the run verifies at the URLs Lambda reports); ``sleep`` replaces the program's waits,
    ``environ`` adds to its environment."""
    bootstrap = workspace / "bootstrap"
    bootstrap.write_bytes(elf_bootstrap(marker))
    bootstrap.chmod(0o755)
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        gha_files[name].write_text("")
    env = {k: str(v) for k, v in gha_files.items()} | {
        "GITHUB_ACTIONS": "true",
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "AKIAROLLBACKTEST0000",
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "INPUT_TARGET": "aws-lambda",
        "INPUT_SERVER-NAME": "staged-demo",
        "INPUT_REGION": REGION,
        "INPUT_ARTIFACT": "bootstrap",
        "INPUT_WORKING-DIRECTORY": str(workspace),
        "INPUT_VERIFY-TIMEOUT-SECONDS": "3",
    }
    env |= {f"INPUT_{k.upper().replace('_', '-')}": v for k, v in inputs.items()}
    env |= environ or {}
    out = io.StringIO()
    transport = FunctionUrlTransport(hosts)
    try:
        code = main(
            [], environ=env, stdout=out, stderr=io.StringIO(), transport=transport, sleep=sleep
        )
    finally:
        transport.close()
    outputs = parse_github_output(gha_files["GITHUB_OUTPUT"].read_text())
    return code, out.getvalue(), outputs, gha_files["GITHUB_STEP_SUMMARY"].read_text()


def test_a_candidate_that_fails_verification_never_serves(gha_files, tmp_path, moto, aws):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    lam = aws("lambda")
    #: live's version each time the broken candidate was asked something.
    live_during: list[str] = []

    def broken(_request):
        live_during.append(
            lam.get_alias(FunctionName="staged-demo", Name="live")["FunctionVersion"]
        )
        return 502, {"Content-Type": "application/json"}, '{"Message":"Internal Server Error"}'

    with serve_mcp(tools=("greet",)) as good, serve_handler(broken) as bad:
        hosts = FunctionUrlHosts()
        hosts.serves = {"1": good.url}
        code, out, first, _ = staged_deploy(gha_files, workspace, moto.url, hosts, b"v1")
        assert code == 0, out
        assert first["verified"] == "true" and first["version"] == "1"
        assert set(hosts.invoked_versions("live")) == {"1"}  # first deploy: verified live
        hosts.reset()
        hosts.serves = {"1": good.url, "2": bad.url}

        code, out, second, summary = staged_deploy(gha_files, workspace, moto.url, hosts, b"v2")
        live_url = lam.get_function_url_config(FunctionName="staged-demo", Qualifier="live")
        after = httpx.Client(transport=FunctionUrlTransport(hosts)).post(
            live_url["FunctionUrl"],
            json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
            headers={"Accept": "application/json, text/event-stream"},
        )

    assert code == 1, out
    assert second["version"] == "2" and second["previous-version"] == "1"
    assert second["verified"] == "false" and second["rolled-back"] == "true"
    assert second["url"] == first["url"]  # live's URL, unchanged
    # Only the candidate's URL reached version 2, and live served 1 throughout.
    assert live_during and set(live_during) == {"1"}, out
    assert set(hosts.invoked_versions("candidate")) == {"2"}
    assert set(hosts.invoked_versions("live")) == {"1"}
    assert lam.get_alias(FunctionName="staged-demo", Name="live")["FunctionVersion"] == "1"
    assert lam.get_alias(FunctionName="staged-demo", Name="candidate")["FunctionVersion"] == "2"
    # After the run, live's URL still leads to version 1 (the MCP server answers it).
    assert (hosts.invocations[-1].qualifier, hosts.invocations[-1].version) == ("live", "1")
    assert after.status_code not in (403, 502)
    assert "it was given no traffic" in out and "Version 1 still serves, untouched" in summary
    assert "::error title=Verification failed::" in out


def test_a_candidate_that_passes_moves_live_to_it(gha_files, tmp_path, moto, aws):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    lam = aws("lambda")
    with serve_mcp(tools=("greet",)) as good:
        hosts = FunctionUrlHosts(default_url=good.url)
        assert staged_deploy(gha_files, workspace, moto.url, hosts, b"v1")[0] == 0
        hosts.reset()
        code, out, outputs, _ = staged_deploy(gha_files, workspace, moto.url, hosts, b"v2")

    assert code == 0, out
    assert outputs["verified"] == "true"
    assert (outputs["version"], outputs["previous-version"]) == ("2", "1")
    assert lam.get_alias(FunctionName="staged-demo", Name="live")["FunctionVersion"] == "2"
    candidate = lam.get_function_url_config(FunctionName="staged-demo", Qualifier="candidate")
    live = lam.get_function_url_config(FunctionName="staged-demo", Qualifier="live")
    assert candidate["FunctionUrl"] != live["FunctionUrl"]
    assert outputs["url"] == live["FunctionUrl"]
    assert candidate["AuthType"] == live["AuthType"] == "NONE"
    assert candidate["Cors"] == live["Cors"]
    policy = json.loads(lam.get_policy(FunctionName="staged-demo", Qualifier="candidate")["Policy"])
    assert {s["Sid"] for s in policy["Statement"]} == {
        "pmcp-function-url-public",
        "pmcp-function-url-invoke",
    }
    # The checks ran at the candidate's URL (version 2); then live's answered, on version 2.
    assert hosts.invocations[0].qualifier == "candidate"
    assert set(hosts.invoked_versions("candidate")) == {"2"}
    assert set(hosts.invoked_versions("live")) == {"2"}
    assert "Alias live: version 1 → 2 (verified at alias candidate's URL)." in out


def test_a_changed_secret_failing_at_the_candidate_leaves_lives_tags(
    gha_files, tmp_path, moto, aws
):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    with serve_mcp(tools=("greet",)) as good, serve_static("<h1>502</h1>", status=502) as bad:
        hosts = FunctionUrlHosts()
        hosts.serves = {"1": good.url, "2": bad.url}
        first = staged_deploy(
            gha_files, workspace, moto.url, hosts, b"v1", secrets=f"API_KEY={API_KEY}"
        )
        assert first[0] == 0, first[1]
        hosts.reset()
        hosts.serves = {"1": good.url, "2": bad.url}
        failed = staged_deploy(
            gha_files, workspace, moto.url, hosts, b"v1", secrets="API_KEY=sk-live-broken-2"
        )
        # The tags still describe what live serves: the old value again is unchanged.
        again = staged_deploy(
            gha_files, workspace, moto.url, hosts, b"v1", secrets=f"API_KEY={API_KEY}"
        )

    code, out, outputs, _ = failed
    assert code == 1, out
    assert outputs["rolled-back"] == "true" and json.loads(outputs["secrets"]) == {"API_KEY": "set"}
    assert set(hosts.invoked_versions("candidate")) == {"2"}
    lam = aws("lambda")
    assert lam.get_alias(FunctionName="staged-demo", Name="live")["FunctionVersion"] == "1"
    assert again[0] == 0 and again[2]["status"] == "unchanged", again[1]
    assert json.loads(again[2]["secrets"]) == {"API_KEY": "unchanged"}
    for run in (first, failed, again):
        printed = "\n".join(x for x in run[1].splitlines() if not x.startswith("::add-mask::"))
        assert API_KEY not in printed + run[3] and "sk-live-broken-2" not in printed + run[3]
