"""Shared builders of the google-cloud-run tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from pmcp_action.targets.google_cloud_run.config import resolve
from pmcp_action.targets.google_cloud_run.connection import Connection
from pmcp_action.targets.google_cloud_run.credentials import GoogleToken
from pmcp_action.targets.google_cloud_run.deploying import Steps
from tests.fakes.google_cloud_run import FakeCloudRun
from tests.support.context import make_context

__all__ = ["DEPLOYER", "PROVIDER", "service_account_key", "steps_for"]


def service_account_key(email: str) -> tuple[str, bytes]:
    """A key JSON for ``email`` and its PEM public key (what the fake checks signatures with)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    text = json.dumps(
        {
            "type": "service_account",
            "project_id": "demo-project",
            "private_key_id": "kid-1",
            "private_key": pem,
            "client_email": email,
            "token_uri": "https://oauth2.googleapis.com/token",
        }
    )
    return text, public


#: The Workload Identity provider the step-level tests' configuration names (never called).
PROVIDER = "projects/123456789/locations/global/workloadIdentityPools/ci-pool/providers/github"
#: Who the step-level tests' token speaks for.
DEPLOYER = "deployer@demo.iam.gserviceaccount.com"


def steps_for(
    root: Path,
    image: str,
    *,
    fake: FakeCloudRun | None = None,
    base: str = "http://127.0.0.1:9",
    token: str = "tok",
    **inputs: Any,
) -> Steps:
    """The deploy steps for service ``calc`` in project demo-project deploying ``image``, over the
    fake in process (``fake``) or over the network at ``base``, signed in as ``token``."""
    context = make_context(
        target="google-cloud-run",
        root=root,
        inputs={
            "gcp-project": "demo-project",
            "gcp-workload-identity-provider": PROVIDER,
            "image": image,
            **inputs,
        },
        environ={"PMCP_GOOGLE_API_URL": base},
        server_name="calc",
        transport=httpx.MockTransport(fake) if fake is not None else None,
    )
    config, problems = resolve(context)
    assert problems == [], problems
    if fake is not None:
        fake.tokens.setdefault(token, DEPLOYER)
    session = GoogleToken(token, DEPLOYER, "workload-identity")
    return Steps(context, config, Connection.over(context.http(), session, context, config))
