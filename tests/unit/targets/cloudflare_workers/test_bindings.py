"""bindings: worker-secrets as masked secret_text bindings, none when none are given."""

from __future__ import annotations

from tests.unit.targets.cloudflare_workers.helpers import NAME, make_target, write_project


def test_no_worker_secrets_anywhere_sends_no_secret_binding(tmp_path, fake):
    write_project(tmp_path)
    make_target(tmp_path, fake).target.deploy()
    version = fake.script(NAME).versions[0]
    assert [b["type"] for b in version.bindings] == ["plain_text"]


def test_worker_secrets_become_masked_secret_text_bindings(tmp_path, fake):
    write_project(tmp_path)
    secret = "s3cr3t-value-for-the-worker"
    harness = make_target(tmp_path, fake, inputs={"worker-secrets": f"API_KEY={secret}\n"})
    result = harness.target.deploy()
    version = fake.script(NAME).versions[0]
    assert {"type": "secret_text", "name": "API_KEY", "text": secret} in version.bindings
    uploads = [r for r in fake.requests if r.method == "PUT"]
    assert b'"keep_bindings"' in uploads[0].body
    assert secret not in harness.output + repr(result)
    assert secret not in harness.target.console.redactor.redact(f"leak: {secret}")
