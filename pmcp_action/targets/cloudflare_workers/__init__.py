"""The ``cloudflare-workers`` target: the Workers API with an API token, no wrangler.

Modules, one responsibility each:

- :mod:`.declaration` — inputs, outputs and help;
- :mod:`.config` — the inputs, once, checked offline;
- :mod:`.api` — the Workers API calls;
- :mod:`.failures` — Cloudflare's error envelope → errors with remediation;
- :mod:`.connection` — one command's connection: the token checked, the account and its
  workers.dev subdomain (read once per target);
- :mod:`.bundle` — the bundle, asked of :mod:`pmcp_action.artifact.workers_bundle`;
- :mod:`.bindings` — the variables and secrets a version is uploaded with, and the plan's
  view of how they differ from the live version's;
- :mod:`.upload` — the upload's metadata, the managed tag, the per-call messages;
- :mod:`.decision` — the deploy tag (the "unchanged" digest) and whether the live version
  carries it;
- :mod:`.survey` — reading the Worker as it is; the plan; adopting a Worker; the version a
  rollback returns to;
- :mod:`.retry` — create calls whose answer was lost, retried only after a read;
- :mod:`.deploying` — the steps: first deploy, unchanged, a version staged, a version deployed;
- :mod:`.results` — each command's :class:`~pmcp_action.result.TargetResult`, the URLs;
- :mod:`.target` — the protocol methods (validate/plan/deploy/outputs/rollback/destroy and
  the two-phase ``stage``/``promote``/``discard``).
"""
