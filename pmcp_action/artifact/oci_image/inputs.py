"""The inputs of the container-image targets, as shared specs their declarations list.

Light on purpose (no registry, Docker or HTTP imports): google-cloud-run and
azure-container-apps list these in their declarations; the core does not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...errors import Problem
from ...keyvalue import parse_key_values
from ...settings.spec import InputKind, InputSpec

if TYPE_CHECKING:
    from ...settings.target_inputs import TargetInputs

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
    "ImageInputs",
    "read_image_inputs",
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


@dataclass(frozen=True)
class ImageInputs:
    """The image inputs a target declares, read and checked once (empty where not declared)."""

    image: str = ""
    repository: str = ""
    base_image: str = ""
    registry_username: str = ""
    registry_password: str = field(default="", repr=False)
    platform: str = ""
    build_args: tuple[tuple[str, str], ...] = ()


def read_image_inputs(
    inputs: TargetInputs, problems: list[Problem], *, mask: Callable[[str], None]
) -> ImageInputs:
    """Every declared image input, with each problem named by its source (offline).

    ``image`` and ``base-image`` must be image references; the registry password is
    masked the moment it is read; ``build-args`` are ``KEY=VALUE`` lines.
    """
    from .reference import parse_reference

    declared = set(inputs.names)

    def text(spec: InputSpec) -> str:
        return inputs.text(spec.name).strip() if spec.name in declared else ""

    for spec in (IMAGE, BASE_IMAGE):
        value = text(spec)
        if value:
            try:
                parse_reference(value, "")
            except ValueError as exc:
                problems.append(Problem(inputs.source(spec.name), str(exc)))
    password = inputs.text(REGISTRY_PASSWORD.name) if REGISTRY_PASSWORD.name in declared else ""
    if password:
        mask(password)
    username = text(REGISTRY_USERNAME)
    if bool(username) != bool(password):
        given, missing = (REGISTRY_USERNAME, REGISTRY_PASSWORD)[:: 1 if username else -1]
        problems.append(
            Problem(
                inputs.source(given.name),
                f"{given.name} is given without {missing.name}",
                "give both (a user name and its password or token), or neither",
            )
        )
    build_args = (
        parse_key_values(
            inputs.text(BUILD_ARGS.name),
            inputs.source(BUILD_ARGS.name),
            problems,
            noun="build argument",
        )
        if BUILD_ARGS.name in declared
        else {}
    )
    return ImageInputs(
        image=text(IMAGE),
        repository=text(IMAGE_REPOSITORY),
        base_image=text(BASE_IMAGE),
        registry_username=username,
        registry_password=password,
        platform=inputs.string(PLATFORM.name, problems) if PLATFORM.name in declared else "",
        build_args=tuple(build_args.items()),
    )
