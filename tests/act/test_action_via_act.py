"""The e2e workflow, run by act: `uses: ./` builds the Dockerfile and runs it as GitHub does."""

from __future__ import annotations

import pytest

from tests.act.helpers import RunAct

pytestmark = [pytest.mark.act, pytest.mark.docker, pytest.mark.timeout(1500)]

#: The targets action.yml documents for the ``target`` input.
VALID_TARGETS = (
    "pmcp-run",
    "aws-lambda",
    "google-cloud-run",
    "azure-container-apps",
    "cloudflare-workers",
)


def test_bad_input_job_fails_the_step_cleanly(act_run: RunAct) -> None:
    run = act_run(job="bad-input")

    assert run.exit_code == 0, run.describe()
    assert run.job_result("bad-input") == "success", run.describe()
    # The action step failed (continue-on-error keeps the job green) ...
    assert run.step_result("deploy") == "failure", run.describe()
    errors = run.annotations("deploy", "error")
    assert len(errors) == 1, run.describe()
    title = errors[0].properties.get("title", "")
    assert title and title != "Unexpected error", errors
    assert "nonsense" in errors[0].message
    for target in VALID_TARGETS:
        assert target in errors[0].message, errors[0].message
    assert "Traceback" not in run.text, run.describe()
    # ... with PATH=utter-nonsense in its env, and wrote its outputs through $GITHUB_OUTPUT ...
    outputs = run.outputs("deploy")
    assert outputs.get("status") == "failure", outputs
    assert outputs.get("command") == "deploy", outputs
    # ... which the next step read through steps.deploy.outputs and checked.
    assert run.step_result("check") == "success", run.describe()
    checked = run.step_stdout("check")
    assert "e2e-check: outcome=failure status=failure command=deploy" in checked, checked
    assert "e2e-check: ok" in checked, checked
