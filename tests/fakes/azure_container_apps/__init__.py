"""A stateful contract fake of Azure for azure-container-apps, one module per remote API.

- :mod:`.entra` — Entra ID: the v2.0 token endpoint (client secret or a federated
  credential's jwt-bearer assertion) and the tenant discovery MSAL reads;
- :mod:`.arm` — ARM: the bearer token, api-versions, providers, resource groups,
  long-running operations (``Azure-AsyncOperation``, ``Location``);
- :mod:`.container_apps` — :class:`FakeArm`: ARM with Container Apps (managed
  environments, apps, revisions, traffic);
- :mod:`.acr` — ACR management: registries, admin credentials, AcrPull role assignments,
  and how a revision pulls from a registry;
- :mod:`.acr_login` — an ACR login server: ``/oauth2/exchange``, ``/oauth2/token`` and an
  in-memory registry behind them;
- :mod:`.acr_tasks` — ACR Tasks quick builds: scheduleRun, runs, their logs;
- :mod:`.blob_storage` — the SAS blobs ACR Tasks hands out (build sources, run logs);
- :mod:`.emulator` — :class:`FakeAzure` (all of it on one origin) and ``EMULATOR``.
"""

from __future__ import annotations

from .acr import ACR_PULL, AUTHORIZATION_VERSIONS, REGISTRY_VERSIONS, FakeAcr
from .acr_login import ACR_USER
from .acr_tasks import TASKS_VERSIONS, FakeAcrTasks, FakeRun, built_manifest
from .arm import APP_VERSIONS, RESOURCES_VERSIONS, Operation, arm_failure
from .blob_storage import BLOB_PREFIX, FakeBlobStorage
from .container_apps import FakeArm
from .emulator import (
    EMULATOR,
    EMULATOR_CLIENT,
    EMULATOR_IMAGE,
    EMULATOR_SECRET,
    EMULATOR_SUBSCRIPTION,
    EMULATOR_TENANT,
    FakeAzure,
    emulate,
)
from .entra import App, FakeEntra, FederatedCredential

__all__ = [
    "ACR_PULL",
    "ACR_USER",
    "APP_VERSIONS",
    "AUTHORIZATION_VERSIONS",
    "BLOB_PREFIX",
    "EMULATOR",
    "EMULATOR_CLIENT",
    "EMULATOR_IMAGE",
    "EMULATOR_SECRET",
    "EMULATOR_SUBSCRIPTION",
    "EMULATOR_TENANT",
    "REGISTRY_VERSIONS",
    "RESOURCES_VERSIONS",
    "TASKS_VERSIONS",
    "App",
    "FakeAcr",
    "FakeAcrTasks",
    "FakeArm",
    "FakeAzure",
    "FakeBlobStorage",
    "FakeEntra",
    "FakeRun",
    "FederatedCredential",
    "Operation",
    "arm_failure",
    "built_manifest",
    "emulate",
]
