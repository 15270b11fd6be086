"""The google-cloud-run flow refuses while the inputs have problems: nothing is called."""

from __future__ import annotations

import pytest

from pmcp_action.errors import PmcpActionError

from .helpers import World


def test_no_request_while_the_inputs_have_problems(world: World) -> None:
    target = world.target({"gcp-workload-identity-provider": "pool/github"})
    assert target.validate()
    with pytest.raises(PmcpActionError):
        target.deploy()
    assert world.google.requests == [] and world.issuer.issued == []
