"""``pmcp-action init``: the CI configuration that deploys the project in the working
directory, written from its ``.pmcp/deploy.toml`` and the target's declaration.

- :mod:`.model` — the plan both CIs are written from, and the error of a refused write;
- :mod:`.plan` — the plan, read from the settings, deploy.toml, Cargo.toml and the checkout;
- :mod:`.checkout` — the repository around the project: its root, default branch, origin;
- :mod:`.build` — the step that builds what the target deploys, by artifact kind;
- :mod:`.release` — what the configuration pins: this release of the action, its image and
  component, and actions/checkout;
- :mod:`.yaml_text` — YAML written as text: scalars quoted only where YAML needs it;
- :mod:`.github` — ``.github/workflows/pmcp-deploy.yml``;
- :mod:`.gitlab` — the component's include in ``.gitlab-ci.yml``, added without losing a
  comment of the file;
- :mod:`.command` — the command: refuse to write over a file, write, say what comes next.

It needs no credentials and touches no cloud. Nothing is imported here.
"""
