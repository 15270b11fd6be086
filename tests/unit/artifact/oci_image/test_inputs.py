"""The shared image inputs, read and checked once for both container targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmcp_action.artifact.oci_image.inputs import ImageInputs, read_image_inputs
from pmcp_action.errors import Problem
from tests.support.context import make_context

BASE = {"gcp-project": "p", "auth": "secrets", "gcp-credentials-json": "{}"}


def _read(
    tmp_path: Path, target: str, **inputs: str
) -> tuple[ImageInputs, list[Problem], list[str]]:
    context = make_context(target=target, root=tmp_path, inputs=inputs, server_name="calc")
    problems: list[Problem] = []
    masked: list[str] = []
    found = read_image_inputs(context.settings.inputs, problems, mask=masked.append)
    return found, problems, masked


@pytest.mark.parametrize("target", ["google-cloud-run", "azure-container-apps"])
def test_build_args_are_one_rule_for_both_targets(tmp_path: Path, target: str) -> None:
    found, problems, _ = _read(tmp_path, target, **{"build-args": "A=1\nB=x=y\n# c\n"})
    assert found.build_args == (("A", "1"), ("B", "x=y")) and problems == []
    _, problems, _ = _read(tmp_path, target, **{"build-args": "A=1\n9NOPE=2\nnope"})
    assert [p.where for p in problems] == [
        "input 'build-args', line 2",
        "input 'build-args', line 3",
    ]


@pytest.mark.parametrize("target", ["google-cloud-run", "azure-container-apps"])
def test_image_references_are_checked(tmp_path: Path, target: str) -> None:
    _, problems, _ = _read(
        tmp_path, target, image="UPPER/Case:tag", **{"base-image": "gcr.io/distroless/cc-debian12"}
    )
    assert [p.where for p in problems] == ["input 'image'"]


def test_the_registry_password_is_masked_and_needs_a_user_name(tmp_path: Path) -> None:
    found, problems, masked = _read(
        tmp_path, "google-cloud-run", **{"registry-password": "s3cret-token"}
    )
    assert masked == ["s3cret-token"] and found.registry_password == "s3cret-token"
    assert "s3cret-token" not in repr(found)
    assert [p.what for p in problems] == ["registry-password is given without registry-username"]


def test_inputs_a_target_does_not_declare_stay_empty(tmp_path: Path) -> None:
    found, problems, _ = _read(tmp_path, "azure-container-apps")
    assert (found.platform, found.repository, found.registry_username) == ("", "", "")
    assert problems == []


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
