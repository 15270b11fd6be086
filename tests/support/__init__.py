"""Helpers shared by more than one test level (unit, subprocess, container, act) or the demo.

A helper used by two levels lives here, in the module of its one concern, never in one level's
conftest or helpers module (a level keeps only what it alone uses):

- ``context``: a RunContext for target tests, through the real settings loader;
- ``github``: what a GitHub step left behind ($GITHUB_OUTPUT, annotations, ContainerRun);
- ``machine``: whether the Docker engine is usable (skip locally, fail under CI);
- ``repository``: the checkout (REPO_ROOT) and its scripts;
- ``aws``: the AWS account, region and role the aws-lambda tests deploy with;
- ``act``: running a workflow job with act and reading its --json log;
- ``demo``: the README's main job (scripts/demo), whose act job the act tests run too.
"""
