"""Zips over the direct-upload limit go through a private, tagged S3 bucket; destroy
removes only this server's objects."""

from __future__ import annotations

from tests.support.aws import ACCOUNT, REGION

from .helpers import AwsFactory, Harness


def test_large_zip_goes_through_a_private_tagged_s3_bucket(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.target(direct_upload_limit=10).deploy()

    bucket = f"pmcp-deploy-{ACCOUNT}-{REGION}"
    s3 = aws("s3")
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags["managed-by"] == "pmcp"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) == 1 and keys[0].startswith("demo/bootstrap-") and keys[0].endswith(".zip")
    create = harness.proxy.requests_for("CreateFunction")[0].json()
    assert create["Code"] == {"S3Bucket": bucket, "S3Key": keys[0]}

    harness.write_bootstrap(b"v2")
    harness.proxy.reset()
    harness.target(direct_upload_limit=10).deploy()
    update = harness.proxy.requests_for("UpdateFunctionCode")[0].json()
    assert update["S3Bucket"] == bucket and update["S3Key"] != keys[0]
    assert "CreateBucket" not in " ".join(harness.proxy.operations())


def test_destroy_removes_uploaded_artifacts_of_this_server_only(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.target(direct_upload_limit=10).deploy()
    bucket = f"pmcp-deploy-{ACCOUNT}-us-east-1"
    aws("s3").put_object(Bucket=bucket, Key="other-server/bootstrap-abc.zip", Body=b"x")

    harness.target().destroy()

    keys = [o["Key"] for o in aws("s3").list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["other-server/bootstrap-abc.zip"]
