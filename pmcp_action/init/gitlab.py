"""``.gitlab-ci.yml``: the pmcp-deploy-action component included for the project, a job that
builds what the target deploys, both on the default branch only.

A new file is written whole. An existing one is extended as text, so every comment and
layout of it stays: the component becomes one more entry of its ``include:`` list (or the
file's first ``include:``), the jobs are appended, each part between the markers
:data:`BEGIN` and :data:`END` (``--force`` replaces what is between them). The result is read
back with PyYAML and must hold the file's own content unchanged plus exactly what was added;
when it does not, or the file cannot be extended safely (not YAML, several documents, an
``include`` that is no block list, a stage or job name that clashes), nothing is written.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import Any

import yaml

from .. import __version__
from ..gitlab_component import DEFAULT_JOB_NAME, DEFAULT_STAGE
from .model import BuildPlan, InitPlan, InitRefused
from .release import ACTION_REPOSITORY, action_image, component
from .yaml_text import Node, comment_lines, comment_table, emit, plain

__all__ = [
    "BEGIN",
    "BUILD_IMAGE",
    "BUILD_JOB",
    "BUILD_STAGE",
    "CI_FILE",
    "END",
    "extend_gitlab_ci",
    "include_entry",
    "jobs",
]

CI_FILE = ".gitlab-ci.yml"
#: The markers around each part init adds (``--force`` replaces what is between them).
BEGIN = "# >>> pmcp-action init >>>"
END = "# <<< pmcp-action init <<<"
#: The job that builds what the target deploys, its stage and image (Debian's glibc is the
#: one of the default base image the binary is laid onto).
BUILD_JOB = "pmcp-build"
BUILD_STAGE = "build"
BUILD_IMAGE = "rust:1-bookworm"
_ON_DEFAULT_BRANCH = "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"
_TOOLS = "/tmp/build-tools"
_INCLUDE = re.compile(r"^include\s*:\s*(#.*)?$")
_KEEP_FOR = "1 day"


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, reading GitLab's tags (``!reference [...]``) as (tag, value)."""


def _tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> tuple[str, Any]:
    if isinstance(node, yaml.SequenceNode):
        return f"!{suffix}", loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return f"!{suffix}", loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.ScalarNode):
        return f"!{suffix}", loader.construct_scalar(node)
    raise yaml.constructor.ConstructorError(None, None, f"unexpected node for !{suffix}")


_Loader.add_multi_constructor("!", _tagged)


def include_entry(plan: InitPlan, version: str = __version__) -> dict[str, Node]:
    """The component's entry of ``include:``: its inputs for this project."""
    inputs: dict[str, Node] = {"image": action_image(version), "target": plan.target}
    if plan.working_directory != ".":
        inputs["working-directory"] = plan.working_directory
    inputs["server-name"] = plan.server_name
    inputs["environment-name"] = plan.environment
    args = ["--config", shlex.quote(plan.config)] if plan.config else []
    for value in plan.values:
        if value.flag_only:
            args += [f"--{value.input}", f'"${value.variable}"']
    if args:
        inputs["args"] = " ".join(args)
    return {"component": component(version), "inputs": inputs}


def _build_job(build: BuildPlan) -> dict[str, Node]:
    script: list[Node] = []
    apt = ("python3-venv", *build.apt_packages) if build.python_tools else build.apt_packages
    if apt:
        script.append(
            "apt-get update -qq && apt-get install -y -qq --no-install-recommends " + " ".join(apt)
        )
    if build.python_tools:
        script += [
            f"python3 -m venv {_TOOLS}",
            f"{_TOOLS}/bin/pip install --quiet {' '.join(build.python_tools)}",
            f'export PATH="{_TOOLS}/bin:$PATH"',
        ]
    script += build.setup
    if build.directory != ".":
        script.append(f"cd {shlex.quote(build.directory)}")
    script += build.commands
    job: dict[str, Node] = {
        "stage": BUILD_STAGE,
        "image": BUILD_IMAGE,
        "rules": [{"if": _ON_DEFAULT_BRANCH}],
    }
    if build.env:
        job["variables"] = dict(build.env)
    job["script"] = script
    job["artifacts"] = {"paths": list(build.outputs), "expire_in": _KEEP_FOR}
    return job


