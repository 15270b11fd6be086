"""settings.catalogue: discovery, ordering, and refusing declarations that contradict each other."""

from __future__ import annotations

import importlib
import sys
from dataclasses import replace

import pytest

from pmcp_action.settings.catalogue import (
    RegistryError,
    build_catalogue,
    catalogue,
    discover_declarations,
)
from pmcp_action.settings.common_inputs import COMMON_INPUTS
from pmcp_action.settings.declaration import CiInputs, Fallback, OutputSpec, TargetDeclaration
from pmcp_action.settings.spec import InputSpec
from tests.plugin_target import install


def _target(target_id: str, **changes: object) -> TargetDeclaration:
    base = TargetDeclaration(id=target_id, title=target_id, summary="s", factory="m:create")
    return replace(base, **changes)  # type: ignore[arg-type]


def test_built_in_targets_are_found_in_cargo_pmcps_order():
    assert catalogue().ids == (
        "pmcp-run",
        "aws-lambda",
        "google-cloud-run",
        "azure-container-apps",
        "cloudflare-workers",
    )
    assert catalogue().available_ids == (
        "pmcp-run",
        "aws-lambda",
        "google-cloud-run",
        "azure-container-apps",
        "cloudflare-workers",
    )


def test_an_entry_point_target_is_discovered(tmp_path, monkeypatch):
    site = install(tmp_path / "site")
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    found = {d.id for d in discover_declarations()}
    assert "demo-cloud" in found and "aws-lambda" in found
    cat = build_catalogue(discover_declarations())
    assert cat.ids[-1] == "demo-cloud"  # order 90, after the built-in ones
    assert cat.input_owners["demo-token"] == ("demo-cloud",)
    assert cat.input_owners["region"] == (
        "pmcp-run",
        "aws-lambda",
        "google-cloud-run",
        "azure-container-apps",
        "demo-cloud",
    )
    assert [s.name for s in cat.target_inputs("demo-cloud")] == [
        "region",
        "demo-endpoint",
        "demo-token",
    ]
    sys.modules.pop("tests.plugin_target.declaration", None)


def test_one_spec_may_be_declared_by_several_targets():
    shared = InputSpec("shared-thing", "d")
    cat = build_catalogue([_target("one", inputs=(shared,)), _target("two", inputs=(shared,))])
    assert cat.input_owners["shared-thing"] == ("one", "two")
    assert [s.name for s in cat.target_specific_inputs] == ["shared-thing"]


@pytest.mark.parametrize(
    ("declarations", "message"),
    [
        (
            [
                _target("one", inputs=(InputSpec("x", "a"),)),
                _target("two", inputs=(InputSpec("x", "b"),)),
            ],
            "two: input 'x' clashes with the one declared by one",
        ),
        ([_target("one", inputs=(InputSpec("region", "mine"),))], "one: input 'region' clashes"),
        ([_target("one", uses=("verify",))], "one: uses 'verify', which is no shared input"),
        ([_target("one"), _target("one")], "one: declared twice"),
        ([_target("Bad_Id")], "id 'Bad_Id' must be lower-case words joined by '-'"),
        ([_target("one", factory="no-colon")], "factory 'no-colon' must be 'module:function'"),
        (
            [_target("one", fallbacks={"nowhere": Fallback()})],
            "a fallback names 'nowhere', which the target neither declares nor uses",
        ),
        (
            [_target("one", outputs=(OutputSpec("url", "mine"),))],
            "one: output 'url' clashes",
        ),
        (
            [_target("one", audience="aud")],
            "one: a default audience is declared, but the audience input is not used",
        ),
        (
            [_target("one", uses=("audience",), audience="https://x/{nowhere}")],
            "one: the default audience names 'nowhere', which is no input of it",
        ),
        (
            [_target("one", inputs=(InputSpec("x", "a", env=("PMCP_OUT_X",)),))],
            "the variable PMCP_OUT_X begins with PMCP_OUT_, which names the outputs",
        ),
        (
            [_target("one", variables={"PMCP_OUT_URL": "mine"})],
            "the variable PMCP_OUT_URL begins with PMCP_OUT_",
        ),
        (
            [_target("one", uses=("region",), fallbacks={"region": Fallback(env=("PMCP_OUT_R",))})],
            "the variable PMCP_OUT_R begins with PMCP_OUT_",
        ),
        (
            [_target("one", ci=CiInputs(secrets=("token",), location=("region",)))],
            "one: the CI inputs name 'token', which is no input of it",
        ),
        (
            [_target("one", inputs=(InputSpec("role", "r"),), ci=CiInputs(oidc=("role",)))],
            "one: the CI inputs sign in with OIDC, but no default audience is declared",
        ),
    ],
)
def test_inconsistent_declarations_are_refused(declarations, message):
    with pytest.raises(RegistryError) as caught:
        build_catalogue(declarations)
    assert message in caught.value.message


def test_a_default_audience_is_made_of_the_inputs_it_names():
    declaration = _target(
        "one", uses=("audience", "region"), audience="https://{region}/x/{region}"
    )
    assert declaration.problems() == []
    assert declaration.audience_inputs == ("region", "region")
    assert declaration.default_audience({"region": "eu"}.__getitem__) == "https://eu/x/eu"
    assert _target("two").default_audience(str) == ""


def test_the_target_input_lists_every_target():
    spec = catalogue().input("target")
    assert spec.choices == catalogue().ids
    assert spec.description.startswith("Where to deploy: pmcp-run, aws-lambda, ")
    assert [s.name for s in catalogue().common_inputs] == [s.name for s in COMMON_INPUTS]


def test_a_target_declares_logs_exactly_when_it_can_show_them():
    import typing

    for declaration in catalogue().targets:
        if not declaration.available:
            continue
        module_name, _, function = declaration.factory.partition(":")
        factory = getattr(importlib.import_module(module_name), function)
        target_class = typing.get_type_hints(factory)["return"]
        assert callable(getattr(target_class, "logs", None)) is declaration.logs, declaration.id


def test_every_target_says_what_a_ci_job_gives_it():
    """init writes these: each target signs in some way, with inputs of its own."""
    for declaration in catalogue().targets:
        assert declaration.ci.secrets or declaration.ci.oidc, declaration.id
        assert declaration.problems() == [], declaration.id
