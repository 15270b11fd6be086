"""The ``azure-container-apps`` target: ARM REST with an Entra ID federated credential.

Modules, one responsibility each:

- :mod:`.declaration` — inputs, outputs and help (issue 9's names);
- :mod:`.config` — the inputs, once, checked offline;
- :mod:`.credentials` — the CI's OIDC token (or a client secret) → an ARM token;
- :mod:`.arm` — the ARM calls, async operations and dropped long-polls;
- :mod:`.failures` — ARM's error envelope → errors naming the role and scope;
- :mod:`.app` — the container app body, the revision suffix, reading what is live;
- :mod:`.deploying` — the connection and the steps (providers, group, environment,
  revision readiness, traffic);
- :mod:`.target` — the protocol methods (validate/plan/deploy/outputs/rollback/destroy and
  the two-phase ``stage``/``promote``/``discard``).
"""
