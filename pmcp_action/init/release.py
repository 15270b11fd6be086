"""What a written configuration pins: this release of the action (its image and its GitLab
component) and actions/checkout.

The action's repository is written here once; the release workflow publishes its image as
``ghcr.io/<repository>`` and the GitLab component is mirrored under the same path.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import __version__

__all__ = [
    "ACTION_REPOSITORY",
    "CHECKOUT",
    "ActionPin",
    "action_image",
    "action_pin",
    "component",
]

#: The GitHub repository the action is used from (``uses: <this>@<ref>``).
ACTION_REPOSITORY = "paiml/pmcp-deploy-action"


@dataclass(frozen=True)
class ActionPin:
    """An action reference: ``uses: <repository>@<ref>`` with ``# <comment>`` after it."""

    repository: str
    ref: str
    comment: str

    @property
    def uses(self) -> str:
        return f"{self.repository}@{self.ref}"


#: actions/checkout by the full sha of its release (the comment names it), as the
#: repository's own workflows pin it.
CHECKOUT = ActionPin("actions/checkout", "11bd71901bbe5b1630ceea73d27597364c9af683", "v4.2.2")


def action_pin(version: str = __version__) -> ActionPin:
    """This release's major version tag: it follows the latest release of that major version
    (the tag moves with each release; a release's full commit sha pins one exactly)."""
    major = version.split(".", 1)[0]
    return ActionPin(
        ACTION_REPOSITORY,
        f"v{major}",
        f"v{major}: the latest {major}.x release ({version} when written)",
    )


def action_image(version: str = __version__) -> str:
    """This release's image, by its version tag (the release notes give its digest)."""
    return f"ghcr.io/{ACTION_REPOSITORY}:v{version}"


def component(version: str = __version__) -> str:
    """This release of the GitLab component, at its path on the instance running the job."""
    return f"$CI_SERVER_FQDN/{ACTION_REPOSITORY}/deploy@{version}"
