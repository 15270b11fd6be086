"""init.release: the action by its release's major tag, the image and the component by its
version, actions/checkout by commit."""

from __future__ import annotations

import re

from pmcp_action import __version__
from pmcp_action.init.release import (
    ACTION_REPOSITORY,
    CHECKOUT,
    action_image,
    action_pin,
    component,
)


def test_each_pin_names_the_release() -> None:
    pin = action_pin("2.3.4")
    assert pin.uses == f"{ACTION_REPOSITORY}@v2"
    assert pin.comment == "v2: the latest 2.x release (2.3.4 when written)"
    assert action_pin().ref == f"v{__version__.split('.')[0]}"
    assert action_image("2.3.4") == f"ghcr.io/{ACTION_REPOSITORY}:v2.3.4"
    assert component("2.3.4") == f"$CI_SERVER_FQDN/{ACTION_REPOSITORY}/deploy@2.3.4"
    assert re.fullmatch(r"actions/checkout@[0-9a-f]{40}", CHECKOUT.uses)
    assert re.fullmatch(r"v\d+\.\d+\.\d+", CHECKOUT.comment)
