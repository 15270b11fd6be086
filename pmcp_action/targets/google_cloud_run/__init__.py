"""The ``google-cloud-run`` target: Cloud Run Admin API v2 with Workload Identity Federation.

The anatomy every target shares (``docs/adding-a-target.md``):

- :mod:`.declaration` — inputs, outputs and help (and ``NAME``);
- :mod:`.config` — the inputs, once, checked offline (service name, project id, provider,
  service account, the credential mode, the image inputs, cargo-pmcp's ``[server]`` Cloud
  Run keys, the secrets' names and sizes against Secret Manager's and Cloud Run's limits);
- :mod:`.credentials` — sign-in: OIDC → STS → optional impersonation; key JSON;
  external_account; every token masked;
- :mod:`.connection` — one command's connection: signed in once per target, a client for
  Cloud Run, Artifact Registry, Cloud Logging and Secret Manager;
- :mod:`.failures` — Google's error envelope and the token endpoints' OAuth envelope →
  errors naming the API to enable or the permission to grant;
- :mod:`.survey` — reading the service, its revisions and secrets; what serves, what served
  before, whether it is ours; the plan's view of the service;
- :mod:`.deploying` — the steps: a first revision at 100 %, unchanged, a candidate staged,
  promoted or discarded, a rollback, the service (and its secrets) removed, its logs;
- :mod:`.results` — each command's :class:`~pmcp_action.result.TargetResult`, the URLs;
- :mod:`.target` — the flow's hooks: connect, steps;
- :mod:`.logs` — what a revision logged, oldest line first.

And Cloud Run's own:

- :mod:`.credential_inputs` — how to sign in, as the inputs say (read offline);
- :mod:`.endpoints` — the Google API hosts and the ``PMCP_GOOGLE_API_URL`` override;
- :mod:`.jwt_signing` — the RS256 JWT a service-account key signs;
- :mod:`.run_api` — Cloud Run Admin API v2: services, revisions, operations, IAM;
- :mod:`.service` — the desired body, what changed, the traffic lists, the previous revision;
- :mod:`.traffic` — traffic moved by a conditional write (the etag), re-read on conflict;
- :mod:`.iam_policy` — one member in one role of an IAM policy, written with its etag;
- :mod:`.invoker` — allUsers as run.invoker with the etag; an org policy refusing it;
- :mod:`.secret_manager` — Secret Manager API v1: secrets, versions, IAM;
- :mod:`.secrets` — the server's secrets: one per name, a version per new value (its
  fingerprint in the annotations), pinned by the revisions that read them, the runtime
  service account granted access to exactly those;
- :mod:`.artifact_registry` — the Docker repository, created if missing;
- :mod:`.image` — the image a revision runs: prebuilt, or pushed with the access token;
- :mod:`.cloud_logging` — Cloud Logging's ``entries:list``;
- :mod:`.previews` — a pull request's preview: a revision with no traffic under its tag.
- :mod:`.resource_manager` — the project's ``testIamPermissions`` (check's probe);
- :mod:`.trust` — what Google needs for a CI's OIDC token (pool, provider, service account,
  binding, roles), and the permissions check asks for.
"""
