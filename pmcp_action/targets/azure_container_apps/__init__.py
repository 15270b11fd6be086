"""The ``azure-container-apps`` target: ARM REST with an Entra ID federated credential.

The anatomy every target shares (``docs/adding-a-target.md``):

- :mod:`.declaration` — inputs, outputs and help (and ``NAME``);
- :mod:`.config` — the inputs, once, checked offline;
- :mod:`.credentials` — the CI's OIDC token (or a client secret) → an ARM token;
- :mod:`.ambient` — auth: ambient: an app's managed identity, the az CLI's sign-in or a VM's
  IMDS → an ARM token;
- :mod:`.connection` — one command's connection: signed in once per target, ARM over it;
- :mod:`.failures` — the error envelopes of ARM, Entra ID, the registry and Blob Storage →
  errors naming the role, scope or credential that is missing; a failed build;
- :mod:`.survey` — reading the app (and, for a deploy or plan, all it builds on); the plan;
- :mod:`.deploying` — the steps: first deploy, unchanged, a revision staged at 0 %,
  promoted or discarded, a rollback, the app removed;
- :mod:`.results` — each command's :class:`~pmcp_action.result.TargetResult`, the URLs;
- :mod:`.target` — the flow's three hooks: prepare (the image source, checked), connect,
  steps.

And Container Apps' own:

- :mod:`.arm` — the ARM calls, async operations and dropped long-polls;
- :mod:`.app` — the container app body, the revision suffix, reading what is live;
- :mod:`.environment` — the provider registered, the group and the environment made;
- :mod:`.revisions` — a revision awaited until it runs, traffic moved, the bootstrap retired;
- :mod:`.secrets` — the server's secrets as app secrets: fingerprints in app tags,
  ``listSecrets`` only for values a write keeps, pruned once the new revision serves;
- :mod:`.image` — which image a deploy runs (prebuilt, ACR Tasks build, assembled);
- :mod:`.acr` — the registry read or made, and its login without ``az``;
- :mod:`.pull_access` — registry pull access: the app's identity with AcrPull, else the
  registry's admin credentials; the AcrPull assignment removed on destroy;
- :mod:`.cloud_build` — :func:`~.cloud_build.build_in_registry`: a Docker build in ACR Tasks
  (the context uploaded, the run followed with its log, the pushed digest);
- :mod:`.acr_tasks` — the Tasks calls; ``scheduleRun`` resent only after a read;
- :mod:`.sas_blob` — a SAS blob uploaded, or followed as it grows (the SAS masked);
- :mod:`.previews` — a pull request's preview: a revision at 0 % under its traffic label.
- :mod:`.trust` — the federated credential and role assignments a CI's OIDC token needs,
  and check's probe of the permissions list.
"""
