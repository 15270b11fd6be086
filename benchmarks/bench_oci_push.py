#!/usr/bin/env python3
"""Assembling and pushing an image of a 50 MB binary, against a plain ``docker push``.

Starts Debian's docker-registry on 127.0.0.1 (htpasswd), copies the stand-in Debian base
into it with skopeo, and makes a 50 MB x86_64 binary (the std-only Rust stand-in, padded
with half random, half repetitive bytes, like a real binary's mix). Then:

1. ours: ``OciImage(...).obtain()`` in a fresh interpreter (wall time, peak RSS growth
   over the interpreter after its imports, bytes uploaded); then the same binary again;
2. docker: ``docker build`` of ``FROM <base>`` + ``COPY`` the binary (not timed), then
   ``docker push`` of it to the same registry, timed (base layers mounted, the new layer
   compressed and uploaded: the same work).

    .venv/bin/python benchmarks/bench_oci_push.py [--size-mb 50] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.rust_mcp import build_standin  # noqa: E402
from tests.support.registry import copy_into_registry, local_registry  # noqa: E402

BASE_IMAGE = "python:3.12-slim"  # the Debian stand-in prepare-machine makes

CHILD = r"""
import json, sys, time
from pathlib import Path
from pmcp_action.artifact import ArtifactRequest
from pmcp_action.artifact.oci_image import OciImage, RegistryLogin
from pmcp_action.ci.base import Platform
from pmcp_action.settings.deploy_toml import DeployConfig
from pmcp_action.deadline import Deadline
from pmcp_action.http import HttpClientFactory
import io
args = json.loads(sys.argv[1])
def current_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0
before = current_kib()
import pmcp_action.artifact.oci_image.kind, pmcp_action.artifact.oci_image.registry
before = current_kib()
# ru_maxrss already holds the interpreter's start-up peak: sample the RSS instead.
import threading
peak = [before]
done = threading.Event()
def sample():
    while not done.wait(0.005):
        peak[0] = max(peak[0], current_kib())
sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
work = Path(args["work"])
work.mkdir(parents=True, exist_ok=True)
request = ArtifactRequest(
    project_root=work, artifact_input=Path(args["binary"]), config=DeployConfig(),
    work_dir=work, environ={"GITHUB_SHA": args["sha"]},
    console=Platform(environ={}, log_stream=io.StringIO()), server_name="calc",
    deadline=Deadline(600),
)
start = time.perf_counter()
result = OciImage(
    repository=args["repository"], base_image=args["base"], http=HttpClientFactory(),
    login=RegistryLogin(args["user"], args["password"], source="bench"),
).obtain(request)
seconds = time.perf_counter() - start
done.set()
sampler.join()
after = max(peak[0], current_kib())
print(json.dumps({"seconds": seconds, "rss_growth_kib": after - before, "rss_kib": after,
                  "uploaded": result.uploaded_bytes, "pushed": result.pushed,
                  "digest": result.digest}))