def jobs(plan: InitPlan) -> dict[str, Node]:
    """The jobs added: the build (when the target needs one), and the component's job kept
    to the default branch."""
    added: dict[str, Node] = {}
    if plan.build is not None:
        added[BUILD_JOB] = _build_job(plan.build)
    added[DEFAULT_JOB_NAME] = {"rules": [{"if": _ON_DEFAULT_BRANCH}]}
    return added


def _header(plan: InitPlan, version: str) -> list[str]:
    source = plan.config_shown or "the target's defaults (there is no .pmcp/deploy.toml)"
    lines = comment_lines(
        f"Deploys {plan.server_name} to {plan.title} ({plan.target}) with the "
        "pmcp-deploy-action component and proves it works over MCP, in every pipeline of the "
        f"default branch ({plan.branch})."
    )
    lines += comment_lines(
        f"Written by `pmcp-action init` (pmcp-deploy-action {version}) from {source}; "
        "`pmcp-action init --force` writes what is between the markers again."
    )
    rows = comment_table(plan.to_create())
    if rows:
        lines += ["#"]
        lines += comment_lines(
            "Create these CI/CD variables first (Settings → CI/CD → Variables; protected, and "
            "each secret masked):"
        )
        lines += rows
    if plan.optional_secrets:
        lines += comment_lines(
            "The server's optional secrets, read from CI/CD variables of their names when "
            "created: " + ", ".join(plan.optional_secrets) + "."
        )
    lines += ["#"]
    lines += comment_lines(
        f"The component is pmcp-deploy-action's ({ACTION_REPOSITORY} on GitHub): mirror it to "
        "this path of your instance, or include it with project: or remote:."
    )
    what = (
        f"Then let {plan.title} trust this project's OIDC tokens"
        if plan.oidc
        else f"Where the {plan.title} credentials come from"
    )
    lines += comment_lines(f"{what}: `{plan.trust_command()}` prints what to set up.")
    return lines


# --- reading and extending the file ------------------------------------------------------
def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        documents = [doc for doc in yaml.load_all(text, Loader=_Loader) if doc is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1})" if mark is not None else ""
        raise InitRefused(
            f"{where} is not valid YAML{at}; nothing was written.",
            remediation="Fix it (GitLab's pipeline editor checks it), then run init again.",
        ) from exc
    if len(documents) > 1:
        raise _cannot_extend(where, "it holds several YAML documents")
    data = documents[0] if documents else {}
    if not isinstance(data, dict):
        raise _cannot_extend(where, "it is not a mapping of keys to jobs and settings")
    return data


def _cannot_extend(where: str, why: str) -> InitRefused:
    return InitRefused(
        f"{where} cannot be extended safely: {why}; nothing was written.",
        remediation="Add the include and the jobs by hand (README: Getting started, GitLab CI), "
        f"or change {where} so it can be extended (an include: block list, the stages build "
        "and deploy), then run init again.",
    )


def _strip_marked(lines: list[str]) -> list[str]:
    """The lines without init's parts (from a BEGIN line to its END line, both included)."""
    kept: list[str] = []
    inside = False
    for line in lines:
        if line.strip() == BEGIN:
            inside = True
        elif inside and line.strip() == END:
            inside = False
        elif not inside:
            kept.append(line)
    return kept


