"""Zips over Lambda's direct-upload limit go through S3, in cargo-pmcp's bucket.

Bucket ``pmcp-deploy-<account>-<region>``, created private (all public access
blocked) and tagged when missing; key ``<name>/bootstrap-<sha256[:12]>.zip``,
so an unchanged artifact is not uploaded twice. Every request names the
expected bucket owner, so a bucket of the same name in another account is
never written to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from botocore.exceptions import ClientError

from ...ci.base import Platform
from ...errors import DeployError
from .config import LambdaConfig
from .failures import aws_step, error_code, http_status
from .function import CodeSource

__all__ = ["ArtifactStore", "bucket_name", "object_key"]


def bucket_name(account: str, region: str) -> str:
    return f"pmcp-deploy-{account}-{region}"


def object_key(function_name: str, sha256_hex: str) -> str:
    return f"{function_name}/bootstrap-{sha256_hex[:12]}.zip"


class ArtifactStore:
    def __init__(self, s3: Any, config: LambdaConfig, account: str, console: Platform) -> None:
        self.s3 = s3
        self.config = config
        self.account = account
        self.console = console
        self.bucket = bucket_name(account, config.region)

    def _bucket_exists(self) -> bool:
        try:
            self.s3.head_bucket(Bucket=self.bucket, ExpectedBucketOwner=self.account)
        except ClientError as exc:
            status = http_status(exc)
            if status == 404 or error_code(exc) in ("404", "NoSuchBucket", "NotFound"):
                return False
            if status == 403:
                raise DeployError(
                    f"The S3 bucket {self.bucket} exists but this identity cannot use it "
                    "(it belongs to another account, or s3:ListBucket is not allowed).",
                    target="aws-lambda",
                    remediation="Allow s3:* on arn:aws:s3:::pmcp-deploy-* for the deploying "
                    "role; if another account owns the name, keep the zip under 50 MB.",
                ) from exc
            raise
        return True

    def _create_bucket(self) -> None:
        extra: dict[str, Any] = {}
        if self.config.region != "us-east-1":
            extra["CreateBucketConfiguration"] = {"LocationConstraint": self.config.region}
        try:
            self.s3.create_bucket(Bucket=self.bucket, **extra)
        except ClientError as exc:
            if error_code(exc) != "BucketAlreadyOwnedByYou":
                raise
            return
        self.s3.put_public_access_block(
            Bucket=self.bucket,
            ExpectedBucketOwner=self.account,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        self.s3.put_bucket_tagging(
            Bucket=self.bucket,
            ExpectedBucketOwner=self.account,
            Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in self.config.tags.items()]},
        )
        self.console.info(f"Created the private S3 bucket {self.bucket}.")

    def _object_exists(self, key: str, size: int) -> bool:
        try:
            head = self.s3.head_object(
                Bucket=self.bucket, Key=key, ExpectedBucketOwner=self.account
            )
        except ClientError as exc:
            if http_status(exc) == 404:
                return False
            raise
        return int(head.get("ContentLength", -1)) == size

    def upload(self, path: Path, sha256_hex: str) -> CodeSource:
        """Put the zip into the bucket (once per content); return where Lambda finds it."""
        key = object_key(self.config.function_name, sha256_hex)
        size = path.stat().st_size
        with aws_step(f"upload the artifact to s3://{self.bucket}/{key}"):
            if not self._bucket_exists():
                self._create_bucket()
            if self._object_exists(key, size):
                self.console.info(f"s3://{self.bucket}/{key} is already uploaded.")
            else:
                with path.open("rb") as body:
                    self.s3.put_object(
                        Bucket=self.bucket,
                        Key=key,
                        Body=body,
                        ContentType="application/zip",
                        ExpectedBucketOwner=self.account,
                        Tagging=urlencode(dict(self.config.tags)),
                    )
                self.console.info(f"Uploaded {size} bytes to s3://{self.bucket}/{key}.")
        return CodeSource(s3_bucket=self.bucket, s3_key=key)

    def delete_objects_of(self, function_name: str) -> int:
        """Delete this server's artifacts (the bucket stays; other servers share it)."""
        deleted = 0
        with aws_step(f"delete the artifacts of {function_name} from s3://{self.bucket}"):
            if not self._bucket_exists():
                return 0
            token = ""
            while True:
                page = self.s3.list_objects_v2(
                    Bucket=self.bucket,
                    Prefix=f"{function_name}/",
                    ExpectedBucketOwner=self.account,
                    **({"ContinuationToken": token} if token else {}),
                )
                keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
                if keys:
                    self.s3.delete_objects(
                        Bucket=self.bucket,
                        Delete={"Objects": keys, "Quiet": True},
                        ExpectedBucketOwner=self.account,
                    )
                    deleted += len(keys)
                token = str(page.get("NextContinuationToken") or "")
                if not token:
                    return deleted
