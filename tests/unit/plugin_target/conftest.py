"""The demo-cloud plug-in in process: its declaration joined to the catalogue, its cloud
in memory, a project on disk."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pmcp_action.ci.base import Platform
from pmcp_action.context import RunContext
from pmcp_action.settings.catalogue import Catalogue, build_catalogue, discover_declarations
from tests.plugin_target.cloud import DemoCloud
from tests.plugin_target.declaration import DECLARATION
from tests.plugin_target.target import DemoCloudTarget
from tests.support.context import make_context

ENDPOINT = "https://demo.example/mcp"
TOKEN = "demo-token-value-5b1f"


@pytest.fixture(scope="session")
def known() -> Catalogue:
    return build_catalogue([*discover_declarations(), DECLARATION])


@pytest.fixture
def cloud() -> DemoCloud:
    return DemoCloud(prefix="/mcp")


@pytest.fixture
def log() -> io.StringIO:
    return io.StringIO()


MakeTarget = Callable[..., DemoCloudTarget]


@pytest.fixture
def make_target(known: Catalogue, cloud: DemoCloud, log: io.StringIO, tmp_path: Path) -> MakeTarget:
    """A target over ``cloud``; ``inputs`` and ``environment`` override the defaults."""

    def make(inputs: dict[str, Any] | None = None, **kwargs: Any) -> DemoCloudTarget:
        given = {"demo-endpoint": ENDPOINT, "demo-token": TOKEN} | (inputs or {})
        context: RunContext = make_context(
            target="demo-cloud",
            root=tmp_path,
            inputs=given,
            server_name="calc",
            version="1.0.0",
            console=Platform(environ={}, log_stream=log),
            known=known,
            **kwargs,
        )
        return DemoCloudTarget(context, cloud=cloud)

    return make
