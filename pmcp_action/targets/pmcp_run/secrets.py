"""The server's secrets in pmcp.run's secret store: read what is there, write what is
``set``, delete what is ``removed`` — before the deployment is created, which pmcp.run then
gives them to (server-side; no value is in the template or any output).

pmcp.run keeps secrets per server id, which is the deployment's ``projectName`` (the server
name), and lists only names: no fingerprint, no label saying who set one. So the action
keeps one more secret of its own for the server, :data:`RECORD` (``PMCP_ACTION_SECRETS``):
a JSON object with the ownership mark and, for each secret this action set, its scrypt
fingerprint (:mod:`pmcp_action.secrets.fingerprint`; never a value). That record is the
only value the action ever reads back (``getServerSecret``). It tells

- which given secrets are unchanged (the same fingerprint: nothing is written);
- which names this action set, so ``prune-secrets`` and ``destroy`` delete those and never
  a name someone else stored (a required name stored elsewhere counts as present, is
  reported as kept and is never deleted).

``setServerSecret`` creates or overwrites (a PUT), so it is sent again after a lost answer.
A ``deleteServerSecret`` refused after such a resend is checked against
``listServerSecrets``: the name gone means deleted. The record is written after the secrets
(also when a write fails half way, so it lists what was set). Should that write fail too, the
secrets set meanwhile are not the action's until a deploy gives them again (they are then
written again, their fingerprints unknown): never pruned or destroyed by mistake.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType

from ...ci.base import Platform
from ...errors import DeployError, PmcpActionError, RemoteApiError
from ...ownership import MANAGED_BY, OWNER
from ...secrets import SecretOutcome, SecretStatus, ServerSecrets, fingerprint, secret_outcomes
from .declaration import NAME
from .secret_api import SecretApi

__all__ = [
    "DESCRIPTION",
    "MAX_VALUE_BYTES",
    "RECORD",
    "StoredSecrets",
    "apply_secrets",
    "delete_all",
    "read_stored",
    "secret_plan",
]

#: The action's own secret: the names it set and their fingerprints.
RECORD = "PMCP_ACTION_SECRETS"
#: The description every secret the action sets carries (shown by pmcp.run's dashboard).
DESCRIPTION = f"Set by pmcp-deploy-action ({MANAGED_BY}={OWNER})"
_RECORD_DESCRIPTION = (
    f"pmcp-deploy-action's record ({MANAGED_BY}={OWNER}): the names of the secrets it set "
    "and their scrypt fingerprints, no values"
)
#: The largest value pmcp.run stores (cargo-pmcp's provider limit), in bytes; the record too.
MAX_VALUE_BYTES = 64 * 1024


@dataclass(frozen=True)
class StoredSecrets:
    """What pmcp.run holds for one server, as far as the action is concerned."""

    server_id: str
    #: Names pmcp.run holds a value for (the record left out).
    present: frozenset[str] = frozenset()
    #: Names this action set, still present, with the fingerprint it recorded.
    ours: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: pmcp.run holds :data:`RECORD`.
    recorded: bool = False
    #: :data:`RECORD` exists but is not the action's (no mark, or not its shape).
    foreign: bool = False

    @property
    def salt(self) -> str:
        return f"{NAME}/{self.server_id}"


def read_stored(api: SecretApi, server_id: str, console: Platform) -> StoredSecrets:
    """The names pmcp.run holds for ``server_id`` and the record of those the action set."""
    listed = {item.name for item in api.list(server_id) if item.has_value}
    present = frozenset(listed - {RECORD})
    if RECORD not in listed:
        return StoredSecrets(server_id, present)
    recorded = _parse_record(api.get(server_id, RECORD))
    if recorded is None:
        console.warning(
            f"pmcp.run holds a secret {RECORD} for {server_id} that pmcp-deploy-action did "
            "not write; no secret there is treated as the action's.",
            title="pmcp.run secrets",
        )
        return StoredSecrets(server_id, present, recorded=True, foreign=True)
    ours = {name: mark for name, mark in recorded.items() if name in present}
    return StoredSecrets(server_id, present, MappingProxyType(ours), recorded=True)


def _parse_record(text: str | None) -> dict[str, str] | None:
    try:
        document = json.loads(text or "")
    except ValueError:
        return None
    if not isinstance(document, dict) or document.get(MANAGED_BY) != OWNER:
        return None
    secrets = document.get("secrets")
    if not isinstance(secrets, dict):
        return None
    return {str(name): mark for name, mark in secrets.items() if isinstance(mark, str)}


def _record_text(ours: Mapping[str, str]) -> str:
    return json.dumps(
        {MANAGED_BY: OWNER, "secrets": dict(sorted(ours.items()))}, separators=(",", ":")
    )


def secret_plan(secrets: ServerSecrets, stored: StoredSecrets) -> tuple[SecretOutcome, ...]:
    """Each secret's status: given ones set or unchanged; the action's others kept (or
    removed by ``prune-secrets``); a required one stored by someone else kept."""
    known = dict(stored.ours)
    for name in secrets.required:
        if name in stored.present and name not in secrets.values:
            known.setdefault(name, "")
    return secret_outcomes(secrets, known, salt=stored.salt)


def apply_secrets(
    api: SecretApi,
    stored: StoredSecrets,
    secrets: ServerSecrets,
    outcomes: tuple[SecretOutcome, ...],
    console: Platform,
) -> None:
    """Write each ``set`` secret, delete each ``removed`` one, then the record; nothing at
    all when every secret is unchanged or kept."""
    setting = [o.name for o in outcomes if o.status is SecretStatus.SET]
    removing = [o.name for o in outcomes if o.status is SecretStatus.REMOVED]
    if not setting and not removing:
        console.info("Secrets: nothing to write (none is new, changed or to be removed).")
        return
    server = stored.server_id
    if stored.foreign:
        raise DeployError(
            f"pmcp.run holds a secret {RECORD} for {server} that pmcp-deploy-action did not "
            "write, and the action keeps its own record under that name; nothing was changed.",
            target=NAME,
            remediation=f"Delete it (`cargo pmcp secret delete {server}/{RECORD} --target "
            "pmcp`) if no one needs it, or rename the secret, then deploy again.",
        )
    marks = {name: _mark(secrets, stored, name) for name in setting}
    final = {k: v for k, v in stored.ours.items() if k not in removing} | marks
    size = len(_record_text(final).encode())
    if size > MAX_VALUE_BYTES:
        raise DeployError(
            f"The record of the secrets this action set for {server} would take {size} bytes; "
            f"pmcp.run stores at most {MAX_VALUE_BYTES}; nothing was changed.",
            target=NAME,
            remediation="Give fewer secrets or shorter names, or set prune-secrets: true to "
            "remove the ones no longer given.",
        )
    ours = dict(stored.ours)
    with _recording(api, stored, ours, console):
        for name in setting:
            api.set(server, name, secrets.values[name], description=DESCRIPTION)
            ours[name] = marks[name]
            console.info(f"Secret {name} stored on pmcp.run for {server}.")
        for name in removing:
            _delete(api, server, name)
            del ours[name]
            console.info(f"Secret {name} deleted from pmcp.run for {server} (prune-secrets).")


def delete_all(api: SecretApi, stored: StoredSecrets, console: Platform) -> tuple[str, ...]:
    """Delete every secret this action set for the server, then its record (destroy)."""
    if stored.foreign:
        console.warning(
            f"The secrets of {stored.server_id} are left as they are: {RECORD} is not this "
            "action's record, so none of them is known to be the action's.",
            title="pmcp.run secrets",
        )
        return ()
    if not stored.recorded:
        return ()
    ours = dict(stored.ours)
    with _recording(api, stored, ours, console):
        for name in sorted(stored.ours):
            _delete(api, stored.server_id, name)
            del ours[name]
            console.info(f"Secret {name} deleted from pmcp.run for {stored.server_id}.")
    if not stored.ours:  # a record listing nothing: nothing above wrote it
        _delete(api, stored.server_id, RECORD)
    return tuple(sorted(stored.ours))


def _mark(secrets: ServerSecrets, stored: StoredSecrets, name: str) -> str:
    return fingerprint(secrets.values[name], salt=f"{stored.salt}/{name}")


@contextmanager
def _recording(
    api: SecretApi, stored: StoredSecrets, ours: dict[str, str], console: Platform
) -> Iterator[None]:
    """After the block has changed ``ours`` (the names the action owns), write the record,
    or delete it when none is left. When the block fails half way the record is written all
    the same (a failure then is a warning: the block's error is the one reported)."""
    try:
        yield
    except PmcpActionError:
        if ours != dict(stored.ours):
            try:
                _save(api, stored, ours)
            except PmcpActionError as lost:
                console.warning(
                    f"The record {RECORD} of {stored.server_id} was not updated ({lost.message}); "
                    "the secrets set meanwhile are written again by the next deploy.",
                    title="pmcp.run secrets",
                )
        raise
    if ours != dict(stored.ours):
        _save(api, stored, ours)


def _save(api: SecretApi, stored: StoredSecrets, ours: Mapping[str, str]) -> None:
    server = stored.server_id
    if ours:
        api.set(server, RECORD, _record_text(ours), description=_RECORD_DESCRIPTION)
    elif stored.recorded:
        _delete(api, server, RECORD)


def _delete(api: SecretApi, server: str, name: str) -> None:
    """Delete ``name``; a refusal for a name no longer listed means it is gone already
    (a delete sent again after its answer was lost)."""
    refused = api.delete(server, name)
    if not refused:
        return
    if name not in {item.name for item in api.list(server)}:
        return
    raise RemoteApiError(
        f"pmcp.run refused to delete the secret {name} of {server}: {refused}.",
        remediation=f"Delete it with `cargo pmcp secret delete {server}/{name} --target pmcp`, "
        "or check that the credentials may manage this server's secrets.",
    )
