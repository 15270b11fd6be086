"""Secret Manager API v1 (secretmanager.googleapis.com) as a REST kit client.

Secrets live in the project (``projects/<project>/secrets/<id>``); Secret Manager answers
with the project's *number* in every resource name (``projects/123456789012/secrets/…``).
A secret holds labels and annotations; each value is a version (``…/versions/<n>``, n
counting from 1), added by ``:addVersion``, which is not idempotent: it is sent once, and
the caller reads the latest version before sending it again. IAM on a secret is the usual
read-modify-write with the policy's etag. A failed call raises
:class:`~.failures.GoogleApiError` through :class:`~.failures.GoogleEnvelope`.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import httpx

from ...rest import RestApi
from .endpoints import GoogleEndpoints
from .failures import GoogleEnvelope

__all__ = ["SecretManagerApi", "version_number"]

JsonObject = dict[str, Any]


def version_number(resource: str) -> str:
    """``projects/1/secrets/calc-API_KEY/versions/3`` -> ``3``."""
    return resource.rsplit("/", 1)[-1]


class SecretManagerApi(RestApi):
    """The secrets of one project, with a bearer token."""

    def __init__(
        self, client: httpx.Client, endpoints: GoogleEndpoints, *, token: str, project: str
    ) -> None:
        super().__init__(
            client,
            endpoints.base("secretmanager"),
            envelope=GoogleEnvelope(project),
            headers={"Authorization": f"Bearer {token}"},
            reach_hint=endpoints.reach_hint,
        )
        self.project = project

    def _secret(self, secret_id: str) -> str:
        return f"/v1/projects/{self.project}/secrets/{secret_id}"

    # --- secrets ----------------------------------------------------------------------
    def list_secrets(self, filter_text: str) -> list[JsonObject]:
        """Every secret the filter selects (all pages)."""
        found: list[JsonObject] = []
        token = ""
        while True:
            params = {
                "filter": filter_text,
                "pageSize": "250",
                **({"pageToken": token} if token else {}),
            }
            body = self.call_json(
                "GET",
                f"/v1/projects/{self.project}/secrets",
                "listing the secrets in Secret Manager",
                params=params,
            )
            found.extend(s for s in body.get("secrets", ()) if isinstance(s, dict))
            token = str(body.get("nextPageToken", ""))
            if not token:
                return found

    def get_secret(self, secret_id: str) -> JsonObject | None:
        """The secret, or None when there is none."""
        return self.find_json(self._secret(secret_id), f"reading secret {secret_id}")

    def create_secret(
        self, secret_id: str, labels: Mapping[str, str], annotations: Mapping[str, str]
    ) -> JsonObject:
        """A new secret replicated automatically; sent once (a lost answer is read back)."""
        return self.call_json(
            "POST",
            f"/v1/projects/{self.project}/secrets",
            f"creating secret {secret_id}",
            params={"secretId": secret_id},
            json={
                "replication": {"automatic": {}},
                "labels": dict(labels),
                "annotations": dict(annotations),
            },
            once=True,
        )

    def update_annotations(
        self, secret_id: str, annotations: Mapping[str, str], etag: str
    ) -> JsonObject:
        """Replace the secret's annotations, on condition that its etag is still ``etag``."""
        body: JsonObject = {"annotations": dict(annotations)}
        if etag:
            body["etag"] = etag
        return self.call_json(
            "PATCH",
            self._secret(secret_id),
            f"recording the fingerprint on secret {secret_id}",
            params={"updateMask": "annotations"},
            json=body,
        )

    def delete_secret(self, secret_id: str) -> bool:
        """Delete the secret and every version of it; False when it was already gone."""
        answer = self.call(
            "DELETE", self._secret(secret_id), f"deleting secret {secret_id}", missing_ok=True
        )
        return answer is not None

    # --- versions ---------------------------------------------------------------------
    def add_version(self, secret_id: str, value: str) -> JsonObject:
        """A new version holding ``value``; sent exactly once (the caller reads back)."""
        data = base64.b64encode(value.encode("utf-8")).decode("ascii")
        return self.call_json(
            "POST",
            f"{self._secret(secret_id)}:addVersion",
            f"adding a version to secret {secret_id}",
            json={"payload": {"data": data}},
            once=True,
        )

    def get_version(self, secret_id: str, version: str) -> JsonObject | None:
        """One version (``latest``: the one created last), or None when there is none."""
        return self.find_json(
            f"{self._secret(secret_id)}/versions/{version}",
            f"reading version {version} of secret {secret_id}",
        )

    # --- IAM --------------------------------------------------------------------------
    def get_iam_policy(self, secret_id: str) -> JsonObject:
        return self.call_json(
            "GET",
            f"{self._secret(secret_id)}:getIamPolicy",
            f"reading the IAM policy of secret {secret_id}",
        )

    def set_iam_policy(self, secret_id: str, policy: JsonObject) -> JsonObject:
        """Write ``policy`` (its ``etag`` makes the write conditional)."""
        return self.call_json(
            "POST",
            f"{self._secret(secret_id)}:setIamPolicy",
            f"setting the IAM policy of secret {secret_id}",
            json={"policy": policy},
        )
