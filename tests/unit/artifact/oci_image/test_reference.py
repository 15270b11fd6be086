"""oci_image.reference: image references and repositories parsed, malformed ones named."""

from __future__ import annotations

import pytest

from pmcp_action.artifact.oci_image import parse_reference, parse_repository

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("text", "registry", "repository", "tag", "digest"),
    [
        ("ghcr.io/acme/calc:1.2.0", "ghcr.io", "acme/calc", "1.2.0", ""),
        (f"ghcr.io/acme/calc@{DIGEST}", "ghcr.io", "acme/calc", "", DIGEST),
        (f"127.0.0.1:5000/a/b/c:v1@{DIGEST}", "127.0.0.1:5000", "a/b/c", "v1", DIGEST),
        ("localhost/calc", "localhost", "calc", "", ""),
        (
            "us-central1-docker.pkg.dev/p/r/img:sha-1",
            "us-central1-docker.pkg.dev",
            "p/r/img",
            "sha-1",
            "",
        ),
    ],
)
def test_valid_references(text: str, registry: str, repository: str, tag: str, digest: str) -> None:
    ref = parse_reference(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (
        registry,
        repository,
        tag,
        digest,
    )
    assert str(ref) == text


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "it is empty"),
        ("calc:latest", "must start with the registry host"),
        ("acme/calc:1", "must start with the registry host"),
        ("ghcr.io/Acme/calc:1", "lower-case letters"),
        ("ghcr.io/acme/calc:bad tag", "white space"),
        ("ghcr.io/acme/calc:-x", "the tag '-x' is not valid"),
        ("ghcr.io/acme/calc@sha256:abc", "64 lower-case hex"),
        ("ghcr.io/acme/calc@md5:" + "a" * 32, "64 lower-case hex"),
    ],
)
def test_malformed_references_say_why(text: str, says: str) -> None:
    with pytest.raises(ValueError) as error:
        parse_reference(text, "`image`")
    assert says in str(error.value)
    assert str(error.value).startswith(f"`image` {text!r} is not an image reference")


def test_repository_takes_no_tag_and_loopback_is_plain_http() -> None:
    with pytest.raises(ValueError, match="takes no tag or digest"):
        parse_repository("ghcr.io/acme/calc:1")
    assert parse_repository("127.0.0.1:5000/acme/calc").base_url == "http://127.0.0.1:5000"
    assert parse_repository("ghcr.io/acme/calc").base_url == "https://ghcr.io"
    pinned = parse_reference("ghcr.io/acme/calc:1").pinned(DIGEST)
    assert str(pinned) == f"ghcr.io/acme/calc@{DIGEST}"
