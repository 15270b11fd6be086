"""The inputs of the container-image targets, as shared specs their declarations list.

Light on purpose (no registry, Docker or HTTP imports): google-cloud-run and
azure-container-apps list these in their declarations; the core does not.
"""

from __future__ import annotations

from ...inputs import InputKind, InputSpec

__all__ = [
    "BASE_IMAGE",
    "BUILD_ARGS",
    "DEFAULT_BASE_IMAGE",
    "IMAGE",
    "IMAGE_INPUTS",
    "IMAGE_REPOSITORY",
    "PLATFORM",
    "REGISTRY_PASSWORD",
    "REGISTRY_USERNAME",
]

#: A distroless/cc-style base: glibc 2.36 (Debian 12), libgcc, CA certificates, no shell.
DEFAULT_BASE_IMAGE = "gcr.io/distroless/cc-debian12"

IMAGE = InputSpec(
    "image",
    "A prebuilt image to deploy as is (host/repo/name:tag or …@sha256:<64 hex>); a tag is "
    "resolved to its digest. Default: assemble the Linux binary onto `base-image`.",
    env=("PMCP_IMAGE",),
)
IMAGE_REPOSITORY = InputSpec(
    "image-repository",
    "Where an assembled image is pushed (e.g. ghcr.io/acme/calc); tagged with the commit. "
    "Default: the target's own registry.",
    env=("PMCP_IMAGE_REPOSITORY",),
)
BASE_IMAGE = InputSpec(
    "base-image",
    f"Base image the binary is laid onto. Falls back to [runtime].base, then {DEFAULT_BASE_IMAGE}.",
    env=("PMCP_BASE_IMAGE",),
)
REGISTRY_USERNAME = InputSpec(
    "registry-username",
    "User name for a generic registry (GHCR, Docker Hub, a private one).",
    env=("PMCP_REGISTRY_USERNAME",),
)
REGISTRY_PASSWORD = InputSpec(
    "registry-password",
    "Password or token for a generic registry (masked).",
    env=("PMCP_REGISTRY_PASSWORD",),
    secret=True,
)
PLATFORM = InputSpec(
    "platform",
    "Image platform: linux/amd64 (Cloud Run and Container Apps run amd64) or linux/arm64.",
    kind=InputKind.CHOICE,
    choices=("linux/amd64", "linux/arm64"),
    default="linux/amd64",
    env=("PMCP_PLATFORM",),
    noun="platform",
)

BUILD_ARGS = InputSpec(
    "build-args",
    "`docker build --build-arg` values for the project's Dockerfile, one KEY=VALUE a line.",
    kind=InputKind.MULTILINE,
    env=("PMCP_BUILD_ARGS",),
)

#: In the order a declaration lists them.
IMAGE_INPUTS = (
    IMAGE,
    IMAGE_REPOSITORY,
    BASE_IMAGE,
    REGISTRY_USERNAME,
    REGISTRY_PASSWORD,
    PLATFORM,
    BUILD_ARGS,
)
