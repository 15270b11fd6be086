"""The ``aws-lambda`` target: a Rust MCP server on AWS Lambda, behind a function URL.

Direct Lambda APIs (no CloudFormation, no CDK): faster, testable against moto,
and instantly reversible through the alias ``live``. Modules, one
responsibility each:

- :mod:`.declaration` — inputs, outputs and fallbacks (no botocore);
- :mod:`.config` — resolving and checking settings offline (region, names, limits);
- :mod:`.clients` — the one botocore client factory (retries, endpoints, no globals);
- :mod:`.failures` — botocore errors turned into the program's errors;
- :mod:`.credentials` — OIDC web identity or access keys, caller identity, account allow-list;
- :mod:`.role` — the execution role (the user's, or ``<name>-lambda-role``);
- :mod:`.function` — the function: read, compare, create, update, wait, publish;
- :mod:`.alias` — alias ``live`` and the recorded previous version;
- :mod:`.url` — the function URL, CORS and public-invoke permissions;
- :mod:`.logs` — the log group and its retention;
- :mod:`.storage` — the S3 path for zips over the direct-upload limit;
- :mod:`.survey` — reading everything first; the "unchanged" decision; the plan;
- :mod:`.connection` — one command's session, managers and request-id log;
- :mod:`.deploying` — the ownership check and the "unchanged"/"changed" deploy paths;
- :mod:`.results` — each command's :class:`~pmcp_action.result.TargetResult`;
- :mod:`.target` — the protocol methods (validate/plan/deploy/outputs/rollback/destroy).

botocore is imported only when this target is created.
"""

from __future__ import annotations

from ...lazy import lazy_exports

__all__ = ["AwsLambdaTarget", "create"]

#: Imported only when asked for: the registry reads the declaration, not the target.
__getattr__ = lazy_exports(__name__, {"AwsLambdaTarget": ".target", "create": ".target"})
