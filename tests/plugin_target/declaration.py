"""The demo-cloud target's declaration: one secret, one URL with a deploy.toml fallback."""

from __future__ import annotations

from types import MappingProxyType

from pmcp_action.plugin import Fallback, InputKind, InputSpec, OutputSpec, TargetDeclaration

__all__ = ["DECLARATION", "NAME"]

NAME = "demo-cloud"
DECLARATION = TargetDeclaration(
    id=NAME,
    title="Demo Cloud",
    summary="A stand-in cloud that a plug-in package registers.",
    factory="tests.plugin_target.target:create",
    order=90,
    uses=("region",),
    inputs=(
        InputSpec(
            "demo-endpoint",
            "Where Demo Cloud serves the deployed server.",
            kind=InputKind.URL,
            env=("DEMO_CLOUD_ENDPOINT",),
        ),
        InputSpec(
            "demo-token",
            "Demo Cloud API token.",
            secret=True,
            env=("DEMO_CLOUD_TOKEN",),
        ),
    ),
    fallbacks=MappingProxyType(
        {
            "demo-endpoint": Fallback(config=("demo.endpoint",)),
            "region": Fallback(env=("DEMO_CLOUD_REGION",), default="moon-1"),
        }
    ),
    notes=MappingProxyType({"region": "the Demo Cloud region (moon-1, moon-2, …)."}),
    outputs=(OutputSpec("demo-ref", "The Demo Cloud deployment reference.", "Demo ref"),),
    credentials="Pass demo-token from a secret; it is exchanged for a session token.",
    example="target: demo-cloud\ndemo-token: ${{ secrets.DEMO_CLOUD_TOKEN }}",
    logs=True,
)
