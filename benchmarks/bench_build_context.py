#!/usr/bin/env python3
"""Packing a Docker build context for ACR Tasks, against what ``az acr build`` does.

``az acr build`` (and ``az containerapp up --source``) packs the context with Python's
``tarfile`` in ``w:gz`` mode, one thread, after walking it for ``.dockerignore``; GNU
``tar -czf`` with ``--exclude`` is the other everyday way. This script makes a Rust project
of the usual shape — sources, a vendored crate tree (many small files), assets, and a
``target/`` of build output that ``.dockerignore`` leaves out — and packs it three ways:

    bench_build_context.py setup DIR          make the project (once)
    bench_build_context.py ours DIR OUT       pmcp_action.artifact.build_context.pack_context
    bench_build_context.py az DIR OUT         tarfile w:gz with the same exclusions (az's way)

Timed side by side with farm-bench (see the README's Performance section), e.g.

    farm-bench -n 7 --vs "python benchmarks/bench_build_context.py az /tmp/ctx /tmp/az.tgz" \\
        -- python benchmarks/bench_build_context.py ours /tmp/ctx /tmp/ours.tgz
    farm-bench -n 7 --vs "sh -c 'tar -C /tmp/ctx --exclude=./target -czf /tmp/tar.tgz .'" \\
        -- python benchmarks/bench_build_context.py ours /tmp/ctx /tmp/ours.tgz
"""

from __future__ import annotations

import os
import random
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup(root: Path) -> None:
    rng = random.Random(7)
    words = [f"fn f{i}(x: u64) -> u64 {{ x * {i} + 1 }}\n" for i in range(400)]
    (root / "src").mkdir(parents=True, exist_ok=True)
    for i in range(60):
        (root / "src" / f"m{i}.rs").write_text("".join(rng.choices(words, k=300)))
    for crate in range(150):  # vendor/: many small files
        base = root / "vendor" / f"crate{crate}" / "src"
        base.mkdir(parents=True, exist_ok=True)
        for j in range(12):
            (base / f"f{j}.rs").write_text("".join(rng.choices(words, k=40)))
    assets = root / "assets"
    assets.mkdir(exist_ok=True)
    for i in range(4):  # 4 x 8 MiB of incompressible data (images, a model)
        (assets / f"blob{i}.bin").write_bytes(rng.randbytes(8 << 20))
    target = root / "target" / "release"
    target.mkdir(parents=True, exist_ok=True)
    for i in range(8):  # build output the .dockerignore leaves out
        (target / f"dep{i}.rlib").write_bytes(os.urandom(16 << 20))
    (root / "Dockerfile").write_text("FROM rust:1 AS build\nCOPY . /src\nRUN cargo build\n")
    (root / ".dockerignore").write_text("target\n.git\n")


def ours(root: Path, out: Path) -> None:
    from pmcp_action.artifact.build_context import pack_context
    from pmcp_action.deadline import Deadline

    pack_context(root, out, dockerfile="Dockerfile", deadline=Deadline(600))


def az(root: Path, out: Path) -> None:
    # What azure-cli's acr build does: walk, filter by .dockerignore, tarfile w:gz.
    ignored = {"target", ".git"}
    with tarfile.open(out, "w:gz") as tar:
        for dirpath, dirnames, filenames in os.walk(root):
            rel = Path(dirpath).relative_to(root)
            dirnames[:] = sorted(d for d in dirnames if not (rel == Path(".") and d in ignored))
            for name in sorted(filenames):
                path = Path(dirpath) / name
                tar.add(path, arcname=str(path.relative_to(root)), recursive=False)


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "setup":
        setup(Path(argv[1]))
    elif len(argv) == 3 and argv[0] in ("ours", "az"):
        (ours if argv[0] == "ours" else az)(Path(argv[1]), Path(argv[2]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
