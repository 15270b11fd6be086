"""``GET <base>/.well-known/pmcp-config``: where the token endpoint and the GraphQL API are
(snake_case JSON, as the real service answers)."""

from __future__ import annotations

import httpx

from ..server import json_response
from .state import PUBLIC_CLIENT_ID, PmcpRunState


class Discovery(PmcpRunState):
    """The discovery document; ``graphql_paths``, ``api_type`` and ``origins`` steer it."""

    def _discovery(self, request: httpx.Request, base: str) -> httpx.Response:
        if request.method != "GET":
            return json_response(405, {"message": "Method Not Allowed"})
        graphql_path = (
            self.graphql_paths.pop(0) if len(self.graphql_paths) > 1 else self.graphql_paths[0]
        )
        cognito = httpx.URL(self.origins.get("cognito", base))
        # Like the real service: a bare host for https; loopback emulators need the scheme.
        domain = cognito.netloc.decode("ascii")
        if cognito.scheme != "https":
            domain = f"{cognito.scheme}://{domain}"
        graphql_origin = self.origins.get("graphql", base)
        return json_response(
            200,
            {
                "cognito_client_id": PUBLIC_CLIENT_ID,
                "cognito_domain": domain,
                "graphql_url": f"{graphql_origin}{graphql_path}",
                "mcp_url": base,
                "api_type": self.api_type,
                "version": "1.0",
            },
        )