"""


def make_binary(path: Path, size: int) -> None:
    standin = build_standin("calc").read_bytes()
    rng = random.Random(8)
    half = (size - len(standin)) // 2
    with path.open("wb") as out:
        out.write(standin)
        out.write(rng.randbytes(half))
        words = [rng.randbytes(rng.randint(4, 24)) for _ in range(4096)]
        left = size - len(standin) - half
        while left > 0:
            piece = b"".join(rng.choice(words) for _ in range(4096))[:left]
            out.write(piece)
            left -= len(piece)
    path.chmod(0o755)


def ours(
    binary: Path, registry: str, repo: str, base: str, user: str, pw: str, work: Path, sha: str
) -> dict[str, object]:
    args = {
        "binary": str(binary),
        "repository": f"{registry}/{repo}",
        "base": base,
        "user": user,
        "password": pw,
        "work": str(work),
        "sha": sha,
    }
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(args)],
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pmcp-bench-oci-") as tmp_name:
        tmp = Path(tmp_name)
        binary = tmp / "calc"
        make_binary(binary, options.size_mb * 1024 * 1024)
        with local_registry(tmp / "registry") as reg:
            creds = f"{reg.username}:{reg.password}"
            base = f"{reg.host}/base/debian:bookworm"
            copy_into_registry(BASE_IMAGE, base, creds)
            docker_env = {**os.environ, "DOCKER_CONFIG": str(tmp / "docker")}
            (tmp / "docker").mkdir()
            subprocess.run(
                ["docker", "login", reg.host, "-u", reg.username, "--password-stdin"],
                input=reg.password,
                text=True,
                check=True,
                capture_output=True,
                env=docker_env,
            )
            subprocess.run(
                ["docker", "pull", "-q", base], check=True, capture_output=True, env=docker_env
            )
            context = tmp / "context"
            context.mkdir()
            os.link(binary, context / "calc")  # the same inode: rewritten per run below
            (context / "Dockerfile").write_text(
                f'FROM {base}\nCOPY calc /usr/local/bin/calc\nENTRYPOINT ["/usr/local/bin/calc"]\n'
            )
            ours_runs, second_runs, docker_runs = [], [], []
            tags = []
            for run in range(options.runs):
                sha = f"{run:040x}"
                # A binary no push has seen yet, for both (docker remembers layer digests).
                with binary.open("r+b") as handle:
                    handle.seek(-16, os.SEEK_END)
                    handle.write(f"{run:016d}".encode())
                first = ours(
                    binary,
                    reg.host,
                    f"bench/ours{run}",
                    base,
                    reg.username,
                    reg.password,
                    tmp / f"w{run}",
                    sha,
                )
                again = ours(
                    binary,
                    reg.host,
                    f"bench/ours{run}",
                    base,
                    reg.username,
                    reg.password,
                    tmp / f"v{run}",
                    sha,
                )
                ours_runs.append(first)
                second_runs.append(again)
                tag = f"{reg.host}/bench/docker{run}:1"
                warm = f"{reg.host}/bench/docker{run}:warm"
                tags += [tag, warm]
                # The repository already holds the base layer (as ours can mount it):
                # docker then compresses and uploads only the binary's layer and config.
                (context / "Dockerfile.warm").write_text(f"FROM {base}\nLABEL warm=1\n")
                subprocess.run(
                    [
                        "docker",
                        "build",
                        "-q",
                        "-t",
                        warm,
                        "-f",
                        str(context / "Dockerfile.warm"),
                        str(context),
                    ],
                    check=True,
                    capture_output=True,
                    env=docker_env,
                )
                subprocess.run(
                    ["docker", "push", "-q", warm], check=True, capture_output=True, env=docker_env
                )
                subprocess.run(
                    ["docker", "build", "-q", "-t", tag, str(context)],
                    check=True,
                    capture_output=True,
                    env=docker_env,
                )
                start = time.perf_counter()
                subprocess.run(
                    ["docker", "push", "-q", tag], check=True, capture_output=True, env=docker_env
                )
                docker_runs.append(time.perf_counter() - start)
            subprocess.run(["docker", "image", "rm", "-f", base, *tags], capture_output=True)
            log = reg.log.read_text(errors="replace").split("bench/docker0:1", 1)[0]
            log = reg.log.read_text(errors="replace")
            docker_uploads = sum(
                1
                for line in log.splitlines()
                if "/bench/docker0/blobs/uploads" in line and '"PUT ' in line
            )
            docker_mounts = sum(
                1
                for line in log.splitlines()
                if "/bench/docker0/blobs/uploads" in line and "mount=" in line
            )
    ours_s = statistics.median(float(r["seconds"]) for r in ours_runs)  # type: ignore[arg-type]
    docker_s = statistics.median(docker_runs)
    rss = max(int(r["rss_growth_kib"]) for r in ours_runs) / 1024  # type: ignore[call-overload]
    print(f"| {options.size_mb} MB binary | median of {options.runs} |")
    print("|---|---|")
    print(f"| assemble + push (ours) | {ours_s:.2f} s |")
    print(f"| `docker push` of the same image | {docker_s:.2f} s |")
    print(f"| ratio | {ours_s / docker_s:.2f}x |")
    peak = max(int(r["rss_kib"]) for r in ours_runs) / 1024  # type: ignore[call-overload]
    print(
        f"| peak RSS growth during the push (ours, sampled every 5 ms) | {rss:.1f} MiB "
        f"(peak {peak:.1f} MiB) |"
    )
    print(f"| docker push: blobs uploaded / mount requests | {docker_uploads} / {docker_mounts} |")
    print(f"| layer bytes uploaded, first push | {ours_runs[0]['uploaded']} |")
    print(
        f"| bytes uploaded, same binary again | {max(int(r['uploaded']) for r in second_runs)} "  # type: ignore[call-overload]
        f"(pushed: {any(r['pushed'] for r in second_runs)}) |"
    )


if __name__ == "__main__":
    main()
