from __future__ import annotations


def test_bad_input_fails_cleanly_through_the_entrypoint(run_entrypoint):
    run = run_entrypoint({"target": "heroku", "pmcp-client-secret": "entrypoint-secret-123"})
    assert run.exit_code == 1
    assert "Traceback" not in run.stdout + run.stderr
    assert "::error title=Invalid input::" in run.stdout
    assert "unknown value 'heroku'" in run.summary
    assert run.outputs["status"] == "failure"
    assert run.outputs["target"] == "heroku"
    masked = [line for line in run.stdout.splitlines() if line.startswith("::add-mask::")]
    assert masked and masked[0] == "::add-mask::entrypoint-secret-123"
    rest = [line for line in run.stdout.splitlines() if not line.startswith("::add-mask::")]
    assert "entrypoint-secret-123" not in "\n".join(rest) + run.summary
    assert run.outputs["report-path"] == "runner_temp/pmcp-deploy-report.json"
    assert run.report()["inputs"]["pmcp-client-secret"] == "***"


def test_hyphen_and_underscore_inputs_both_work(run_entrypoint):
    run = run_entrypoint({"target": "heroku", "server_name": "under_score"})
    assert run.exit_code == 1
    assert run.report()["inputs"]["server-name"] == "under_score"


def test_a_hostile_path_and_home_do_not_break_start_up(run_entrypoint):
    run = run_entrypoint(
        {"target": "heroku"}, extra_env={"PATH": "utter-nonsense", "HOME": "/nonexistent/home"}
    )
    assert run.exit_code == 1
    assert "Traceback" not in run.stdout + run.stderr
    assert "unknown value 'heroku'" in run.summary
