"""The emulators tests.fakes declares: one per available target, found without a list."""

from __future__ import annotations

import httpx
import pytest

from pmcp_action.settings.catalogue import catalogue
from tests.fakes.emulators import Emulator, demo_emulators, emulators
from tests.support.demo import DemoRow, format_table

#: Variables the action reads that are no input's, as the core and the targets declare them
#: (an SDK's endpoint override, the runner's OIDC token request, ...).
RUNNER_VARIABLES = set(catalogue().variables)


def test_every_available_target_has_a_demo_emulator() -> None:
    missing = set(catalogue().available_ids) - set(demo_emulators())
    assert not missing, (
        f"no emulator for {sorted(missing)}: declare EMULATOR = Emulator(name=<target>, "
        "target=True, ...) in a module of tests/fakes (see tests/fakes/aws_lambda/emulator.py)"
    )


def test_demo_emulators_stand_in_for_available_targets() -> None:
    assert set(demo_emulators()) <= set(catalogue().available_ids)


def test_serve_knows_the_helper_fakes_and_every_target_emulator() -> None:
    assert {"oidc", "pmcp-run", "aws-lambda"} <= set(emulators())
    assert "oidc" not in demo_emulators()
    assert all(isinstance(emulator, Emulator) for emulator in emulators().values())


@pytest.mark.parametrize("emulator", list(demo_emulators().values()), ids=lambda e: e.name)
def test_a_demo_emulator_gives_what_the_action_reads(emulator: Emulator) -> None:
    inputs = catalogue().inputs
    declared = {name for spec in inputs for name in spec.env}
    # A target's fallback variables (GOOGLE_CLOUD_PROJECT after [gcp].project_id) are read too.
    declared |= {
        name
        for target in catalogue().targets
        for fallback in target.fallbacks.values()
        for name in fallback.env
    }
    secret = {name for spec in inputs if spec.secret for name in spec.env}
    with emulator.start() as running:
        assert next(iter(running.urls)) == emulator.name
        for url in running.urls.values():
            assert url.startswith("http://127.0.0.1:"), running.urls
        assert set(running.env) <= declared | RUNNER_VARIABLES, running.env
        assert set(running.secrets) <= secret, running.secrets
        assert not set(running.env) & set(running.secrets)
        # The emulator answers at its main URL while it runs.
        assert httpx.get(running.urls[emulator.name], timeout=10).status_code < 500


def test_the_demo_table() -> None:
    rows = [
        DemoRow("pmcp-run", "http://127.0.0.1:4000/d-1/mcp", "0.3.1", "true", 41.26, True),
        DemoRow("aws-lambda", "", "", "", 3.0, False),
    ]
    assert format_table(rows).splitlines() == [
        "target      URL                            version  verified    seconds",
        "----------  -----------------------------  -------  ----------  -------",
        "pmcp-run    http://127.0.0.1:4000/d-1/mcp  0.3.1    true           41.3",
        "aws-lambda  -                              -        - (FAILED)      3.0",
    ]
