"""The ``cloudflare-workers`` target: the Workers API with an API token, no wrangler.

Modules: :mod:`.declaration` (inputs, outputs, help), :mod:`.config` (the inputs, once,
checked offline), :mod:`.api` (the Workers API calls), :mod:`.failures` (Cloudflare's
error envelope → errors with remediation), :mod:`.upload` (metadata, bindings, the
"unchanged" digest), :mod:`.target` (the protocol methods, with the two-phase
``stage``/``promote``/``discard``). The bundle comes from
:mod:`pmcp_action.artifact.workers_bundle`.
"""
