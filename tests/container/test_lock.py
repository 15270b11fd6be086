"""The image's hash lock matches pyproject.toml (no Docker needed; `scripts/lock` rewrites it)."""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.support.repository import REPO_ROOT

REQUIREMENTS = REPO_ROOT / "requirements"


def _requirement_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _pins(text: str) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) from a `--generate-hashes` lock."""
    pins: dict[str, tuple[str, int]] = {}
    current = None
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)", line)
        if match:
            current = canonicalize_name(match[1])
            pins[current] = (match[2], 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, count = pins[current]
            pins[current] = (version, count + 1)
    return pins


def test_runtime_in_is_pyproject_dependencies() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    wanted = pyproject["project"]["dependencies"]
    assert _requirement_lines((REQUIREMENTS / "runtime.in").read_text()) == wanted, (
        "requirements/runtime.in is stale: run scripts/lock"
    )


def test_locks_pin_every_direct_dependency_with_hashes() -> None:
    for name in ("runtime", "build"):
        pins = _pins((REQUIREMENTS / f"{name}.txt").read_text())
        assert pins, name
        for pinned, (version, hashes) in pins.items():
            assert hashes >= 1, f"{name}.txt: {pinned} has no hash"
            assert re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", version), (pinned, version)
        for line in _requirement_lines((REQUIREMENTS / f"{name}.in").read_text()):
            requirement = Requirement(line)
            key = canonicalize_name(requirement.name)
            assert key in pins, f"{name}.txt does not pin {requirement.name}: run scripts/lock"
            assert requirement.specifier.contains(pins[key][0], prereleases=True), (
                f"{name}.txt pins {key}=={pins[key][0]}, outside {requirement}: run scripts/lock"
            )
