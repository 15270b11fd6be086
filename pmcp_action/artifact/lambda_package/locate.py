"""Finding an existing bootstrap: in the ``artifact`` input (a binary, a directory
holding one, or a zip), or cargo-lambda's ``<target>/lambda/<bin>/bootstrap``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ...ci.base import Platform
from ...errors import ConfigError
from ..binary import is_zip
from ..common import display, join_listing, listing
from ..files import regular_size
from ..locate import TargetDir, locate_input
from ..workspace import Bounds, check_links
from .build import CARGO_LAMBDA_FLAG
from .limits import check_file_size
from .model import BOOTSTRAP, Found

__all__ = [
    "admit",
    "find_lambda_output",
    "from_input",
    "no_artifact_error",
    "preferred_output_names",
]

_EXPECTED_INPUT = "the bootstrap binary, a directory containing `bootstrap`, or a deployment zip"


def from_input(
    project_root: Path,
    artifact_input: Path,
    preferred: Sequence[str],
    console: Platform,
    bounds: Bounds,
) -> Found:
    """The ``artifact`` input: a file (a bootstrap or a zip), or a directory holding one;
    links out of ``bounds`` are refused, the directory's ``bootstrap`` included."""
    located = locate_input(project_root, artifact_input, expected=_EXPECTED_INPUT, bounds=bounds)
    path = located.path
    if path.is_dir():
        found = _bootstrap_in_dir(path, preferred, project_root)
        source = f"artifact input {display(found, project_root)}"
        check_links(found, source, bounds)
        console.info(f"Using {display(found, project_root)} from the `artifact` directory.")
        return admit(found, source, may_be_zip=False)
    return admit(path, f"artifact input {located.shown}", may_be_zip=True)


def admit(path: Path, source: str, *, may_be_zip: bool) -> Found:
    """A located file, once it may be read: a regular file within Lambda's size limits,
    both taken from its metadata before more than its magic bytes are read."""
    size = regular_size(path, source)
    check_file_size(size, source, zip_possible=may_be_zip)
    zipped = may_be_zip and is_zip(path, source)
    if not zipped:
        check_file_size(size, source)
    return Found(path, zipped, source, size)


def _bootstrap_in_dir(directory: Path, preferred: Sequence[str], project_root: Path) -> Path:
    direct = directory / BOOTSTRAP
    if direct.is_file():
        return direct
    nested = find_lambda_output(directory, preferred, project_root)
    if nested is not None:
        return nested
    names = listing(directory)
    zips = [name for name in names if name.endswith(".zip")]
    hint = f" To deploy a zip, point `artifact` at it (e.g. {directory / zips[0]})." if zips else ""
    raise ConfigError(
        f"The `artifact` directory {display(directory, project_root)} has no `bootstrap` file "
        f"(nor a `<name>/bootstrap` below it). It contains: {join_listing(names)}.",
        remediation=(
            "Point `artifact` at the directory cargo-lambda wrote (target/lambda/bootstrap), at "
            f"the binary itself, or at a deployment zip.{hint}"
        ),
    )


def preferred_output_names(binary: str, server_name: str) -> tuple[str, ...]:
    names = [BOOTSTRAP, binary, server_name, f"{server_name}-lambda" if server_name else ""]
    return tuple(dict.fromkeys(n for n in names if n))


def find_lambda_output(
    lambda_dir: Path, preferred: Sequence[str], project_root: Path
) -> Path | None:
    """``<lambda_dir>/<bin>/bootstrap``: the preferred bin names first, else the only one."""
    if not lambda_dir.is_dir():
        return None
    outputs = {
        child.name: child / BOOTSTRAP
        for child in sorted(lambda_dir.iterdir())
        if child.is_dir() and (child / BOOTSTRAP).is_file()
    }
    for name in preferred:
        if name in outputs:
            return outputs[name]
    if len(outputs) <= 1:
        return next(iter(outputs.values()), None)
    shown = ", ".join(display(p, project_root) for p in outputs.values())
    example = display(next(iter(outputs.values())), project_root)
    raise ConfigError(
        f"Several cargo-lambda outputs exist under {display(lambda_dir, project_root)} and none "
        f"is named {', '.join(n + '/' for n in preferred)}: {shown}.",
        remediation=(
            f"Set the `artifact` input to the one to deploy (e.g. `artifact: {example}`), set "
            "[server].binary in .pmcp/deploy.toml to its directory name, or delete the stale "
            "outputs (target/lambda) before building."
        ),
    )


def no_artifact_error(target: TargetDir, project_root: Path, architecture: str) -> ConfigError:
    lambda_dir = target.path / "lambda"
    zips = sorted(lambda_dir.glob("*/bootstrap.zip")) if lambda_dir.is_dir() else []
    zip_hint = (
        f" Found {display(zips[0], project_root)}: cargo-lambda wrote a zip "
        "(--output-format zip); set `artifact` to it, or build the default binary format."
        if zips
        else ""
    )
    return ConfigError(
        "No Lambda artifact found. Searched: the `artifact` input (not set); "
        f"{display(lambda_dir / BOOTSTRAP / BOOTSTRAP, project_root)} and "
        f"{display(lambda_dir, project_root)}/*/bootstrap (target directory from "
        f"{target.reason}); and `cargo-lambda` is not on PATH to build one.{zip_hint}",
        remediation=(
            "Build the binary in an earlier step with "
            f"`cargo lambda build --release {CARGO_LAMBDA_FLAG[architecture]}` (install with "
            "`pip install cargo-lambda`), then either leave `artifact` unset (the output under "
            "target/lambda/ is picked up) or set `artifact` to the bootstrap binary, its "
            "directory, or a deployment zip."
        ),
    )
