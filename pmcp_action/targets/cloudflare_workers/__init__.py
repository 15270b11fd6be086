"""The ``cloudflare-workers`` target: the Workers API with an API token, no wrangler.

The anatomy every target shares (``docs/adding-a-target.md``):

- :mod:`.declaration` — inputs, outputs and help (and ``NAME``);
- :mod:`.config` — the inputs, once, checked offline;
- :mod:`.credentials` — the API token checked (a user or an account token);
- :mod:`.wrangler_login` — auth: ambient: the OAuth token wrangler login keeps, read offline;
- :mod:`.connection` — one command's connection: signed in, the account and its
  workers.dev subdomain (read once per target);
- :mod:`.failures` — Cloudflare's error envelope → errors with remediation;
- :mod:`.survey` — reading the Worker as it is; the plan; the version a rollback returns to;
- :mod:`.deploying` — the steps: first deploy, unchanged, a version staged, promoted,
  rolled back, the Worker removed;
- :mod:`.results` — each command's :class:`~pmcp_action.result.TargetResult`, the URLs;
- :mod:`.target` — the flow's three hooks: prepare (the bundle), connect, steps;
- :mod:`.trust` — the API token's permissions and the CI secret to store it in.

And Workers' own:

- :mod:`.api` — the Workers API calls;
- :mod:`.bundle` — the bundle, asked of :mod:`pmcp_action.artifact.workers_bundle`;
- :mod:`.bindings` — the variables and secrets a version is uploaded with, and the plan's
  view of how they differ from the live version's;
- :mod:`.upload` — the upload's metadata, the managed tag, the per-call messages;
- :mod:`.secrets` — the Worker's secrets: secret_text bindings per version, and what a
  deploy does with each;
- :mod:`.decision` — the deploy tag (the "unchanged" digest) and whether the live version
  carries it;
- :mod:`.previews` — a pull request's preview: a version under its preview alias.
"""
