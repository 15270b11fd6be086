"""pmcp.run's secret store through its GraphQL API: the four operations cargo-pmcp's secret
provider uses, with typed results.

A secret is ``{serverId}/{name}``; the organisation is the server's, derived by pmcp.run.
No ``audience`` is sent: the secrets are the MCP server's (pmcp.run's default), not a
billing Lambda's. ``listServerSecrets`` answers names and whether each has a value, as a
JSON string; ``setServerSecret`` and ``deleteServerSecret`` answer ``success`` and, when
refused, ``error`` (a null answer means the token was not accepted for that server).
``setServerSecret`` creates or overwrites (a PUT): it is sent as an idempotent call, so the
HTTP client may send it again after a lost answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ...errors import RemoteApiError
from .graphql import GraphQLClient

__all__ = ["ListedSecret", "SecretApi"]

LIST_SERVER_SECRETS = """
query ListServerSecrets($serverId: String!) {
  listServerSecrets(serverId: $serverId) {
    serverId
    secrets
  }
}
"""

GET_SERVER_SECRET = """
query GetServerSecret($serverId: String!, $secretName: String!) {
  getServerSecret(serverId: $serverId, secretName: $secretName) {
    serverId
    secretName
    secretValue
    exists
  }
}
"""

SET_SERVER_SECRET = """
mutation SetServerSecret(
  $serverId: String!, $secretName: String!, $secretValue: String!, $description: String
) {
  setServerSecret(
    serverId: $serverId, secretName: $secretName, secretValue: $secretValue,
    description: $description
  ) {
    success
    serverId
    secretName
    error
  }
}
"""

DELETE_SERVER_SECRET = """
mutation DeleteServerSecret($serverId: String!, $secretName: String!) {
  deleteServerSecret(serverId: $serverId, secretName: $secretName) {
    success
    error
  }
}
"""

_NO_ANSWER = (
    "Check that the credentials belong to the pmcp.run organisation of this server (pmcp.run "
    "answers null when the token may not manage its secrets)."
)


@dataclass(frozen=True)
class ListedSecret:
    name: str
    #: False for a name pmcp.run knows (e.g. declared by the template) without a value.
    has_value: bool


def _answer(data: dict[str, Any], field: str, doing: str) -> dict[str, Any]:
    value = data.get(field)
    if not isinstance(value, dict):
        raise RemoteApiError(
            f"{doing[:1].upper()}{doing[1:]}: pmcp.run answered no {field} result.",
            remediation=_NO_ANSWER,
        )
    return value


def _listing(raw: object, doing: str) -> list[Any]:
    """The ``secrets`` field: a JSON string of objects (or, tolerated, the list itself)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = None
    if not isinstance(raw, list):
        raise RemoteApiError(
            f"{doing[:1].upper()}{doing[1:]}: the secrets list is not a JSON array.",
            remediation="This looks like a pmcp.run API change; upgrade pmcp-action.",
        )
    return raw


class SecretApi:
    """The server secret operations over one GraphQL client."""

    def __init__(self, graphql: GraphQLClient) -> None:
        self.graphql = graphql

    def list(self, server_id: str) -> tuple[ListedSecret, ...]:
        doing = f"listing the pmcp.run secrets of {server_id} (listServerSecrets)"
        data = self.graphql.execute(
            "listServerSecrets", LIST_SERVER_SECRETS, {"serverId": server_id}, doing=doing
        )
        listed = _answer(data, "listServerSecrets", doing)
        return tuple(
            ListedSecret(item["name"], item.get("hasValue") is not False)
            for item in _listing(listed.get("secrets"), doing)
            if isinstance(item, dict) and isinstance(item.get("name"), str)
        )

    def get(self, server_id: str, name: str) -> str | None:
        """The stored value of ``name`` (None when there is none)."""
        doing = f"reading the pmcp.run secret {name} of {server_id} (getServerSecret)"
        data = self.graphql.execute(
            "getServerSecret",
            GET_SERVER_SECRET,
            {"serverId": server_id, "secretName": name},
            doing=doing,
        )
        found = _answer(data, "getServerSecret", doing)
        value = found.get("secretValue")
        return value if found.get("exists") is True and isinstance(value, str) else None

    def set(self, server_id: str, name: str, value: str, *, description: str) -> None:
        """Create or overwrite ``name``; a refusal is an error naming it (never the value)."""
        doing = f"storing the pmcp.run secret {name} of {server_id} (setServerSecret)"
        data = self.graphql.execute(
            "setServerSecret",
            SET_SERVER_SECRET,
            {
                "serverId": server_id,
                "secretName": name,
                "secretValue": value,
                "description": description,
            },
            doing=doing,
            idempotent=True,
        )
        answer = _answer(data, "setServerSecret", doing)
        if answer.get("success") is not True:
            raise RemoteApiError(
                f"pmcp.run refused to store the secret {name} of {server_id}: "
                f"{answer.get('error') or 'no reason given'}.",
                remediation="Check the secret's name and size against pmcp.run's limits and "
                "that the credentials may manage this server's secrets; nothing was deployed.",
            )

    def delete(self, server_id: str, name: str) -> str:
        """Delete ``name``: "" when pmcp.run says it did, else its reason."""
        doing = f"deleting the pmcp.run secret {name} of {server_id} (deleteServerSecret)"
        data = self.graphql.execute(
            "deleteServerSecret",
            DELETE_SERVER_SECRET,
            {"serverId": server_id, "secretName": name},
            doing=doing,
            idempotent=True,
        )
        answer = _answer(data, "deleteServerSecret", doing)
        if answer.get("success") is True:
            return ""
        return str(answer.get("error") or "no reason given")
