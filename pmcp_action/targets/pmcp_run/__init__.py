"""The ``pmcp-run`` target: deploy to pmcp.run from CI, without a browser login.

The anatomy every target shares (``docs/adding-a-target.md``):

- :mod:`.declaration` — inputs, outputs and fallbacks (and ``NAME``);
- :mod:`.config` — the inputs resolved into one typed configuration, with every problem
  pmcp.run would refuse found offline (projectName, Lambda limits, ``[iam]``, credentials,
  the secrets' names and sizes);
- :mod:`.credentials` — sign-in: the chosen credentials → an access token, renewed where
  the kind allows;
- :mod:`.connection` — one command's connection: discovery → token → GraphQL client;
- :mod:`.failures` — the envelopes of discovery, the token endpoint, GraphQL and S3 →
  errors with remediation; the rollback refusal;
- :mod:`.survey` — the project's deployment, found by ``projectName``, and its secrets;
- :mod:`.deploying` — the steps: secrets written, then a deployment created live (first or
  not); both destroyed; a preview deployed beside it and removed;
- :mod:`.results` — each command's :class:`~pmcp_action.result.TargetResult`;
- :mod:`.target` — the flow's hooks: prepare (the files), connect, steps; no rollback;
- :mod:`.trust` — the app client and the CI secrets to store it in.

And pmcp.run's own:

- :mod:`.credential_inputs` — the three credential kinds, read and checked offline;
- :mod:`.discovery` — ``/.well-known/pmcp-config`` and the ``PMCP_RUN_*`` overrides;
- :mod:`.graphql` — the AppSync transport (raw token, renewal, re-discovery);
- :mod:`.api` — the typed GraphQL operations cargo-pmcp uses;
- :mod:`.secret_api` — the secret store's operations (``listServerSecrets``,
  ``getServerSecret``, ``setServerSecret``, ``deleteServerSecret``);
- :mod:`.secrets` — the server's secrets: what is stored, what to set, keep or delete, and
  the record of the ones the action set;
- :mod:`.files` — the artifact and the rendered template, prepared offline;
- :mod:`.metadata` — the ``mcp:*`` template metadata;
- :mod:`.template` — the CloudFormation template, rendered natively;
- :mod:`.rendering` — template and metadata rendered into the work dir;
- :mod:`.uploads` — the presigned S3 uploads;
- :mod:`.deployment` — the files uploaded, the deployment created once, its URL checked;
- :mod:`.waiting` — waiting for a deployment and a destroy; the status vocabulary;
- :mod:`.oauth` — configuring or reading OAuth after a deploy;
- :mod:`.previews` — a preview: a deployment ``<server>-<preview-id>`` marked as the
  server's preview in ``serverVersion``; the name's limits, checked offline;
- :mod:`.deployment_file` — ``.pmcp/deployment.toml``.
"""

from __future__ import annotations

from ...lazy import lazy_exports

__all__ = ["PmcpRunTarget", "create"]

#: Imported only when asked for: the registry reads the declaration, not the target.
__getattr__ = lazy_exports(__name__, {"PmcpRunTarget": ".target", "create": ".target"})