def _refuse_clashes(
    before: Mapping[str, Any], plan: InitPlan, added: Mapping[str, Node], where: str
) -> None:
    includes = before.get("include")
    entries = includes if isinstance(includes, list) else [includes]
    for entry in entries:
        named = entry.get("component") if isinstance(entry, dict) else None
        if isinstance(named, str) and "pmcp-deploy-action/deploy@" in named:
            raise InitRefused(
                f"{where} includes the pmcp-deploy-action component already; nothing was written.",
                remediation="Edit that include by hand, or remove it and run init again.",
            )
    for name in added:
        if name in before:
            raise _cannot_extend(where, f"it has a job named {name} already")
    stages = before.get("stages")
    if isinstance(stages, list):
        needed = [DEFAULT_STAGE] + ([BUILD_STAGE] if plan.build is not None else [])
        missing = [stage for stage in needed if stage not in stages]
        if missing:
            raise _cannot_extend(
                where,
                f"its stages: list has no {' and no '.join(missing)} (where init's jobs run)",
            )
    if includes is not None and not isinstance(includes, list):
        raise _cannot_extend(where, "its include: is a single entry, not a list")


def _include_block(lines: list[str]) -> tuple[int, str] | None:
    """(the last line of the top-level ``include:`` block, its entries' indentation), or None
    when the file has no ``include:`` line opening a block."""
    starts = [index for index, line in enumerate(lines) if _INCLUDE.match(line)]
    if not starts:
        return None
    last = starts[0]
    indent: str | None = None
    for index in range(starts[0] + 1, len(lines)):
        line = lines[index]
        stripped = line.strip()
        at_column_0 = bool(line) and not line[0].isspace()
        if at_column_0 and not stripped.startswith(("#", "-")):
            break
        if stripped and not (at_column_0 and stripped.startswith("#")):
            last = index
            if stripped.startswith("-") and indent is None:
                indent = line[: len(line) - len(line.lstrip())]
    return last, "  " if indent is None else indent


def extend_gitlab_ci(existing: str | None, plan: InitPlan, *, version: str = __version__) -> str:
    """The file with the component and the jobs added (the whole file when there was none);
    :class:`InitRefused` when it cannot be done safely or init's part is there already."""
    where = CI_FILE
    entry = include_entry(plan, version)
    added = jobs(plan)
    header = _header(plan, version)
    job_lines: list[str] = []
    for name, job in added.items():
        job_lines += ["", *emit({name: job})]
    lines = existing.splitlines() if existing is not None else []
    if any(line.strip() == BEGIN for line in lines):
        if not plan.force:
            raise InitRefused(
                f"{where} has what pmcp-action init added before; nothing was written.",
                remediation="`pmcp-action init --force` replaces it (the lines between its "
                "markers); or edit it by hand.",
            )
        lines = _strip_marked(lines)
    before = _parse("\n".join(lines), where)
    _refuse_clashes(before, plan, added, where)
    block = _include_block(lines)
    item = emit({"include": [entry]})[1:]
    if block is None:
        tail = [BEGIN, *header, "include:", *item, *job_lines, END]
    else:
        last, indent = block
        moved = [indent + line[2:] for line in item]  # emit indents the entry by two
        lines[last + 1 : last + 1] = [f"{indent}{BEGIN}", *moved, f"{indent}{END}"]
        tail = [BEGIN, *header, *job_lines[1:], END]
    while lines and not lines[-1].strip():
        lines.pop()
    text = "\n".join([*lines, *([""] if lines else []), *tail]) + "\n"
    _check(before, text, entry, added, where)
    return text


def _check(
    before: Mapping[str, Any], text: str, entry: Node, added: Mapping[str, Node], where: str
) -> None:
    """The file read back holds what it held, the component's entry last in include, and
    exactly the jobs added."""
    after = _parse(text, where)
    earlier = before.get("include") or []
    same = (
        after.get("include") == [*earlier, plain(entry)]
        and all(after.get(key) == value for key, value in before.items() if key != "include")
        and set(after) == {*before, "include", *added}
        and all(after.get(name) == plain(job) for name, job in added.items())
    )
    if not same:
        raise _cannot_extend(where, "its include: list could not be extended as text")
