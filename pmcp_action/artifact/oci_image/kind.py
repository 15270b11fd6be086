""":class:`OciImage`, the kind: a prebuilt reference pinned by digest, or the Linux binary
assembled onto a base image and pushed by digest."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import DeployError, Problem, RemoteApiError, ValidationError
from ...http import HttpClientFactory
from ..common import display
from ..files import regular_size
from ..locate import locate_input, resolve_target_dir
from ..model import ArtifactRequest
from ..workspace import Bounds, check_links
from .assemble import assemble_image, check_binary
from .build import build_and_push, docker_engine_url
from .inputs import DEFAULT_BASE_IMAGE
from .model import PLATFORMS, OciImageResult, RegistryLogin
from .reference import ImageReference, parse_reference, parse_repository
from .registry import CHUNK_SIZE, RegistryClient

__all__ = ["OciImage"]

_SHA = re.compile(r"^[0-9a-f]{7,64}$")


@dataclass(frozen=True, kw_only=True)
class OciImage:
    """A container image for a target that runs one (google-cloud-run, azure-container-apps).

    The target says where to push and with which login; the kind does the rest::

        from pmcp_action.artifact.oci_image import OciImage, RegistryLogin

        image = OciImage(
            repository=inputs.image_repository or default_repository,  # e.g. the ACR's
            login=RegistryLogin("00000000-0000-0000-0000-000000000000", refresh_token,
                                source="the ACR login"),
            image=inputs.image, base_image=inputs.base_image, platform=inputs.platform,
            http=http_factory,
        ).obtain(request)
        deploy(image.reference)            # registry/repo@sha256:…; image.pushed False → unchanged

    In this order: ``image`` (prebuilt, used as is, a tag resolved to its digest with the
    login; when the registry cannot be read the reference is deployed as given, with a
    warning), else the Linux binary (the ``artifact`` input, else
    ``target/[<triple>/]release/<[server].binary or name>``) laid onto ``base_image``
    (``[runtime].base``, else :data:`.inputs.DEFAULT_BASE_IMAGE`), tagged with the commit
    (else a content hash) and pushed to ``repository``. Every input is checked before the
    first request. Between the two: a project ``Dockerfile`` is built with the Docker
    SDK and pushed when a Docker engine is reachable (``DOCKER_HOST`` or the mounted
    ``/var/run/docker.sock``), with ``build_args``, for ``platform``.
    """

    repository: str = ""
    login: RegistryLogin = field(default_factory=RegistryLogin)
    http: HttpClientFactory = field(compare=False, repr=False)
    image: str = ""
    base_image: str = ""
    platform: str = "linux/amd64"
    #: Credentials for the base's registry; None: ``login`` when it is the same host, else none.
    base_login: RegistryLogin | None = None
    #: ``docker build --build-arg`` pairs for the Dockerfile path.
    build_args: tuple[tuple[str, str], ...] = ()
    #: Upload chunk size (bytes per PATCH); a seam for tests and benchmarks.
    chunk_size: int = field(default=CHUNK_SIZE, compare=False, repr=False)
    #: The socket GitHub mounts into Docker actions; a seam for tests.
    docker_socket: Path = field(default=Path("/var/run/docker.sock"), compare=False, repr=False)

    def check(self, request: ArtifactRequest) -> None:
        """The offline checks of :meth:`obtain`, before a target touches its cloud: the
        references and platform, and the binary when it would be assembled."""
        if self.image:
            try:
                parse_reference(self.image, "")
            except ValueError as exc:
                raise ValidationError([Problem("image", str(exc))]) from None
            return
        self._validated(request)
        engine = docker_engine_url(request.environ, self.docker_socket)
        if (request.project_root / "Dockerfile").is_file() and engine is not None:
            return
        binary, shown = _find_binary(request, engine is not None)
        check_binary(binary, shown, self.platform)

    def obtain(self, request: ArtifactRequest) -> OciImageResult:
        if self.image:
            return self._prebuilt(request)
        target, base = self._validated(request)
        dockerfile = request.project_root / "Dockerfile"
        engine = docker_engine_url(request.environ, self.docker_socket)
        if dockerfile.is_file() and engine is not None:
            return self._build(request, target, dockerfile, engine)
        binary, shown = _find_binary(request, engine is not None)
        facts = check_binary(binary, shown, self.platform)
        environ = request.environ
        revision = environ.get("GITHUB_SHA") or environ.get("CI_COMMIT_SHA") or ""
        tag = _revision(environ)
        if not tag:
            from ..digest import sha256_file

            tag = "sha256-" + sha256_file(binary)[:16]
        labels = {"org.opencontainers.image.revision": revision} if revision else {}
        source = _source_url(environ)
        if source:
            labels["org.opencontainers.image.source"] = source
        base_login = self.base_login
        if base_login is None:
            base_login = self.login if base.registry == target.registry else RegistryLogin()
        console = request.console
        with (
            RegistryClient(
                registry=target,
                login=self.login,
                http=self.http,
                console=console,
                chunk_size=self.chunk_size,
            ) as target_client,
            RegistryClient(
                registry=base, login=base_login, http=self.http, console=console
            ) as base_client,
            console.group(f"Image: {shown} onto {base} → {target}:{tag}"),
        ):
            assembled = assemble_image(
                binary=binary,
                shown=shown,
                facts=facts,
                base=base,
                target=target,
                tag=tag,
                platform=self.platform,
                labels=labels,
                target_client=target_client,
                base_client=base_client,
                work_dir=request.work_dir,
                console=console,
            )
        pinned = target.pinned(assembled.digest)
        return OciImageResult(
            reference=str(pinned),
            digest=assembled.digest,
            source="assembled",
            pushed=assembled.pushed,
            uploaded_bytes=assembled.uploaded_bytes,
            tagged=str(assembled.tagged),
        )

    def _build(
        self, request: ArtifactRequest, target: ImageReference, dockerfile: Path, engine: str
    ) -> OciImageResult:
        revision = _revision(request.environ)
        tag = revision
        if not tag:
            digest = hashlib.sha256(dockerfile.read_bytes())
            digest.update(repr(self.build_args).encode())
            tag = "sha256-" + digest.hexdigest()[:16]
        if self.login.password:
            request.console.mask(self.login.password)
        built = build_and_push(
            engine_url=engine,
            context=request.project_root,
            dockerfile=dockerfile,
            target=target,
            tag=tag,
            platform=self.platform,
            build_args=dict(self.build_args),
            login=self.login,
            console=request.console,
            work_dir=request.work_dir,
        )
        return OciImageResult(
            reference=str(target.pinned(built.digest)),
            digest=built.digest,
            source="built",
            pushed=built.pushed,
            tagged=str(built.tagged),
        )

    def _validated(self, request: ArtifactRequest) -> tuple[ImageReference, ImageReference]:
        problems: list[Problem] = []
        target = base = None
        if self.platform not in PLATFORMS:
            problems.append(
                Problem(
                    "platform",
                    f"{self.platform!r} is not supported",
                    "use linux/amd64 or linux/arm64",
                )
            )
        if not self.repository:
            problems.append(
                Problem(
                    "image-repository",
                    "no repository to push the image to",
                    "set `image-repository` (e.g. ghcr.io/acme/calc), or set `image`",
                )
            )
        else:
            try:
                target = parse_repository(self.repository, "")
            except ValueError as exc:
                problems.append(Problem("image-repository", str(exc)))
        base_text = self.base_image or str(request.config.table("runtime").get("base") or "")
        try:
            base = parse_reference(base_text or DEFAULT_BASE_IMAGE, "")
        except ValueError as exc:
            where = "base-image" if self.base_image else request.config.where("runtime.base")
            problems.append(Problem(where, str(exc)))
        if problems or target is None or base is None:
            raise ValidationError(problems)
        return target, base

    def _prebuilt(self, request: ArtifactRequest) -> OciImageResult:
        try:
            reference = parse_reference(self.image, "")
        except ValueError as exc:
            raise ValidationError([Problem("image", str(exc))]) from None
        console = request.console
        if reference.digest:
            console.info(f"Image: {reference} (prebuilt, pinned by digest)")
            return OciImageResult(
                reference=str(reference.pinned(reference.digest)),
                digest=reference.digest,
                source="prebuilt",
                pushed=False,
            )
        login = self.login
        try:
            with RegistryClient(
                registry=reference, login=login, http=self.http, console=console
            ) as client:
                digest = client.head_manifest(reference.repository, reference.tag or "latest")
        except RemoteApiError as exc:
            console.warning(
                f"Could not resolve {reference} to a digest ({exc.message}); deploying the "
                "reference as given, not pinned.",
                title="Image not pinned",
            )
            return OciImageResult(
                reference=str(reference), digest="", source="prebuilt", pushed=False, pinned=False
            )
        if digest is None:
            raise DeployError(
                f"The registry {reference.registry} has no image {reference} (the tag "
                f"{reference.tag or 'latest'!r} does not exist in {reference.repository}).",
                remediation="Check the `image` input: push that tag first, or fix the name.",
            )
        console.info(f"Image: {reference} is {digest} (prebuilt)")
        return OciImageResult(
            reference=str(reference.pinned(digest)), digest=digest, source="prebuilt", pushed=False
        )


def _revision(environ: Mapping[str, str]) -> str:
    """The commit as a tag (GitHub, GitLab), "" when there is none."""
    revision = environ.get("GITHUB_SHA") or environ.get("CI_COMMIT_SHA") or ""
    return revision if _SHA.match(revision) else ""


def _source_url(environ: Mapping[str, str]) -> str:
    get = environ.get
    server = get("GITHUB_SERVER_URL") or "https://github.com"
    repo = get("GITHUB_REPOSITORY") or ""
    if repo:
        return f"{server}/{repo}"
    return str(get("CI_PROJECT_URL") or "")


def _find_binary(request: ArtifactRequest, engine: bool) -> tuple[Path, str]:
    """The server binary: the ``artifact`` input, else Cargo's release output.

    Read as strictly as every artifact: a regular file, no link of the project's out of
    the workspace, its size known from its metadata before it is read.
    """
    path, shown = _locate_binary(request, engine)
    label = f"The server binary {shown}"
    check_links(path, label, Bounds.of(request.project_root, request.environ))
    regular_size(path, label)
    return path, shown


def _locate_binary(request: ArtifactRequest, engine: bool) -> tuple[Path, str]:
    root = request.project_root
    if request.artifact_input is not None:
        found = locate_input(
            root,
            request.artifact_input,
            expected="the Linux server binary",
            bounds=Bounds.of(root, request.environ),
        )
        if found.path.is_dir():
            for name in _names(request):
                if (found.path / name).is_file():
                    path = found.path / name
                    return path, display(path, root)
            raise DeployError(
                f"The `artifact` directory {found.shown} holds no {' or '.join(_names(request))}.",
                remediation="Point `artifact` at the server binary itself.",
            )
        return found.path, found.shown
    target = resolve_target_dir(root, request.environ, root)
    searched = []
    for sub in (
        "release",
        "x86_64-unknown-linux-gnu/release",
        "x86_64-unknown-linux-musl/release",
        "aarch64-unknown-linux-gnu/release",
        "aarch64-unknown-linux-musl/release",
    ):
        for name in _names(request):
            path = target.path / sub / name
            searched.append(display(path, root))
            if path.is_file():
                return path, display(path, root)
    dockerfile = root / "Dockerfile"
    if dockerfile.is_file() and not engine:
        raise DeployError(
            f"The project has a Dockerfile but no Docker engine is reachable (DOCKER_HOST is "
            f"not set, no /var/run/docker.sock), and no built binary ({', '.join(searched[:3])}, "
            "…) to lay onto a base image instead.",
            remediation=(
                "Build the binary in an earlier step (`cargo build --release`) so it is laid "
                "onto the base image without Docker, run on a runner with a Docker engine, or "
                "build and push the image yourself and set `image`."
            ),
        )
    raise DeployError(
        f"No image to deploy: `image` is not set, no Dockerfile in {root}, and no built binary "
        f"({', '.join(searched[:3])}, …).",
        remediation=(
            "Run `cargo build --release` before this step (or set `artifact` to the binary), "
            "or set `image` to a prebuilt image."
        ),
    )


def _names(request: ArtifactRequest) -> list[str]:
    names = [request.config.server.binary, request.name]
    return [n for i, n in enumerate(names) if n and n not in names[:i]]
