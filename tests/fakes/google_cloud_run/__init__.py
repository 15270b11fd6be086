"""A stateful contract fake of the Google APIs google-cloud-run calls, one module per API.

Strict on request shapes (a field the API does not have is refused as the real API refuses
it) and checked against Google's own clients (``tests/unit/targets/google_cloud_run/
test_peers.py``). The same instance serves the unit tests (``httpx.MockTransport``) and,
behind :func:`tests.fakes.server.serve`, every other level.

- :mod:`.envelope` — Google's error envelope;
- :mod:`.state` — what the fake remembers: tokens, services, repositories, operations;
- :mod:`.sts` — STS ``/v1/token`` (Workload Identity Federation's token exchange);
- :mod:`.iamcredentials` — ``generateAccessToken`` (impersonation);
- :mod:`.oauth2` — the oauth2 ``/token`` JWT-bearer grant of a service-account key;
- :mod:`.run_schema` — Cloud Run v2's message fields, enums, masks and query parameters;
- :mod:`.run_resources` — a service and its revisions as the fake stores them;
- :mod:`.run_services` — Cloud Run v2 services, revisions and operations;
- :mod:`.run_iam` — Cloud Run v2 IAM policies (``allUsers`` as invoker);
- :mod:`.secret_manager` — Secret Manager v1: secrets, versions, IAM; what a revision may
  read;
- :mod:`.artifact_registry` — Artifact Registry repositories, its ``/v2/token`` for a real
  ``docker-registry``, and an in-process Docker registry taking its login;
- :mod:`.cloud_logging` — Cloud Logging ``entries:list``;
- :mod:`.cloud` — :class:`FakeCloudRun`: every API above on one origin;
- :mod:`.run_app` — :class:`FakeGoogleCloud`: plus the ``*.run.app`` hosts and the logs;
- :mod:`.emulator` — ``EMULATOR``: the fake served on 127.0.0.1 for the demo, container and
  act runs.
"""

from __future__ import annotations

from .artifact_registry import FakeArtifactRegistryDocker
from .cloud import FakeCloudRun
from .cloud_logging import FakeCloudLogging, LogEntry, parse_filter
from .emulator import (
    EMULATOR,
    EMULATOR_IMAGE,
    EMULATOR_PROJECT,
    EMULATOR_PROJECT_NUMBER,
    EMULATOR_PROVIDER,
    EMULATOR_SERVICE_ACCOUNT,
    emulate,
)
from .envelope import error
from .run_app import FakeGoogleCloud
from .run_resources import Revision, Service

__all__ = [
    "EMULATOR",
    "EMULATOR_IMAGE",
    "EMULATOR_PROJECT",
    "EMULATOR_PROJECT_NUMBER",
    "EMULATOR_PROVIDER",
    "EMULATOR_SERVICE_ACCOUNT",
    "FakeArtifactRegistryDocker",
    "FakeCloudLogging",
    "FakeCloudRun",
    "FakeGoogleCloud",
    "LogEntry",
    "Revision",
    "Service",
    "emulate",
    "error",
    "parse_filter",
]
