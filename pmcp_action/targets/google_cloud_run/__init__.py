"""The ``google-cloud-run`` target: Cloud Run Admin API v2 with Workload Identity Federation.

Modules, one responsibility each:

- :mod:`.declaration` — inputs, outputs and help (issue 13's names);
- :mod:`.config` — the inputs, once, checked offline (service name, project id, provider,
  service account, the credential mode, cargo-pmcp's ``[server]`` Cloud Run keys);
- :mod:`.endpoints` — the Google API hosts and the ``PMCP_GOOGLE_API_URL`` override;
- :mod:`.credentials` — OIDC → STS → optional impersonation; key JSON; external_account;
- :mod:`.failures` — error envelopes → errors naming the API or permission;
- :mod:`.run_api` — Cloud Run Admin API v2: services, revisions, operations, IAM;
- :mod:`.service` — the desired body, what changed, stage/promote/rollback traffic;
- :mod:`.artifact_registry` — the Docker repository, created if missing;
- :mod:`.access` — allUsers as run.invoker with the etag; an org policy refusing it;
- :mod:`.deploying` — first deploy, stage/promote/discard, rollback, destroy over the API;
- :mod:`.cloud_logging` — what a revision logged (Cloud Logging ``entries:list``);
- :mod:`.connection` — one command's sign-in, the Run client and the image (pushed to
  Artifact Registry with the access token as its login);
- :mod:`.target` — the protocol methods (validate/plan/deploy/outputs/rollback/destroy and
  the two-phase ``stage``/``promote``/``discard``).
"""
