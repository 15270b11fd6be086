"""The ``azure-container-apps`` target: ARM REST with an Entra ID federated credential.

Modules, one responsibility each:

- :mod:`.declaration` — inputs, outputs and help (issue 9's names);
- :mod:`.config` — the inputs, once, checked offline;
- :mod:`.credentials` — the CI's OIDC token (or a client secret) → an ARM token;
- :mod:`.arm` — the ARM calls, async operations and dropped long-polls;
- :mod:`.failures` — ARM's error envelope → errors naming the role and scope; a failed build;
- :mod:`.cloud_build` — :func:`~.cloud_build.build_in_registry`: a Docker build in ACR Tasks
  (the context uploaded, the run followed with its log, the pushed digest);
- :mod:`.acr_tasks` — the Tasks calls; ``scheduleRun`` resent only after a read;
- :mod:`.sas_blob` — a SAS blob uploaded, or followed as it grows (the SAS masked);
- :mod:`.app` — the container app body, the revision suffix, reading what is live;
- :mod:`.deploying` — the connection and the steps (providers, group, environment,
  revision readiness, traffic);
- :mod:`.target` — the protocol methods (validate/plan/deploy/outputs/rollback/destroy and
  the two-phase ``stage``/``promote``/``discard``).
"""
