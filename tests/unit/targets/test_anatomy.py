"""Every target package, the plug-in included, has the documented anatomy.

A newcomer who knows one target finds the same step under the same name in every other:
the modules of :data:`pmcp_action.flow.ANATOMY`, a :class:`~pmcp_action.flow.DeployFlow`
in ``target.py`` and a :class:`~pmcp_action.flow.Steps` in ``deploying.py``; a target that
declares ``logs`` serves them through :class:`~pmcp_action.flow.ServesLogs`.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from pmcp_action.flow import ANATOMY, DeployFlow, ServesLogs, Steps
from pmcp_action.settings.catalogue import catalogue
from pmcp_action.settings.declaration import TargetDeclaration
from tests.plugin_target.declaration import DECLARATION as PLUGIN


def _declarations() -> list[TargetDeclaration]:
    return [*catalogue().targets, PLUGIN]


def _package(declaration: TargetDeclaration) -> str:
    module = declaration.factory.partition(":")[0]
    return module.rpartition(".")[0]


@pytest.mark.parametrize("declaration", _declarations(), ids=lambda d: d.id)
def test_the_package_has_the_anatomy(declaration: TargetDeclaration) -> None:
    package = importlib.import_module(_package(declaration))
    folder = Path(package.__file__ or "").parent
    present = {path.stem for path in folder.glob("*.py")}
    missing = [m.name for m in ANATOMY if m.required and m.name not in present]
    assert missing == [], f"{declaration.id} lacks {missing}"
    assert ("logs" in present) == declaration.logs, "logs.py exactly when the target has logs"
    doc = package.__doc__ or ""
    for module in present - {"__init__"}:
        assert f":mod:`.{module}`" in doc, f"the package docstring does not list .{module}"

    name = _package(declaration)
    target = importlib.import_module(f"{name}.target")
    deploying = importlib.import_module(f"{name}.deploying")
    flows = [
        value
        for value in vars(target).values()
        if isinstance(value, type)
        and issubclass(value, DeployFlow)
        and value.__module__ == target.__name__
    ]
    assert len(flows) == 1, f"{name}.target defines one DeployFlow"
    flow = flows[0]
    assert flow.name == declaration.id
    assert issubclass(flow, ServesLogs) == declaration.logs
    steps = getattr(deploying, "Steps", None)
    assert isinstance(steps, type) and issubclass(steps, Steps)
    assert callable(getattr(target, "create", None))
    assert not getattr(flow, "__abstractmethods__", None)
    assert not getattr(steps, "__abstractmethods__", None)


def test_the_anatomy_is_what_the_guide_documents() -> None:
    guide = (Path(__file__).parents[3] / "docs" / "adding-a-target.md").read_text()
    for module in ANATOMY:
        assert f"{module.name}.py" in guide, (
            f"docs/adding-a-target.md does not name {module.name}.py"
        )
