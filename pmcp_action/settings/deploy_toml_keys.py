"""The keys cargo-pmcp's ``.pmcp/deploy.toml`` schema knows, and warnings for the others.

An unknown key is never an error (newer cargo-pmcp versions add keys), but it is
never silently ignored either: each gets a warning with its file and line, and
the closest known key when there is one ("did you mean memory_mb?"). The keys a
target declares as fallbacks (``Fallback(config=...)``) count as known too.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from ..errors import Problem
from .deploy_toml import DeployConfig

__all__ = ["KNOWN_KEYS", "unknown_key_warnings"]

#: Table -> its keys (cargo-pmcp's schema); None = free-form (names chosen by the user).
KNOWN_KEYS: Mapping[str, frozenset[str] | None] = MappingProxyType(
    {
        "target": frozenset({"type", "version"}),
        "aws": frozenset({"region", "account_id", "role_arn", "architecture", "profile"}),
        "gcp": frozenset({"project_id", "region", "repository"}),
        "azure": frozenset(
            {"resource_group", "environment", "location", "target_port", "min_replicas"}
        ),
        "server": frozenset(
            {
                "name",
                "memory_mb",
                "timeout_seconds",
                "reserved_concurrency",
                "memory",
                "cpu",
                "ingress",
                "allow_unauthenticated",
                "max_instances",
                "min_instances",
                "binary",
                "mcp_path",
                "ephemeral_storage_mb",
            }
        ),
        "environment": None,
        "secrets": None,
        "auth": frozenset(
            {
                "enabled",
                "provider",
                "user_pool_id",
                "client_id",
                "callback_urls",
                "cognito",
                "oidc",
                "dcr",
                "scopes",
            }
        ),
        "auth.cognito": frozenset(
            {
                "user_pool_id",
                "user_pool_name",
                "resource_server_id",
                "social_providers",
                "mfa",
                "access_token_ttl",
                "refresh_token_ttl",
                "domain",
            }
        ),
        "auth.oidc": frozenset(
            {
                "provider_type",
                "issuer",
                "client_id",
                "client_secret",
                "audience",
                "jwks_url",
                "scopes",
            }
        ),
        "auth.dcr": frozenset(
            {"enabled", "public_client_patterns", "default_scopes", "allowed_scopes"}
        ),
        "auth.scopes": None,
        "observability": frozenset(
            {"log_retention_days", "enable_xray", "create_dashboard", "alarms"}
        ),
        "observability.alarms": frozenset({"error_threshold", "latency_threshold_ms"}),
        "api_gateway": frozenset({"rate_limit", "burst_limit"}),
        "assets": frozenset({"include", "exclude", "base_dir"}),
        "composition": frozenset({"tier", "allow_composition", "internal_only", "description"}),
        "iam": frozenset({"tables", "buckets", "statements"}),
        "widgets": None,
        "post_deploy_tests": frozenset(
            {"enabled", "checks", "apps_mode", "on_failure", "timeout_seconds", "warmup_grace_ms"}
        ),
        "layout": frozenset({"kind", "primary", "path_deps"}),
        "build": frozenset({"features", "no_default_features"}),
        "runtime": frozenset({"base", "apt_packages"}),
        "metadata": None,
    }
)


def _label(dotted: str) -> str:
    table, _, key = dotted.rpartition(".")
    return f"[{table}].{key}" if table else f"[{key}]"


def unknown_key_warnings(config: DeployConfig, declared: Iterable[str] = ()) -> list[Problem]:
    """One warning per table or key neither cargo-pmcp's schema nor a target knows."""
    known: dict[str, set[str] | None] = {
        table: (set(keys) if keys is not None else None) for table, keys in KNOWN_KEYS.items()
    }
    for dotted in declared:
        table, _, key = dotted.rpartition(".")
        if not table:
            continue
        entry = known.setdefault(table, set())
        if entry is not None:
            entry.add(key)
    warnings: list[Problem] = []
    for dotted in config.keys:
        table, _, key = dotted.rpartition(".")
        if any(dotted.startswith(f"{free}.") for free, keys in known.items() if keys is None):
            continue
        if not table:
            if key in known:
                continue
            candidates = [name for name in known if "." not in name]
            what = "unknown table"
        else:
            keys = known.get(table)
            if keys is None and table in known:
                continue
            if table not in known or keys is None:
                continue  # a table inside an unknown table: the table itself is reported
            if key in keys or f"{table}.{key}" in known:
                continue
            candidates = sorted(keys)
            what = "unknown key"
        close = difflib.get_close_matches(key, candidates, n=1, cutoff=0.7)
        hint = f"did you mean {close[0]}?" if close else "it is ignored"
        where = config.where(dotted) if table else config.where(key)
        warnings.append(
            Problem(where, f"{what} {_label(dotted) if table else '[' + key + ']'}", hint)
        )
    return warnings
