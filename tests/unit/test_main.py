"""The CLI entry in-process: exit codes, annotations, summary, report, no tracebacks; outside
CI a plain-text summary for a person, colour only on a terminal, no stray report."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from pmcp_action import __version__
from pmcp_action.__main__ import main
from pmcp_action.settings.catalogue import catalogue
from tests.support.github import parse_github_output


def run_main(args, environ, capsys=None):
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(args, environ=environ, stdout=stdout, stderr=stderr)
    return code, stdout.getvalue(), stderr.getvalue()


def github_env(gha_files, **inputs):
    env = {k: str(v) for k, v in gha_files.items()} | {"GITHUB_ACTIONS": "true"}
    env.update({f"INPUT_{k.upper().replace('_', '-')}": v for k, v in inputs.items()})
    return env


def assert_clean_failure(code, out, gha_files, *needles):
    assert code == 1
    assert "Traceback" not in out
    annotations = [line for line in out.splitlines() if line.startswith("::error")]
    assert len(annotations) == 1
    summary = gha_files["GITHUB_STEP_SUMMARY"].read_text()
    assert "## pmcp deploy — ❌ Failed" in summary
    outputs = parse_github_output(gha_files["GITHUB_OUTPUT"].read_text())
    assert outputs["status"] == "failure"
    for needle in needles:
        assert needle in annotations[0].replace("%0A", "\n")
        assert needle in summary
    return annotations[0], summary, outputs


def test_unknown_target_lists_the_valid_ones(gha_files):
    code, out, _ = run_main([], github_env(gha_files, target="heroku"))
    annotation, _, _ = assert_clean_failure(
        code, out, gha_files, "input 'target': unknown value 'heroku'", ", ".join(catalogue().ids)
    )
    assert annotation.startswith("::error title=Invalid input::")


def test_malformed_toml_names_file_and_line(gha_files, tmp_path):
    project = tmp_path / "proj"
    (project / ".pmcp").mkdir(parents=True)
    (project / ".pmcp" / "deploy.toml").write_text(
        '[target]\ntype = "pmcp-run"\n[server\nname="x"\n'
    )
    env = github_env(gha_files, target="pmcp-run", working_directory=str(project))
    code, out, _ = run_main([], env)
    assert_clean_failure(code, out, gha_files, f"{project}/.pmcp/deploy.toml:3:")


def test_destroy_refuses_without_confirmation(gha_files, tmp_path):
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "demo"\nversion = "1.0.0"\n')
    env = github_env(
        gha_files, target="pmcp-run", command="destroy", working_directory=str(tmp_path)
    )
    code, out, _ = run_main([], env)
    assert_clean_failure(
        code, out, gha_files, "needs an explicit confirmation", "confirm-destroy: true"
    )


def test_plain_http_to_a_real_host_is_refused(gha_files, tmp_path):
    env = github_env(
        gha_files, target="pmcp-run", server_name="demo", pmcp_api_url="http://api.pmcp.run"
    )
    code, out, _ = run_main([], env)
    assert_clean_failure(
        code, out, gha_files, "plain http:// to a non-loopback host (api.pmcp.run)"
    )


def test_no_server_name_anywhere_is_a_clear_error(gha_files, tmp_path):
    env = github_env(gha_files, target="pmcp-run", working_directory=str(tmp_path))
    code, out, _ = run_main([], env)
    assert_clean_failure(code, out, gha_files, "no server name", "set the server-name input")


def test_unknown_flag_is_a_usage_error():
    code, out, err = run_main(["--no-such-flag"], {})
    assert code == 2
    assert out == ""
    assert err == (
        "pmcp deploy: Failed (exit 2)\n"
        "\n"
        "error: Usage error\n"
        "  unknown option --no-such-flag\n"
        "\n"
        "  How to fix: See `pmcp-action --help` for the options.\n"
    )


def test_version_flag(capsys):
    code = main(["--version"], environ={})
    assert code == 0
    assert capsys.readouterr().out.strip() == f"pmcp-action {__version__}"


def test_secrets_never_reach_any_output(gha_files, tmp_path):
    secret = "very-secret-client-value-42"
    env = github_env(gha_files, target="nope", pmcp_client_secret=secret)
    env["PMCP_ACCESS_TOKEN"] = "another-secret-token-77"
    env["INPUT_ENVIRONMENT"] = "API_KEY=value-in-environment-input"
    code, out, _ = run_main([], env)
    assert code == 1
    for line in out.splitlines():
        if not line.startswith("::add-mask::"):
            assert secret not in line and "another-secret-token-77" not in line
    report = Path(parse_github_output(gha_files["GITHUB_OUTPUT"].read_text())["report-path"])
    everything = (
        gha_files["GITHUB_STEP_SUMMARY"].read_text()
        + gha_files["GITHUB_OUTPUT"].read_text()
        + report.read_text()
    )
    assert secret not in everything and "another-secret-token-77" not in everything
    assert "value-in-environment-input" not in everything
    inputs = json.loads(report.read_text())["inputs"]
    assert inputs["pmcp-client-secret"] == "***"
    assert inputs["environment"] == ["API_KEY"]


def test_report_goes_to_runner_temp_and_records_the_failure(gha_files):
    code, out, _ = run_main([], github_env(gha_files, target="heroku"))
    assert code == 1
    outputs = parse_github_output(gha_files["GITHUB_OUTPUT"].read_text())
    report_path = Path(outputs["report-path"])
    assert report_path == gha_files["RUNNER_TEMP"] / "pmcp-deploy-report.json"
    report = json.loads(report_path.read_text())
    assert report["status"] == "failure"
    assert report["error"]["title"] == "Invalid input"
    assert report["phases"][0]["name"] == "validate" and report["phases"][0]["outcome"] == "failed"


def test_every_declared_output_is_written_even_on_failure(gha_files):
    run_main([], github_env(gha_files, target="heroku"))
    outputs = parse_github_output(gha_files["GITHUB_OUTPUT"].read_text())
    assert list(outputs) == [spec.name for spec in catalogue().outputs]
    assert outputs["rolled-back"] == "false" and outputs["url"] == ""


def test_local_json_output_keeps_stdout_machine_readable(tmp_path):
    env = {"PMCP_DEPLOY_TARGET": "heroku"}
    code, out, err = run_main(
        ["--output-format", "json", "--working-directory", str(tmp_path)], env
    )
    assert code == 1
    # Invalid settings: the format was read from the command line before them.
    result = json.loads(out)
    assert out.count("\n") == 1 and out.endswith("}\n")
    assert list(result) == [spec.name for spec in catalogue().outputs] + [
        "error-title",
        "error-text",
        "exit-code",
    ]
    assert result["status"] == "failure" and result["target"] == "heroku"
    assert result["error-title"] == "Invalid input"
    assert result["error-text"].startswith(
        "The inputs have 1 problem; nothing was changed:\n"
        "- environment variable PMCP_DEPLOY_TARGET: unknown value 'heroku'"
    )
    assert result["exit-code"] == 1
    assert "error: Invalid input" in err


@pytest.mark.parametrize("flag", ["--server-name", "--pmcp-client-id", "--timeout-minutes"])
def test_every_input_is_a_flag(flag):
    from pmcp_action.cli.parsing import parse_args

    assert parse_args([flag, "7"])[flag.removeprefix("--")] == "7"


def test_missing_pmcp_run_credentials_say_which_secrets_to_set(gha_files, tmp_path):
    env = github_env(
        gha_files, target="pmcp-run", server_name="demo", working_directory=str(tmp_path)
    )
    code, out, _ = run_main([], env)
    assert_clean_failure(
        code,
        out,
        gha_files,
        "pmcp.run credentials: none were given (pmcp-client-id/pmcp-client-secret, "
        "pmcp-access-token or pmcp-credentials)",
    )


def test_conflicting_pmcp_run_credentials_are_refused(gha_files, tmp_path):
    env = github_env(
        gha_files,
        target="pmcp-run",
        server_name="demo",
        working_directory=str(tmp_path),
        pmcp_client_id="client",
        pmcp_client_secret="a-client-secret-value",
        pmcp_access_token="an-access-token-value",
    )
    code, out, _ = run_main([], env)
    _, summary, _ = assert_clean_failure(code, out, gha_files, "2 kinds were given at once")
    assert "a-client-secret-value" not in summary and "an-access-token-value" not in summary


def test_invalid_settings_and_target_checks_come_before_any_network_call(gha_files, tmp_path):
    # The API URL points at a closed loopback port: any call would fail differently.
    env = github_env(
        gha_files,
        target="pmcp-run",
        server_name="demo",
        working_directory=str(tmp_path),
        pmcp_api_url="http://127.0.0.1:9",
        auth="oidc",
    )
    code, out, _ = run_main([], env)
    assert_clean_failure(code, out, gha_files, "pmcp.run has no documented OIDC federation")


def test_an_input_of_another_target_is_named_and_ignored(gha_files, tmp_path):
    env = github_env(
        gha_files,
        target="pmcp-run",
        working_directory=str(tmp_path),
        role_to_assume="arn:aws:iam::123456789012:role/x",
    )
    code, out, _ = run_main(["plan"], env)
    warnings = [line for line in out.splitlines() if line.startswith("::warning")]
    assert warnings == [
        "::warning title=Input not used::input 'role-to-assume' is read only by the aws-lambda "
        "target; the pmcp-run target ignores it."
    ]
    assert code == 1  # pmcp-run still needs credentials: the run fails on those, not on this


def test_a_mistyped_deploy_toml_key_is_a_warning_with_file_and_line(gha_files, tmp_path):
    (tmp_path / ".pmcp").mkdir()
    (tmp_path / ".pmcp" / "deploy.toml").write_text(
        '[target]\ntype = "pmcp-run"\n\n[server]\nname = "calc"\nmemry_mb = 1024\n'
    )
    env = github_env(gha_files, working_directory=str(tmp_path))
    _code, out, _ = run_main(["plan"], env)
    warnings = [line for line in out.splitlines() if line.startswith("::warning")]
    assert warnings == [
        f"::warning title=deploy.toml::{tmp_path}/.pmcp/deploy.toml:6 [server].memry_mb: "
        "unknown key [server].memry_mb — did you mean memory_mb?"
    ]


@pytest.mark.parametrize("where", ["relative", "absolute"])
def test_an_artifact_holding_a_secret_never_reaches_any_output(gha_files, tmp_path, where):
    secret, other = "AKIAPMCPFAKESECRET42", "pmcp/fake/secret/never/shown"
    credentials = tmp_path / "credentials"
    credentials.write_text(
        f"[default]\naws_access_key_id = {secret}\naws_secret_access_key = {other}\n"
    )
    workspace = tmp_path / "ws"
    workspace.mkdir()
    artifact = "../credentials" if where == "relative" else str(credentials)
    env = github_env(
        gha_files,
        target="aws-lambda",
        server_name="demo",
        region="eu-west-1",
        artifact=artifact,
        working_directory=str(workspace),
    )
    # Static keys and a closed loopback endpoint: the artifact fails before any call.
    env |= {
        "GITHUB_WORKSPACE": str(workspace),
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_ACCESS_KEY_ID": "AKIAPIPELINETEST0000",
        "AWS_SECRET_ACCESS_KEY": "pipeline-test-secret-key",
    }
    code, out, err = run_main([], env)
    _, summary, outputs = assert_clean_failure(
        code,
        out,
        gha_files,
        f"artifact input {artifact} is a text file (UTF-8, 3 lines, 104 bytes), not a Linux "
        "executable; Lambda would fail to start it (Runtime.InvalidEntrypoint).",
    )
    report = Path(outputs["report-path"]).read_text()
    assert json.loads(report)["error"]["title"] == "Configuration error"
    for text in (out, err, summary, gha_files["GITHUB_OUTPUT"].read_text(), report):
        assert secret not in text
        assert other not in text
        assert "aws_access_key_id" not in text


TARGETS = "pmcp-run, aws-lambda, google-cloud-run, azure-container-apps, cloudflare-workers"


INVALID_TARGET = (
    "== validate\n"
    "pmcp deploy: Failed (exit 1)\n"
    "\n"
    "  Command  deploy\n"
    "  Target   heroku\n"
    "\n"
    "error: Invalid input\n"
    "  The inputs have 1 problem; nothing was changed:\n"
    "  - environment variable PMCP_DEPLOY_TARGET: unknown value 'heroku' — valid values: "
    f"{TARGETS}\n"
    "\n"
    "  How to fix: Correct the inputs listed above and run again.\n"
)


def run(args, environ):
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(args, environ=environ, stdout=stdout, stderr=stderr)
    return code, stdout.getvalue(), stderr.getvalue()


def _on_a_terminal(args, environ, *, stream="stderr"):
    """Run with ``stream`` on a real pseudo-terminal (the other one in memory); what the
    terminal shows, newlines as \\n."""
    leader, follower = os.openpty()
    with os.fdopen(follower, "w", encoding="utf-8") as terminal:
        out = terminal if stream == "stdout" else io.StringIO()
        err = terminal if stream == "stderr" else io.StringIO()
        code = main(args, environ=environ, stdout=out, stderr=err)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the other side is closed and everything was read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return code, b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def test_a_failure_prints_a_plain_summary_and_writes_no_report(tmp_path, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(tmp_path)
    environ = {"PMCP_DEPLOY_TARGET": "heroku", "PMCP_WORKING_DIRECTORY": str(project)}
    assert run([], environ) == (1, "", INVALID_TARGET)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]
    assert list(project.iterdir()) == []


def test_the_report_is_written_where_report_path_asks_even_for_invalid_input(tmp_path):
    environ = {"PMCP_DEPLOY_TARGET": "heroku", "PMCP_WORKING_DIRECTORY": str(tmp_path)}
    code, out, err = run(["--report-path", "out/report.json"], environ)
    path = tmp_path / "out" / "report.json"
    assert (code, out) == (1, "")
    assert err == INVALID_TARGET.replace(
        "  Target   heroku\n", f"  Target         heroku\n  Deploy report  {path}\n"
    ).replace("  Command  deploy\n", "  Command        deploy\n")
    report = json.loads(path.read_text())
    assert (report["status"], report["exit_code"], report["platform"]) == ("failure", 1, "local")
    assert report["outputs"]["report-path"] == str(path)
    assert report["inputs"]["report-path"] == "out/report.json"


def test_colour_only_on_a_terminal_without_no_color(tmp_path):
    environ = {"PMCP_DEPLOY_TARGET": "heroku", "PMCP_WORKING_DIRECTORY": str(tmp_path)}
    code, shown = _on_a_terminal([], environ)
    assert code == 1
    assert shown.startswith(
        "== validate\n"
        "pmcp deploy: \x1b[31;1mFailed\x1b[0m (exit 1)\n"
        "\n"
        "  \x1b[1mCommand\x1b[0m  deploy\n"
        "  \x1b[1mTarget \x1b[0m  heroku\n"
        "\n"
        "\x1b[31;1merror: Invalid input\x1b[0m\n"
    )
    code, shown = _on_a_terminal([], environ | {"NO_COLOR": "1"})
    assert (code, shown) == (1, INVALID_TARGET)
    # An empty NO_COLOR does not count (no-color.org).
    assert "\x1b[" in _on_a_terminal([], environ | {"NO_COLOR": ""})[1]


def test_no_colour_in_ci_even_on_a_terminal(gha_files):
    environ = {k: str(v) for k, v in gha_files.items()} | {
        "GITHUB_ACTIONS": "true",
        "INPUT_TARGET": "heroku",
    }
    code, shown = _on_a_terminal([], environ, stream="stdout")
    assert code == 1
    assert shown.startswith("::group::validate\n::endgroup::\n::error title=Invalid input::")
    assert "\x1b[" not in shown + gha_files["GITHUB_STEP_SUMMARY"].read_text()
