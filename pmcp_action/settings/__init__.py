"""The input layer: what an input is, who declares it, which value wins, and the catalogue.

Everything the program is told comes through here, read once per run with one
precedence (flag > action input > variable > ``.pmcp/deploy.toml`` > default)
and checked before anything changes. Light modules first: ``--help`` and
target discovery import only those (no tomlkit, no HTTP client).

- :mod:`.spec` — :class:`~.spec.InputSpec` and :class:`~.spec.InputKind`: one input;
- :mod:`.vocabulary` — the commands and the other closed vocabularies of the common inputs;
- :mod:`.common_inputs` — the inputs every run has, and the variables the core reads;
- :mod:`.common_outputs` — the step outputs every run writes;
- :mod:`.declaration` — :class:`~.declaration.TargetDeclaration` (with
  :class:`~.declaration.Fallback` and :class:`~.declaration.OutputSpec`): what a target
  declares about itself;
- :mod:`.catalogue` — the target catalogue: every target found (built-in packages and the
  ``pmcp_action.targets`` entry points), joined with the common inputs and outputs;
- :mod:`.values` — an input's text with its source (:class:`~.values.RawValue`) and its
  typed value;
- :mod:`.precedence` — which value of an input wins;
- :mod:`.deploy_toml` — :class:`~.deploy_toml.DeployConfig`, the typed view of
  ``.pmcp/deploy.toml``;
- :mod:`.deploy_toml_reading` — finding and reading that file;
- :mod:`.deploy_toml_keys` — the keys cargo-pmcp's schema knows; warnings for the others;
- :mod:`.target_inputs` — :class:`~.target_inputs.TargetInputs`: the chosen target's
  inputs, each with its value and source, its fallbacks applied;
- :mod:`.core_settings` — :class:`~.core_settings.Settings`: the core's settings of a run;
- :mod:`.loader` — :func:`~.loader.load_settings`: every value read and checked at once.
"""
