"""Which image the GitHub action runs: the released one, by digest, or the bundled Dockerfile.

``action.yml`` is a composite action. Its first step runs this file as a script with the
runner's own ``python3`` (standard library only: nothing is installed yet), and this file
writes the inner Docker action that the next step runs with ``uses:``:

- a released ref (``@v1``, ``@v1.2.3`` or a released commit sha) whose image exists in the
  registry runs ``docker://ghcr.io/<owner>/<repo>@sha256:<digest>``: the registry is asked
  anonymously (bearer token, then ``HEAD /v2/<repo>/manifests/<ref>``) for the digest the tag
  names now, and the action runs exactly that manifest;
- the action's own repository (``uses: ./``, an unreleased sha, a fork without images, a
  registry that does not answer) builds the bundled ``Dockerfile`` instead; outside its own
  repository with a warning, since that build takes minutes.

``PMCP_ACTION_IMAGE`` overrides the choice: ``Dockerfile`` always builds, anything else is an
image reference to run (``docker://`` optional). ``PMCP_ACTION_REGISTRY`` points the lookup at
another registry (a loopback one in the tests; default ``https://ghcr.io``).

``uses:`` of a local action takes a path inside the workspace, so the inner action is written
there; the composite's last step, run whatever happened before it, runs this file with
``remove``: it deletes the inner action and every directory writing it created, so the
checkout is left as it was (no untracked files for a "no uncommitted changes" check, an
auto-commit step or ``upload-artifact path: .``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import urllib.error
import urllib.parse
import urllib.request
import urllib.response
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "GENERATED_DIR",
    "Resolution",
    "main",
    "manifest_digest",
    "remove_inner_action",
    "render_inner_action",
    "resolve",
    "write_inner_action",
]

#: Where the inner action is written, relative to the workspace (``uses:`` takes a path
#: relative to it); removed again by the composite's last step.
GENERATED_DIR = ".github/.tmp/.generated-actions/pmcp-deploy-action"
#: In the inner action's directory: the directories writing it created, relative to the
#: workspace, one a line, outermost first (what ``remove`` deletes besides it).
_CREATED = ".created"

DEFAULT_REGISTRY = "https://ghcr.io"
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
_IMAGE_LINE = "  image: 'Dockerfile'\n"


class LookupFailed(Exception):
    """The registry did not say which digest the tag names."""


@dataclass(frozen=True)
class Resolution:
    """What the inner action runs, and what to tell the user about it."""

    #: ``docker://…@sha256:…`` or the path of the bundled Dockerfile.
    image: str
    message: str
    warning: bool = False


def _bearer_challenge(header: str) -> dict[str, str]:
    scheme, _, params = header.partition(" ")
    if scheme.lower() != "bearer":
        return {}
    return dict(re.findall(r'(\w+)="([^"]*)"', params))


def _open(request: urllib.request.Request, timeout: float) -> urllib.response.addinfourl:
    # Loopback registries in the tests use plain http; a proxy must never be in between.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return opener.open(request, timeout=timeout)  # type: ignore[no-any-return]


def _token(challenge: dict[str, str], repository: str, timeout: float) -> str:
    realm = challenge.get("realm", "")
    if not realm:
        raise LookupFailed("the registry asked for a token without saying where to get one")
    query = {"scope": f"repository:{repository}:pull"}
    if challenge.get("service"):
        query["service"] = challenge["service"]
    url = realm + ("&" if "?" in realm else "?") + urllib.parse.urlencode(query)
    try:
        with _open(urllib.request.Request(url), timeout) as response:
            body = json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise LookupFailed(f"no anonymous token from {realm}: {exc}") from exc
    token = body.get("token") or body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise LookupFailed(f"the token endpoint {realm} returned no token")
    return token


def manifest_digest(registry: str, repository: str, tag: str, *, timeout: float = 10.0) -> str:
    """The digest ``registry/repository:tag`` names, asked anonymously; LookupFailed if none."""
    url = f"{registry.rstrip('/')}/v2/{repository}/manifests/{tag}"
    headers = {"Accept": _MANIFEST_TYPES}
    for attempt in (1, 2):
        request = urllib.request.Request(url, method="HEAD", headers=headers)
        try:
            with _open(request, timeout) as response:
                digest = response.headers.get("Docker-Content-Digest", "")
                break
        except urllib.error.HTTPError as exc:
            challenge = _bearer_challenge(exc.headers.get("WWW-Authenticate", ""))
            if exc.code == 401 and attempt == 1 and challenge:
                headers["Authorization"] = "Bearer " + _token(challenge, repository, timeout)
                continue
            if exc.code == 404:
                raise LookupFailed(f"no image {repository}:{tag} (404)") from exc
            raise LookupFailed(f"HEAD {url} answered {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise LookupFailed(f"could not reach {registry}: {exc}") from exc
    else:  # pragma: no cover - the loop always breaks or raises
        raise LookupFailed("unreachable")
    if not _DIGEST.fullmatch(digest):
        raise LookupFailed(f"HEAD {url} gave no usable Docker-Content-Digest ({digest!r})")
    return digest


def _registry_host(registry: str) -> str:
    return urllib.parse.urlsplit(registry).netloc or registry


def _action_identity(environ: Mapping[str, str]) -> tuple[str, str]:
    """The action's owner/repo and ref, from the step's context or else from its path.

    ``github.action_repository``/``action_ref`` are unreliable inside composite steps
    (actions/runner#2473); the runner downloads a remote action to
    ``…/_actions/<owner>/<repo>/<ref>``, which says the same.
    """
    repo = environ.get("PMCP_ACTION_REPOSITORY", "").strip()
    ref = environ.get("PMCP_ACTION_REF", "").strip()
    parts = Path(environ.get("GITHUB_ACTION_PATH", "")).parts
    if (not repo or not ref) and "_actions" in parts:
        tail = parts[len(parts) - parts[::-1].index("_actions") :]
        if len(tail) >= 3:
            repo, ref = repo or f"{tail[0]}/{tail[1]}", ref or tail[2]
    return repo, ref


def resolve(environ: Mapping[str, str], dockerfile: str) -> Resolution:
    """Decide the image from the workflow's context (see the module docstring)."""
    override = environ.get("PMCP_ACTION_IMAGE", "").strip()
    if override == "Dockerfile":
        return Resolution(dockerfile, "PMCP_ACTION_IMAGE=Dockerfile: building the bundled image")
    if override:
        image = override if override.startswith("docker://") else f"docker://{override}"
        return Resolution(image, f"PMCP_ACTION_IMAGE: running {image}")
    action_repo, ref = _action_identity(environ)
    own_repo = environ.get("GITHUB_REPOSITORY", "").strip()
    if not action_repo or action_repo.lower() == own_repo.lower():
        return Resolution(dockerfile, "the action's own repository: building the bundled image")
    fallback = "building the bundled Dockerfile instead (this takes a few minutes)"
    if not _TAG.fullmatch(ref):
        return Resolution(
            dockerfile, f"the ref {ref or '(none)'!r} cannot name an image; {fallback}", True
        )
    registry = environ.get("PMCP_ACTION_REGISTRY", "").strip() or DEFAULT_REGISTRY
    repository = action_repo.lower()
    try:
        digest = manifest_digest(registry, repository, ref)
    except LookupFailed as exc:
        return Resolution(
            dockerfile, f"no released image for {action_repo}@{ref}: {exc}; {fallback}", True
        )
    image = f"docker://{_registry_host(registry)}/{repository}@{digest}"
    return Resolution(image, f"released image for {action_repo}@{ref}")


def render_inner_action(template: str, image: str) -> str:
    """The inner Docker action: the generated template with its image replaced."""
    if not template.endswith(_IMAGE_LINE):
        raise ValueError("the inner action template must end with " + _IMAGE_LINE.strip())
    quoted = "'" + image.replace("'", "''") + "'"
    return template[: -len(_IMAGE_LINE)] + f"  image: {quoted}\n"


def _created_directories(workspace: Path, directory: Path) -> list[Path]:
    """The directories ``directory.mkdir(parents=True)`` would create, outermost first."""
    missing: list[Path] = []
    while not directory.exists() and directory != workspace and directory != directory.parent:
        missing.append(directory)
        directory = directory.parent
    return missing[::-1]


def write_inner_action(workspace: Path, content: str) -> Path:
    """Write the inner action under ``workspace``, noting the directories this created."""
    target_dir = workspace / GENERATED_DIR
    created = _created_directories(workspace, target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    # Written beside and renamed: a half-written file is never read as the action.
    for name, text in (
        ("action.yml", content),
        (_CREATED, "".join(f"{path.relative_to(workspace).as_posix()}\n" for path in created)),
    ):
        partial = target_dir / f".{name}.{os.getpid()}"
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, target_dir / name)
    return target_dir / "action.yml"


def remove_inner_action(workspace: Path) -> None:
    """Delete the inner action, then each directory writing it created that is now empty."""
    target_dir = workspace / GENERATED_DIR
    try:
        listed = (target_dir / _CREATED).read_text(encoding="utf-8").splitlines()
    except OSError:
        listed = []
    created = [workspace / line for line in listed if line and ".." not in Path(line).parts]
    if target_dir.is_symlink():
        target_dir.unlink()
    elif target_dir.is_dir():
        shutil.rmtree(target_dir)
    for directory in reversed(created):
        if directory == target_dir or not directory.is_dir() or any(directory.iterdir()):
            continue
        directory.rmdir()


def main(environ: Mapping[str, str] | None = None, argv: Sequence[str] | None = None) -> int:
    env = os.environ if environ is None else environ
    args = sys.argv[1:] if argv is None else list(argv)
    workspace = Path(env.get("GITHUB_WORKSPACE") or Path.cwd())
    if args == ["remove"]:
        try:
            remove_inner_action(workspace)
        except OSError as exc:
            # The run is over; a leftover file must not turn its result into a failure.
            print(f"::warning title=pmcp deploy::Could not remove {GENERATED_DIR}: {exc}")
        return 0
    if args:
        print(f"usage: action_image.py [remove] (not {' '.join(args)})", file=sys.stderr)
        return 2
    action_path = Path(env.get("GITHUB_ACTION_PATH") or Path(__file__).resolve().parent.parent)
    dockerfile = os.path.relpath(action_path / "Dockerfile", workspace / GENERATED_DIR)
    resolution = resolve(env, dockerfile)
    if resolution.warning:
        print(f"::warning title=pmcp deploy: no prebuilt image::{resolution.message}")
    print(f"Resolved action image to: {resolution.image} ({resolution.message})")
    template = (action_path / "docker-action.yml").read_text(encoding="utf-8")
    write_inner_action(workspace, render_inner_action(template, resolution.image))
    return 0


if __name__ == "__main__":
    sys.exit(main())
