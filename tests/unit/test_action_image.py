"""Image resolution of the composite action, against a loopback fake of GHCR's pull protocol.

The fake answers like ghcr.io does for an anonymous client: ``HEAD /v2/<repo>/manifests/<tag>``
without a token gets 401 and a Bearer challenge naming ``/token``; ``/token`` hands out an
anonymous pull token for the scope asked; with it the HEAD answers 200 and a
``Docker-Content-Digest``, or 404 for a tag that was never pushed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from pmcp_action.action_image import (
    GENERATED_DIR,
    LookupFailed,
    main,
    manifest_digest,
    render_inner_action,
    resolve,
)

ROOT = Path(__file__).resolve().parents[2]
DIGEST = "sha256:" + "ab" * 32
REPO = "acme/pmcp-deploy-action"


class FakeGhcr(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.tags: dict[str, str] = {"v1": DIGEST, "v1.2.3": DIGEST}
        self.requests: list[tuple[str, str, str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeGhcr

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _reply(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        self.server.requests.append(("GET", parts.path, ""))
        query = parse_qs(parts.query)
        if parts.path != "/token" or query.get("service") != ["ghcr.io"]:
            self._reply(404, {})
            return
        scope = query.get("scope", [""])[0]
        body = json.dumps({"token": f"anon:{scope}"}).encode()
        self._reply(200, {"Content-Type": "application/json"}, body)

    def do_HEAD(self) -> None:  # noqa: N802
        auth = self.headers.get("Authorization", "")
        self.server.requests.append(("HEAD", self.path, auth))
        prefix = f"/v2/{REPO}/manifests/"
        if auth != f"Bearer anon:repository:{REPO}:pull":
            challenge = (
                f'Bearer realm="{self.server.url}/token",service="ghcr.io",'
                f'scope="repository:{REPO}:pull"'
            )
            self._reply(401, {"WWW-Authenticate": challenge})
            return
        tag = self.path.removeprefix(prefix)
        if not self.path.startswith(prefix) or tag not in self.server.tags:
            self._reply(404, {})
            return
        accept = self.headers.get("Accept", "")
        assert "application/vnd.oci.image.index.v1+json" in accept
        self._reply(200, {"Docker-Content-Digest": self.server.tags[tag]})


@pytest.fixture
def ghcr() -> Iterator[FakeGhcr]:
    server = FakeGhcr()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _env(ghcr: FakeGhcr, **extra: str) -> dict[str, str]:
    env = {
        "PMCP_ACTION_REGISTRY": ghcr.url,
        "PMCP_ACTION_REPOSITORY": "Acme/pmcp-deploy-action",
        "PMCP_ACTION_REF": "v1",
        "GITHUB_REPOSITORY": "someone/their-server",
    }
    env.update(extra)
    return env


def test_a_released_ref_runs_the_image_by_digest(ghcr):
    resolution = resolve(_env(ghcr), "../Dockerfile")
    host = ghcr.url.removeprefix("http://")
    assert resolution.image == f"docker://{host}/{REPO}@{DIGEST}"
    assert not resolution.warning
    # Anonymous: a 401 challenge, a token for exactly the pull scope, then the HEAD with it.
    assert [r[:2] for r in ghcr.requests] == [
        ("HEAD", f"/v2/{REPO}/manifests/v1"),
        ("GET", "/token"),
        ("HEAD", f"/v2/{REPO}/manifests/v1"),
    ]


def test_an_unreleased_sha_falls_back_to_the_dockerfile_with_a_warning(ghcr):
    resolution = resolve(_env(ghcr, PMCP_ACTION_REF="f" * 40), "../Dockerfile")
    assert resolution.image == "../Dockerfile"
    assert resolution.warning
    assert "no released image for Acme/pmcp-deploy-action@" in resolution.message
    assert "404" in resolution.message


def test_an_unreachable_registry_falls_back(ghcr):
    url = ghcr.url
    ghcr.shutdown()
    ghcr.server_close()
    resolution = resolve(_env(ghcr, PMCP_ACTION_REGISTRY=url), "Dockerfile")
    assert (resolution.image, resolution.warning) == ("Dockerfile", True)
    assert "could not reach" in resolution.message


def test_a_branch_name_cannot_name_an_image(ghcr):
    resolution = resolve(_env(ghcr, PMCP_ACTION_REF="feature/x"), "Dockerfile")
    assert (resolution.image, resolution.warning) == ("Dockerfile", True)
    assert ghcr.requests == []


@pytest.mark.parametrize("action_repo", ["", "someone/their-server", "SOMEONE/their-server"])
def test_the_own_repository_builds_the_dockerfile_quietly(ghcr, action_repo):
    resolution = resolve(_env(ghcr, PMCP_ACTION_REPOSITORY=action_repo), "Dockerfile")
    assert (resolution.image, resolution.warning) == ("Dockerfile", False)
    assert ghcr.requests == []


def test_the_override_variable_wins(ghcr):
    forced = resolve(_env(ghcr, PMCP_ACTION_IMAGE="Dockerfile"), "x/Dockerfile")
    assert (forced.image, forced.warning) == ("x/Dockerfile", False)
    pinned = resolve(_env(ghcr, PMCP_ACTION_IMAGE="ghcr.io/a/b@" + DIGEST), "Dockerfile")
    assert pinned.image == "docker://ghcr.io/a/b@" + DIGEST
    assert ghcr.requests == []


def test_the_ref_and_repository_come_from_the_action_path_when_the_context_is_empty(ghcr):
    env = _env(ghcr, PMCP_ACTION_REPOSITORY="", PMCP_ACTION_REF="")
    env["GITHUB_ACTION_PATH"] = "/home/runner/work/_actions/acme/pmcp-deploy-action/v1.2.3"
    resolution = resolve(env, "Dockerfile")
    assert resolution.image.endswith(f"/{REPO}@{DIGEST}")


def test_a_registry_without_a_digest_header_is_a_failed_lookup(ghcr):
    ghcr.tags["v1"] = "latest"
    with pytest.raises(LookupFailed, match="no usable Docker-Content-Digest"):
        manifest_digest(ghcr.url, REPO, "v1")


def test_the_inner_action_is_the_template_with_its_image_replaced():
    template = (ROOT / "docker-action.yml").read_text()
    rendered = yaml.safe_load(render_inner_action(template, "docker://ghcr.io/a/b@" + DIGEST))
    assert rendered["runs"] == {"using": "docker", "image": "docker://ghcr.io/a/b@" + DIGEST}
    assert rendered["inputs"] == yaml.safe_load(template)["inputs"]
    with pytest.raises(ValueError, match="must end with"):
        render_inner_action("runs:\n  image: 'other'\n", "x")


def test_main_writes_the_inner_action_into_the_workspace(ghcr, tmp_path, capsys):
    env = _env(ghcr, GITHUB_ACTION_PATH=str(ROOT), GITHUB_WORKSPACE=str(tmp_path))
    env["PMCP_ACTION_REF"] = "v9"
    assert main(env, []) == 0
    written = yaml.safe_load((tmp_path / GENERATED_DIR / "action.yml").read_text())
    # The Dockerfile where the action was checked out, relative to the generated action.
    assert (tmp_path / GENERATED_DIR / written["runs"]["image"]).resolve() == ROOT / "Dockerfile"
    out = capsys.readouterr().out
    assert out.startswith("::warning title=pmcp deploy: no prebuilt image::no released image")
    assert "Resolved action image to: " in out


def test_it_runs_as_a_script_with_the_standard_library_only(ghcr, tmp_path):
    # As the composite step runs it: `python3 -I` with the file's path, no package installed.
    env = _env(ghcr, GITHUB_ACTION_PATH=str(ROOT), GITHUB_WORKSPACE=str(tmp_path))
    completed = subprocess.run(
        [sys.executable, "-I", str(ROOT / "pmcp_action" / "action_image.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert f"/{REPO}@{DIGEST}" in completed.stdout
    written = (tmp_path / GENERATED_DIR / "action.yml").read_text()
    assert written.endswith(f"/{REPO}@{DIGEST}'\n")


def _git(workspace: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(workspace), "-c", "user.name=t", "-c", "user.email=t@x", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A user's checkout: committed, with a workflow, and no ignore rule for .github/.tmp."""
    workspace = tmp_path / "checkout"
    (workspace / ".github" / "workflows").mkdir(parents=True)
    (workspace / ".github" / "workflows" / "deploy.yml").write_text("on: push\n")
    (workspace / "Cargo.toml").write_text("[package]\nname = 'calc'\n")
    _git(workspace.parent, "init", "-q", str(workspace))
    _git(workspace, "add", "-A")
    _git(workspace, "commit", "-qm", "x")
    return workspace


