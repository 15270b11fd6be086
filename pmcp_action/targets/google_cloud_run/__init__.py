"""The ``google-cloud-run`` target: declared, not available in this version yet.

Modules so far: ``endpoints`` (the Google API hosts and the PMCP_GOOGLE_API_URL
override), ``failures`` (error envelopes -> errors naming the API or permission),
``credentials`` (OIDC -> STS -> optional impersonation; key JSON; external_account),
``run_api`` (Cloud Run Admin API v2: services, revisions, operations, IAM),
``service`` (the desired body, what changed, stage/promote/rollback traffic),
``artifact_registry`` (the Docker repository, created if missing), ``access``
(allUsers as run.invoker with the etag; an org policy refusing it),
``deploying`` (first deploy, stage/promote/discard, rollback, destroy over the API).
"""
