"""One connection per command: discovery and the token once per target, reused after."""

from __future__ import annotations

from pathlib import Path

from .helpers import make_harness


def test_a_second_command_reuses_discovery_and_the_token(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    h.target.deploy()

    h.target.outputs()

    assert len(h.fake.requests_to("/.well-known/pmcp-config")) == 1
    assert len(h.fake.requests_to("/oauth2/token")) == 1
    assert h.output.count("pmcp.run credentials: minted a token with client credentials") == 1


def test_discovery_and_the_token_are_named_in_the_log(tmp_path: Path) -> None:
    h = make_harness(tmp_path)

    h.target.plan()

    assert (
        "pmcp.run API https://pmcp.test: GraphQL https://pmcp.test/graphql, Cognito "
        "https://pmcp.test." in h.output
    )
    assert (
        "pmcp.run credentials: minted a token with client credentials (client "
        "pmcp-fake-ci-client)." in h.output
    )