def _directories(root: Path) -> set[Path]:
    return {path for path in root.rglob("*") if path.is_dir() and ".git" not in path.parts}


def test_remove_leaves_the_checkout_as_it_was(ghcr, checkout):
    """The inner action made the tree dirty; the composite's last step takes it away again,
    with every directory writing it created (and no other)."""
    env = _env(ghcr, GITHUB_ACTION_PATH=str(ROOT), GITHUB_WORKSPACE=str(checkout))
    before = _directories(checkout)
    assert main(env, []) == 0
    assert _git(checkout, "status", "--porcelain") == "?? .github/.tmp/\n"
    assert main(env, ["remove"]) == 0
    assert _git(checkout, "status", "--porcelain", "--ignored") == ""
    assert _directories(checkout) == before


def test_remove_keeps_directories_that_were_there_before(ghcr, checkout):
    other = checkout / ".github" / ".tmp" / ".generated-actions" / "another-action"
    other.mkdir(parents=True)
    (other / "action.yml").write_text("runs: {using: docker, image: x}\n")
    env = _env(ghcr, GITHUB_ACTION_PATH=str(ROOT), GITHUB_WORKSPACE=str(checkout))
    assert main(env, []) == 0
    assert (checkout / GENERATED_DIR / "action.yml").is_file()
    assert main(env, ["remove"]) == 0
    assert not (checkout / GENERATED_DIR).exists()
    assert (other / "action.yml").is_file()
    # Nothing written (a failed resolve step): nothing to do, and no error.
    assert main(env, ["remove"]) == 0
    assert (other / "action.yml").is_file()


def test_remove_runs_as_a_script_too(ghcr, checkout):
    env = _env(ghcr, GITHUB_ACTION_PATH=str(ROOT), GITHUB_WORKSPACE=str(checkout))
    script = [sys.executable, "-I", str(ROOT / "pmcp_action" / "action_image.py")]
    for args in ([], ["remove"]):
        subprocess.run([*script, *args], env=env, capture_output=True, timeout=60, check=True)
    assert _git(checkout, "status", "--porcelain", "--ignored") == ""
    wrong = subprocess.run([*script, "tidy"], env=env, capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 2 and "usage: action_image.py [remove]" in wrong.stderr
