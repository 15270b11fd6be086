#!/usr/bin/env python3
"""aws-lambda redeploys of a large artifact against moto, and a plain boto3 script.

One moto server (on loopback, behind the suite's recording proxy, as the tests
run it) and a bootstrap of ``--mib`` MiB (an ELF header, then half
pseudo-random, half zero bytes: it deflates about as slowly as a real binary).
Each round, interleaved:

* **boto3 script**: what a hand-written script does for a code change: zip, put
  the zip in S3 (it is over Lambda's direct-upload limit), UpdateFunctionCode,
  wait, PublishVersion, UpdateAlias;
* **changed**: ``deploy`` of a bootstrap that differs in one marker;
* **unchanged**: ``deploy`` of the same bootstrap again.

Prints a Markdown table of medians. Which pmcp_action is measured is whichever
``import pmcp_action`` finds (PYTHONPATH), so two checkouts compare side by side.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_aws_lambda.py [--runs 5] [--mib 100]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import boto3

from tests.fakes import server as fake_server
from tests.fakes.aws_lambda import MotoProxy, MotoServer
from tests.fakes.oidc_issuer import FakeOidcIssuer
from tests.fakes.server import serve
from tests.support.aws import ACCOUNT, REGION, elf_bootstrap
from tests.unit.targets.aws_lambda.helpers import Harness


def bootstrap(marker: bytes, mib: int) -> bytes:
    rng = random.Random(7)
    half = mib * 1024 * 1024 // 2
    return elf_bootstrap(marker) + rng.randbytes(half) + bytes(half)


def make_harness(tmp: Path, proxy: MotoProxy, url: str) -> Harness:
    from pmcp_action.settings.deploy_toml import DeployConfig, ObservabilityConfig, ServerConfig

    return Harness(
        tmp_path=tmp,
        proxy=proxy,
        issuer=FakeOidcIssuer(),
        settings={
            "server_name": "bench",
            "region": REGION,
            "role_to_assume": f"arn:aws:iam::{ACCOUNT}:role/deployer",
            "verify": "false",
        },
        config=DeployConfig(
            server=ServerConfig(name="bench", memory_mb=256, timeout_seconds=20),
            observability=ObservabilityConfig(log_retention_days=14),
        ),
        environment={"RUST_LOG": "info"},
        environ={
            "AWS_ENDPOINT_URL": url,
            "GITHUB_ACTIONS": "true",
            "ACTIONS_ID_TOKEN_REQUEST_URL": "http://127.0.0.1:9/token?api-version=2.0",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token",
        },
    )


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    path.chmod(0o755)
    return path


#: The reference script's bucket (made before the clock starts, as a script would find it).
BUCKET = f"bench-script-{ACCOUNT}"


def client(moto_url: str, service: str) -> Any:
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=moto_url,
        aws_access_key_id="AKIABENCH00000000000",
        aws_secret_access_key="bench",
    )


def boto3_script(moto_url: str, path: Path, function: str, work: Path) -> None:
    """The reference: the same update, publish and alias move, written by hand."""
    lam, s3 = client(moto_url, "lambda"), client(moto_url, "s3")
    zip_path = work / "deployment.zip"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("bootstrap", date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o755 << 16
        archive.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    bucket, key = BUCKET, f"{function}/bootstrap.zip"
    s3.upload_file(str(zip_path), bucket, key)
    lam.update_function_code(FunctionName=function, S3Bucket=bucket, S3Key=key)
    lam.get_waiter("function_updated_v2").wait(FunctionName=function)
    version = lam.publish_version(FunctionName=function)["Version"]
    lam.update_alias(FunctionName=function, Name="live", FunctionVersion=version)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--mib", type=int, default=100)
    args = parser.parse_args()

    fake_server._Handler.disable_nagle_algorithm = True  # as the suite's proxy fixture does
    moto = MotoServer().start()
    proxy = MotoProxy(moto.url)
    samples: dict[str, list[float]] = {"unchanged": [], "changed": [], "boto3 script": []}
    try:
        with serve(proxy) as url, tempfile.TemporaryDirectory() as tmp:
            h = make_harness(Path(tmp), proxy, str(url))
            artifact = Path(tmp) / "bootstrap"
            h.settings["artifact"] = write(artifact, bootstrap(b"r0", args.mib))
            h.target().deploy()  # the first deploy: creates everything
            client(moto.url, "s3").create_bucket(Bucket=BUCKET)
            for run in range(1, args.runs + 1):
                # The script moves live to a build of its own, so each round's changed deploy
                # starts from a version pmcp-action did not publish, and the unchanged one
                # repeats the changed one.
                write(artifact, bootstrap(f"s{run}".encode(), args.mib))
                start = time.perf_counter()
                boto3_script(moto.url, artifact, "bench", Path(tmp))
                samples["boto3 script"].append(time.perf_counter() - start)

                write(artifact, bootstrap(f"r{run}".encode(), args.mib))
                start = time.perf_counter()
                h.target().deploy()
                samples["changed"].append(time.perf_counter() - start)

                start = time.perf_counter()
                result = h.target().deploy()
                samples["unchanged"].append(time.perf_counter() - start)
                assert result.unchanged, "the second deploy of a round must change nothing"
                h.logs.clear()
                h.consoles.clear()
    finally:
        proxy.close()
        moto.stop()

    import pmcp_action

    print(f"{args.mib} MiB bootstrap, moto, {args.runs} interleaved rounds, medians")
    print(f"(pmcp_action from {Path(pmcp_action.__file__).parent}).\n")
    print("| redeploy | median | best |")
    print("|---|---:|---:|")
    for name, values in samples.items():
        print(f"| {name} | {statistics.median(values):.2f} s | {min(values):.2f} s |")
    ratio = statistics.median(samples["changed"]) / statistics.median(samples["boto3 script"])
    print(f"\nchanged / boto3 script: {ratio:.2f}×")


if __name__ == "__main__":
    main()
