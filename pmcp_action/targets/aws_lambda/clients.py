"""The one factory for every AWS client this target uses.

Clients come from a botocore session that reads nothing from the process
environment or ``~/.aws``: region, endpoint, credentials and CA bundle are
passed explicitly from the run's context, so a stray ``AWS_PROFILE`` or
``AWS_ENDPOINT_URL`` in the process cannot redirect a deploy, and tests do not
depend on globals. Every client retries throttling, 5xx answers and connection
failures itself (botocore's "standard" mode, :data:`MAX_ATTEMPTS` attempts).

botocore reads an answer without holding it to its Content-Length, so a connection
cut in the middle of an answer could parse as a short success; every client here
refuses such an answer as the broken connection it is (:func:`_whole_answer`). A
failure that got no answer names its AWS operation (:data:`OPERATION`), so the
error can say whether the call may have been carried out.

botocore is untyped; clients are ``Any`` at this boundary.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import botocore
import botocore.session
from botocore.config import Config
from botocore.configprovider import (
    BOTOCORE_DEFAUT_SESSION_VARIABLES,
)
from botocore.exceptions import ClientError, ConnectionClosedError

from ... import __version__
from ...runner_paths import container_path
from .config import AMBIENT_FILE_VARIABLES, LambdaConfig

__all__ = [
    "MAX_ATTEMPTS",
    "OPERATION",
    "AwsClients",
    "AwsCredentials",
    "is_read",
    "load_default_chain",
]

#: Attempts per API call, counting the first (botocore "standard" retry mode).
MAX_ATTEMPTS = 8

#: Operations that only read; everything else is recorded as a mutation.
_READ_PREFIXES = ("Get", "List", "Head", "Describe")

#: The attribute a failure without an AWS answer carries its operation in ("GetFunction").
OPERATION = "aws_operation"


def is_read(operation: str) -> bool:
    """Whether an AWS operation only reads ("" — unknown — counts as a change)."""
    return bool(operation) and operation.startswith(_READ_PREFIXES)


def _whole_answer(
    endpoint_url: str, operation_model: Any, response_dict: dict[str, Any], **_: Any
) -> None:
    """Refuse an answer shorter than its Content-Length: the connection broke inside it."""
    body = response_dict.get("body")
    length = response_dict.get("headers", {}).get("content-length", "")
    if (
        not isinstance(body, bytes)
        or not str(length).isdigit()
        or operation_model.http.get("method") == "HEAD"
    ):
        return
    if len(body) < int(length):
        raise ConnectionClosedError(
            endpoint_url=endpoint_url,
            error=f"the answer ended after {len(body)} of {length} bytes",
        )


@dataclass(frozen=True)
class AwsCredentials:
    """A set of AWS keys. The secret parts never show in ``repr``."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(default="", repr=False)


def _isolated_session_variables() -> dict[str, tuple[Any, ...]]:
    """botocore's session variables with every environment lookup removed."""
    variables: dict[str, tuple[Any, ...]] = {
        name: (config_name, None, default, converter)
        for name, (config_name, _env, default, converter) in (
            BOTOCORE_DEFAUT_SESSION_VARIABLES.items()
        )
    }
    # A path that is not a file reads as an empty config (botocore: ConfigNotFound -> {}).
    variables["config_file"] = (None, None, os.devnull, None)
    variables["credentials_file"] = (None, None, os.devnull, None)
    variables["profile"] = (None, None, None, None)
    variables["ignore_configured_endpoint_urls"] = (None, None, True, None)
    return variables


#: Variables of botocore's default chain, as the session's config variables name them.
_CHAIN_VARIABLES = {
    "AWS_PROFILE": "profile",
    "AWS_CONFIG_FILE": "config_file",
    "AWS_SHARED_CREDENTIALS_FILE": "credentials_file",
    "AWS_WEB_IDENTITY_TOKEN_FILE": "web_identity_token_file",
    "AWS_ROLE_ARN": "role_arn",
    "AWS_ROLE_SESSION_NAME": "role_session_name",
    "AWS_EC2_METADATA_DISABLED": "ec2_metadata_disabled",
    "AWS_METADATA_SERVICE_TIMEOUT": "metadata_service_timeout",
    "AWS_METADATA_SERVICE_NUM_ATTEMPTS": "metadata_service_num_attempts",
}


