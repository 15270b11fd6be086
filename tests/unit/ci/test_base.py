from __future__ import annotations

import io

from pmcp_action.ci import Platform


def test_local_platform_prints_outputs_and_never_announces_masks():
    stream = io.StringIO()
    platform = Platform(environ={}, log_stream=stream)
    platform.mask("local-secret-xyz")
    platform.write_outputs({"url": "https://u", "arn": ""})
    platform.warning("with local-secret-xyz")
    out = stream.getvalue()
    assert "add-mask" not in out
    assert "url  https://u" in out and "  arn" not in out
    assert "warning: with ***" in out


def test_a_notice_outside_ci_is_a_line_with_its_secrets_redacted():
    stream = io.StringIO()
    platform = Platform(environ={}, log_stream=stream)
    platform.mask("local-notice-secret")
    platform.notice("see local-notice-secret", title="Heads up")
    assert stream.getvalue() == "notice: Heads up: see ***\n"
