"""The ``pmcp-run`` target: deploy to pmcp.run from CI, without a browser login.

Modules, one responsibility each:

- :mod:`.declaration` — inputs, outputs and fallbacks;
- :mod:`.config` — the inputs resolved into one typed configuration;
- :mod:`.service` — fixed names: the target's name, the Lambda runtime, the dashboard;
- :mod:`.discovery` — ``/.well-known/pmcp-config`` and the ``PMCP_RUN_*`` overrides;
- :mod:`.credentials` — choosing one credential kind and minting/refreshing tokens;
- :mod:`.graphql` — the AppSync transport (raw token, errors, re-discovery);
- :mod:`.api` — the typed GraphQL operations cargo-pmcp uses;
- :mod:`.connection` — one command's credentials → discovery → token → GraphQL client;
- :mod:`.metadata` — the ``mcp:*`` template metadata;
- :mod:`.template` — the CloudFormation template, rendered natively;
- :mod:`.rendering` — template and metadata rendered into the work dir;
- :mod:`.uploads` — the presigned S3 uploads;
- :mod:`.deployment` — find, upload and create the deployment; check its URL;
- :mod:`.waiting` — waiting for a deployment and a destroy; the status vocabulary;
- :mod:`.oauth` — configuring or reading OAuth after a deploy;
- :mod:`.deployment_file` — ``.pmcp/deployment.toml``;
- :mod:`.results` — each command's :class:`~pmcp_action.result.TargetResult`;
- :mod:`.target` — the protocol methods (validate/plan/deploy/outputs/rollback/destroy).
"""

from __future__ import annotations

from ...lazy import lazy_exports

__all__ = ["PmcpRunTarget", "create"]

#: Imported only when asked for: the registry reads the declaration, not the target.
__getattr__ = lazy_exports(__name__, {"PmcpRunTarget": ".target", "create": ".target"})
