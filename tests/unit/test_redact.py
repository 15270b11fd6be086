"""redact: secrets scrubbed from every text, in their encoded forms too; presigned URLs."""

from __future__ import annotations

import base64
import json

from pmcp_action.redact import Redactor, redact_url


def test_redactor_scrubs_value_lines_and_encoded_forms():
    redactor = Redactor()
    secret = 'line-one-secret\nline-two "quoted"'
    fragments = redactor.add(secret)
    assert "line-one-secret" in fragments
    encoded = base64.b64encode(secret.encode()).decode()
    as_json = json.dumps({"v": secret})
    text = f"a {secret} b line-one-secret c {encoded} d {as_json}"
    cleaned = redactor.redact(text)
    assert "line-one-secret" not in cleaned
    assert encoded not in cleaned
    assert "quoted" not in cleaned


def test_short_values_are_not_registered():
    redactor = Redactor()
    assert redactor.add("abc") == []
    assert redactor.redact("abc abc") == "abc abc"


def test_presigned_urls_lose_their_query():
    url = (
        "https://bucket.s3.amazonaws.com/key?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIA%2F&X-Amz-Signature=deadbeef"
    )
    assert redact_url(f"PUT {url} failed") == "PUT https://bucket.s3.amazonaws.com/key?*** failed"
    assert redact_url("https://example.com/a?page=2") == "https://example.com/a?page=2"
