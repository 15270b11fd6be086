"""settings.values: an input's text to its typed value, or a problem naming its source."""

from __future__ import annotations

import pytest

from pmcp_action.errors import ValidationError

from .helpers import load_settings_from


def test_int_range_is_checked():
    with pytest.raises(ValidationError) as caught:
        load_settings_from(
            environ={"INPUT_TARGET": "aws-lambda", "INPUT_ROLE-DURATION-SECONDS": "60"}
        )
    assert "60 is out of range — use 900 to 43200" in caught.value.message


def test_loopback_http_is_accepted_and_trailing_slash_dropped():
    env = {"INPUT_TARGET": "pmcp-run", "INPUT_PMCP-API-URL": "http://127.0.0.1:8080/"}
    assert load_settings_from(environ=env).inputs.string("pmcp-api-url") == "http://127.0.0.1:8080"
