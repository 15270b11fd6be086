"""The fake Google's memory: the access tokens it minted, WIF providers, service accounts
and their keys, Cloud Run services, Artifact Registry repositories, Secret Manager secrets,
and the long-running operations the APIs answer with."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import httpx

from ..server import FakeBase, json_response
from .run_resources import Service

if TYPE_CHECKING:
    from .secret_manager import FakeSecret

__all__ = ["GoogleState"]


class GoogleState(FakeBase):
    """State shared by every API the fake serves (each API is a mixin over it)."""

    name = "google-cloud-run"

    def __init__(self) -> None:
        super().__init__()
        #: Called with a ready revision's image and the variables its container sees (the
        #: secrets read) when it is created: its container pulls the image and starts.
        self.on_revision: Callable[[str, Mapping[str, str]], None] | None = None
        #: Called with the service after each write that set its traffic, before the answer
        #: (a test samples every split a run makes, or changes the world at one).
        self.on_traffic: Callable[[Service], None] | None = None
        self.reset_state()

    def reset_state(self) -> None:
        self.services: dict[str, Service] = {}
        self.operations: dict[str, dict[str, Any]] = {}
        self.never_ready: set[str] = set()
        self.org_policy_blocks_all_users = False
        self.repositories: dict[str, dict[str, Any]] = {}
        #: WIF providers: resource name -> required claims (an "attribute condition").
        self.providers: dict[str, dict[str, str]] = {}
        #: Service accounts -> the provider whose principals may impersonate them.
        self.service_accounts: dict[str, str] = {}
        #: Service-account keys: client email -> PEM public key.
        self.keys: dict[str, bytes] = {}
        #: A person's sign-ins (gcloud auth application-default login): refresh token ->
        #: (OAuth client id, client secret, the person's email).
        self.refresh_tokens: dict[str, tuple[str, str, str]] = {}
        #: Access tokens handed out, with who they speak for.
        self.tokens: dict[str, str] = {}
        #: Create a repository behind the caller's back between its read and its create.
        self.race_repository_create = False
        #: The registry JWTs Artifact Registry's token service answered, and whom each
        #: login's access token speaks for.
        self.registry_tokens: list[str] = []
        self.registry_logins: list[str] = []
        #: Secret Manager: secrets by ``projects/<number>/secrets/<id>``; project numbers by id.
        self.secrets: dict[str, FakeSecret] = {}
        self.project_numbers: dict[str, str] = {}
        #: The most secrets one page of a list answers (pages are tested with a small one).
        self.secrets_page_size = 25000
        #: IAM admin: pools and provider bodies by resource name, service accounts made
        #: through the API by email, and service accounts' IAM policies.
        self.pools: dict[str, dict[str, Any]] = {}
        self.provider_bodies: dict[str, dict[str, Any]] = {}
        self.accounts: dict[str, dict[str, Any]] = {}
        self.account_policies: dict[str, dict[str, Any]] = {}
        #: Project IAM policies by project id: {"bindings": [{role, members}], "etag"}.
        self.project_policies: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)

    def snapshot(self) -> dict[str, Any]:
        """The services and secrets (never a secret's value)."""
        return {
            **{name: s.to_api() for name, s in self.services.items()},
            **{name: s.snapshot() for name, s in self.secrets.items()},
        }

    def _mint(self, who: str) -> str:
        token = f"ya29.fake-{next(self._ids)}"
        self.tokens[token] = who
        return token

    def issue_token(self, who: str) -> str:
        """An access token for ``who`` (e.g. the test's own pulls), as the fake mints them."""
        return self._mint(who)

    def _operation(
        self,
        parent: str,
        response: dict[str, Any],
        err: str = "",
        type_url: str = "type.googleapis.com/google.cloud.run.v2.Service",
        metadata_type: str = "",
    ) -> httpx.Response:
        """An LRO, done at its first poll; ``metadata`` and ``response`` are typed ``Any``s.

        Cloud Run's metadata is the Service itself; other APIs name their own type.
        """
        name = f"{parent}/operations/op-{next(self._ids)}"
        metadata = {"@type": metadata_type} if metadata_type else {"@type": type_url, **response}
        done: dict[str, Any] = {"name": name, "metadata": metadata, "done": True}
        if err:
            done["error"] = {"code": 9, "message": err}
        else:
            done["response"] = {"@type": type_url, **response}
        self.operations[name] = done
        return json_response(200, {"name": name, "metadata": metadata, "done": False})
