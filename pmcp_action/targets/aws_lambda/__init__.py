"""The ``aws-lambda`` target: a Rust MCP server on AWS Lambda, behind a function URL.

Direct Lambda APIs (no CloudFormation, no CDK): faster, testable against moto, and
instantly reversible through the alias ``live``. The anatomy every target shares
(``docs/adding-a-target.md``):

- :mod:`.declaration` — inputs, outputs and fallbacks (and ``NAME``; no botocore);
- :mod:`.config` — the settings resolved and checked offline (region, names, limits), and
  the ownership tags of what this target makes;
- :mod:`.credentials` — OIDC web identity, access keys or the runner's own credentials,
  then the caller identity and the account allow-list;
- :mod:`.connection` — the :class:`~.connection.Connector`: signed in once per target, one
  command's managers, the request ids of what changed;
- :mod:`.failures` — botocore errors turned into the program's errors (a network failure
  into a :class:`~pmcp_action.rest.TransportFailure` naming the host and the call);
- :mod:`.survey` — reading everything first; the "unchanged" decision; the plan;
- :mod:`.deploying` — the steps: stage (a version published behind alias ``candidate``),
  promote (``live`` moved to it), discard, traffic steps, a first deploy (live), unchanged,
  rollback, removal, logs;
- :mod:`.secrets` — the server's secrets: variables of the function's environment,
  encrypted with a KMS key, a fingerprint tag each; set, unchanged, kept, removed;
- :mod:`.results` — each command's :class:`~pmcp_action.result.TargetResult`;
- :mod:`.target` — the flow's three hooks: prepare (the package), connect, steps;
- :mod:`.logs` — what a published version logged (CloudWatch Logs);
- :mod:`.trust` — what IAM needs for a CI's OIDC token (provider, role, least-privilege
  policy), made by ``trust --apply``; check's ``SimulatePrincipalPolicy`` probe.

And Lambda's own:

- :mod:`.credential_inputs` — the credential inputs read and checked offline (auth, the
  role to assume and its session, access keys, allowed accounts);
- :mod:`.clients` — the one botocore client factory (retries, endpoints, no globals);
- :mod:`.package` — the Lambda package, asked of :mod:`pmcp_action.artifact.lambda_package`;
- :mod:`.role` — the execution role (the user's, or ``<name>-lambda-role``);
- :mod:`.function` — the function: read, compare, create, update, wait, publish;
- :mod:`.alias` — alias ``live``, its conditional moves and the recorded previous version;
- :mod:`.candidate` — alias ``candidate``: the staged version at its own function URL;
- :mod:`.traffic` — ``live``'s routing configuration: the staged version's share of a split;
- :mod:`.previews` — alias ``<preview-id>`` (marked a preview by its description) at its own
  function URL, its name's limits checked offline;
- :mod:`.url` — an alias's function URL, CORS and public-invoke permissions;
- :mod:`.kms` — the KMS key of the environment (kms-key-arn, else ``alias/pmcp-deploy``,
  created once per account and Region) and the role's grant to decrypt it;
- :mod:`.log_group` — the log group and its retention;
- :mod:`.storage` — the S3 path for zips over the direct-upload limit.

botocore is imported only when this target is created.
"""

from __future__ import annotations

from ...lazy import lazy_exports

__all__ = ["AwsLambdaTarget", "create"]

#: Imported only when asked for: the registry reads the declaration, not the target.
__getattr__ = lazy_exports(__name__, {"AwsLambdaTarget": ".target", "create": ".target"})