def load_default_chain(environ: Mapping[str, str]) -> tuple[AwsCredentials, str] | None:
    """The runner's own credentials through botocore's default chain, or None.

    Only ``auth: ambient`` comes here: it is the one place that reads a profile,
    ``AWS_WEB_IDENTITY_TOKEN_FILE`` (EKS IRSA), container or instance metadata.
    The chain's variables are taken from the run's environment; the second value
    names the method (e.g. ``shared-credentials-file``, ``iam-role``).
    """
    from botocore.credentials import ContainerProvider, EnvProvider, InstanceMetadataProvider

    session = botocore.session.Session()
    for variable, name in _CHAIN_VARIABLES.items():
        value = environ.get(variable, "")
        if value and variable in AMBIENT_FILE_VARIABLES:
            # A file a step on the runner named: where the action's container sees it (the
            # config refused one it cannot see).
            value = container_path(value, environ) or value
        if value:
            session.set_config_variable(name, value)
    resolver = session.get_component("credential_provider")
    # The providers that read variables themselves get the run's environment too.
    run_environ = dict(environ)
    metadata_disabled = environ.get("AWS_EC2_METADATA_DISABLED", "").lower() == "true"
    providers: list[Any] = []
    for provider in resolver.providers:
        if isinstance(provider, EnvProvider):
            provider = EnvProvider(environ=run_environ)
        elif isinstance(provider, ContainerProvider):
            provider = ContainerProvider(environ=run_environ)
        elif isinstance(provider, InstanceMetadataProvider) and metadata_disabled:
            continue
        providers.append(provider)
    resolver.providers = providers
    found = resolver.load_credentials()
    if found is None:
        return None
    frozen = found.get_frozen_credentials()
    return (
        AwsCredentials(
            access_key_id=frozen.access_key,
            secret_access_key=frozen.secret_key,
            session_token=frozen.token or "",
        ),
        str(getattr(found, "method", "") or "default chain"),
    )


class AwsClients:
    """Builds and caches botocore clients for one region and endpoint."""

    def __init__(
        self,
        config: LambdaConfig,
        *,
        environ: Mapping[str, str],
        on_mutation: Callable[[str, str], None] = lambda _operation, _request_id: None,
        max_attempts: int | None = None,
    ) -> None:
        self.config = config
        self._on_mutation = on_mutation
        self._session = botocore.session.Session(session_vars=_isolated_session_variables())
        self._session.register("after-call", self._after_call)
        self._session.register("after-call-error", _name_the_operation)
        self._verify: str | None = environ.get("AWS_CA_BUNDLE") or None
        self._base_config = Config(
            retries={"mode": "standard", "max_attempts": max_attempts or MAX_ATTEMPTS},
            connect_timeout=10,
            read_timeout=60,
            user_agent_extra=f"pmcp-deploy-action/{__version__}",
        )
        self._cache: dict[tuple[str, AwsCredentials | None, bool], Any] = {}

    def _after_call(self, **kwargs: Any) -> None:
        model = kwargs.get("model")
        parsed = kwargs.get("parsed") or {}
        name = str(getattr(model, "name", ""))
        if not name or name.startswith(_READ_PREFIXES):
            return
        metadata = parsed.get("ResponseMetadata", {}) if isinstance(parsed, dict) else {}
        request_id = str(metadata.get("RequestId", ""))
        self._on_mutation(name, request_id)

    def _checked(self, client: Any) -> Any:
        """``client``, refusing answers cut short (see the module docstring)."""
        client.meta.events.register(
            "before-parse", partial(_whole_answer, str(client.meta.endpoint_url))
        )
        return client

    def anonymous(self, service: str) -> Any:
        """An unsigned client (STS AssumeRoleWithWebIdentity needs no credentials)."""
        key: tuple[str, AwsCredentials | None, bool] = (service, None, False)
        if key not in self._cache:
            self._cache[key] = self._checked(
                self._session.create_client(
                    service,
                    region_name=self.config.region,
                    endpoint_url=self.config.endpoint_for(service),
                    verify=self._verify,
                    config=self._base_config.merge(Config(signature_version=botocore.UNSIGNED)),
                )
            )
        return self._cache[key]

    def client(self, service: str, credentials: AwsCredentials, *, once: bool = False) -> Any:
        """A client signing with ``credentials``; ``once``: it sends each call once (for a
        call that is not idempotent, re-sent only after a read proves it did not happen)."""
        key: tuple[str, AwsCredentials | None, bool] = (service, credentials, once)
        if key not in self._cache:
            config = self._base_config
            if once:
                config = config.merge(Config(retries={"mode": "standard", "total_max_attempts": 1}))
            self._cache[key] = self._checked(
                self._session.create_client(
                    service,
                    region_name=self.config.region,
                    endpoint_url=self.config.endpoint_for(service),
                    verify=self._verify,
                    aws_access_key_id=credentials.access_key_id,
                    aws_secret_access_key=credentials.secret_access_key,
                    aws_session_token=credentials.session_token or None,
                    config=config,
                )
            )
        return self._cache[key]


def _name_the_operation(event_name: str, exception: BaseException, **_: Any) -> None:
    """Put the operation on a failure that got no AWS answer (a ClientError has its own)."""
    if not isinstance(exception, ClientError):
        setattr(exception, OPERATION, event_name.rsplit(".", 1)[-1])
