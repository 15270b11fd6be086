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


def test_the_input_specs_import_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, pmcp_action.artifact.oci_image.inputs as i; "
        "print(sorted(m for m in sys.modules if m.startswith('pmcp_action.artifact.oci_image')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == (
        "['pmcp_action.artifact.oci_image', 'pmcp_action.artifact.oci_image.inputs']"
    )


def test_the_input_specs_can_be_declared_by_both_container_targets() -> None:
    from pmcp_action.artifact.oci_image.inputs import IMAGE_INPUTS
    from pmcp_action.settings.catalogue import build_catalogue
    from pmcp_action.settings.declaration import TargetDeclaration

    declarations = [
        TargetDeclaration(id=i, title=i, summary="s", factory="m:create", inputs=IMAGE_INPUTS)
        for i in ("one", "two")
    ]
    catalogue = build_catalogue(declarations)
    assert catalogue.input_owners["image-repository"] == ("one", "two")
    assert [s.name for s in IMAGE_INPUTS if s.secret] == ["registry-password"]
