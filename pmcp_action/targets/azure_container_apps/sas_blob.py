"""Azure Blob Storage through a SAS URL: one Put Blob upload, and a growing blob followed.

The SAS in the URL is the only credential (no bearer token is sent: the ARM token must
not reach storage), and it is a secret: :func:`mask_sas` registers the URL and its
signature the moment it is known, and no URL is ever put in a message or an error
(they name the host, at most). Storage errors are XML with ``x-ms-error-code``
(:class:`.failures.StorageEnvelope`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import httpx

from ...artifact.files import open_regular, read_chunks
from ...ci.base import Platform
from ...deadline import Deadline, poll_until
from ...errors import PmcpActionError
from ...http import RetryPolicy, transient_reason
from ...redact import redact_url
from ...rest import RestApi
from ...urls import check_endpoint
from .failures import StorageEnvelope

__all__ = ["BLOB_VERSION", "LogFollower", "mask_sas", "put_block_blob"]

#: The storage service version sent with every blob request (az sends one too).
BLOB_VERSION = "2021-08-06"
#: A log is read in pieces of at most this size (a poll reads one).
_WINDOW = 4 * 1024 * 1024
#: Sends of an upload that met a passing failure (the retrying client's own number).
_UPLOAD_ATTEMPTS = RetryPolicy().attempts
#: A fresh SAS refused this many times in a row: the log is not readable from here.
_REFUSALS = 3


def mask_sas(console: Platform, url: str) -> None:
    """Keep a SAS URL (whole, its query, its signature) out of everything written."""
    console.mask(url)
    query = urlsplit(url).query
    console.mask(query)
    for sig in parse_qs(query).get("sig", []):
        console.mask(sig)
    for raw in re.findall(r"(?:^|&)sig=([^&]+)", query):
        console.mask(raw)
        console.mask(unquote(raw))


def blob_storage(client: httpx.Client) -> RestApi:
    """Blob Storage through SAS URLs (each call names the whole URL; no bearer token)."""
    return RestApi(client, "", envelope=StorageEnvelope())


def put_block_blob(
    client: httpx.Client,
    url: str,
    path: Path,
    *,
    what: str,
    deadline: Deadline,
    sleep: Callable[[float], None],
    on_retry: Callable[[str], None],
) -> None:
    """``PUT`` the file at ``path`` as a block blob, streamed, sent again on a passing failure.

    A stream is sent once by the client, so this loop resends it: as often as the client
    would retry a call of its own, then the last failure ends the upload (a host that does
    not resolve or refuses every connection is a network error, not a wait until the
    deadline).
    """
    check_endpoint(redact_url(url), what)
    with open_regular(path, what) as handle:
        size = os.fstat(handle.fileno()).st_size

    def body() -> Iterator[bytes]:
        with open_regular(path, what) as handle:
            yield from read_chunks(handle, what, deadline, limit=size)

    storage = blob_storage(client)
    failures = 0

    def passing(exc: Exception) -> str | None:
        nonlocal failures
        reason = transient_reason(exc)
        if reason is None:
            return None
        failures += 1
        return reason if failures < _UPLOAD_ATTEMPTS else None

    def attempt() -> bool:
        storage.call(
            "PUT",
            url,
            what,
            content=body(),
            headers={
                "x-ms-blob-type": "BlockBlob",
                "x-ms-version": BLOB_VERSION,
                "Content-Type": "application/gzip",
                "Content-Length": str(size),
            },
            once=True,  # a stream is sent once; this loop resends
        )
        return True

    poll_until(
        attempt,
        deadline=deadline,
        what=what,
        sleep=sleep,
        tolerate=passing,
        on_tolerated=on_retry,
        initial_delay=1.0,
        max_delay=10.0,
    )


class LogFollower:
    """A log blob read as it grows: each :meth:`poll` prints the lines new since the last.

    Reading is best effort: a blob not written yet (404), nothing new (416) or a passing
    failure waits for the next poll; a refused SAS (403) asks for a new link. The lines
    also go to ``log_path``, whose tail an error shows.
    """

    def __init__(
        self,
        client: httpx.Client,
        link: Callable[[], str],
        log_path: Path,
        console: Platform,
        what: str,
    ) -> None:
        self.storage = blob_storage(client)
        self._new_link = link
        self.log_path = log_path
        self.console = console
        self.what = what
        self._link = ""
        self._refused = 0
        self._broken = False
        self.offset = 0
        self._pending = b""
        log_path.write_bytes(b"")

    def poll(self) -> int:
        """Print what is new (at most :data:`_WINDOW` bytes); how many bytes were."""
        if self._broken:
            return 0
        window = f"bytes={self.offset}-{self.offset + _WINDOW - 1}"
        try:
            if not self._link:
                self._link = self._new_link()
                check_endpoint(redact_url(self._link), self.what)
            response = self.storage.send(
                "GET",
                self._link,
                f"reading {self.what}",
                headers={"Range": window, "x-ms-version": BLOB_VERSION},
            )
        except PmcpActionError as exc:
            if transient_reason(exc) is None:
                self._give_up(exc.message)
            return 0
        if response.status_code == 403:
            self._link = ""
            self._refused += 1
            if self._refused >= _REFUSALS:
                self._give_up(self._refused_by(response))
            return 0
        self._refused = 0
        if response.status_code in (404, 416) or response.status_code >= 500:
            return 0
        if response.status_code >= 400:
            self._give_up(self._refused_by(response))
            return 0
        data = response.content
        if response.status_code == 200:  # the whole blob: the Range was not honoured
            data = data[self.offset :]
        self.offset += len(data)
        self._emit(data)
        return len(data)

    def _refused_by(self, response: httpx.Response) -> str:
        return self.storage.envelope.error(response, f"reading {self.what}").message

    def _give_up(self, why: str) -> None:
        self._broken = True
        self.console.warning(f"{why} The build goes on; its log is not shown here.")

    def drain(self, attempts: int = 256) -> None:
        """After the run ended: read until the rest has come, then print the last line."""
        for _ in range(attempts):
            if self.poll() < _WINDOW:
                break
        self._emit(b"", final=True)

    def _emit(self, data: bytes, *, final: bool = False) -> None:
        *lines, self._pending = (self._pending + data).split(b"\n")
        if final and self._pending:
            lines.append(self._pending)
            self._pending = b""
        if not lines:
            return
        with self.log_path.open("ab") as log:
            for raw in lines:
                line = raw.rstrip(b"\r").decode("utf-8", "replace")
                log.write(line.encode() + b"\n")
                self.console.info(line)
