"""The servers of a repository: every directory with a ``.pmcp/deploy.toml``.

A monorepo keeps one directory per server, each with its own deploy configuration (as
``cargo pmcp deploy init`` writes it), whether the servers are members of one Cargo
workspace or crates of their own. The search skips what is never a server's source: version
control, build output (``target``), ``node_modules``, other hidden directories, and
symbolic links to directories.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, Problem, ValidationError
from ..project import detect_server_name
from ..settings.deploy_toml_reading import load_deploy_config

__all__ = ["Server", "find_servers"]

_SKIPPED = frozenset({"target", "node_modules", "__pycache__"})
#: A monorepo has tens of servers; a search that finds more is searching the wrong place.
MAX_SERVERS = 256


@dataclass(frozen=True)
class Server:
    """One server of the repository, as a deploy job of the matrix receives it."""

    #: Its deployment identity: [server].name, else the crate name.
    name: str
    #: The target it deploys to.
    target: str
    #: Its directory (absolute).
    directory: Path
    #: Its directory as the deploy's working-directory input takes it (``/``-separated).
    working_directory: str
    #: Where its target came from, for messages.
    target_source: str


def _deploy_configs(root: Path) -> Iterator[Path]:
    for directory, subdirectories, _files in os.walk(root):
        here = Path(directory)
        subdirectories[:] = sorted(
            name
            for name in subdirectories
            if name not in _SKIPPED and not name.startswith(".") and not (here / name).is_symlink()
        )
        candidate = here / ".pmcp" / "deploy.toml"
        if candidate.is_file():
            yield candidate


def _shown(working_directory: Path, relative: Path) -> str:
    """The server's directory as the deploy job's working-directory takes it."""
    return Path(os.path.normpath(working_directory / relative)).as_posix()


def find_servers(
    root: Path,
    *,
    shown_root: Path,
    target: str,
    target_source: str,
    known_targets: tuple[str, ...],
) -> list[Server]:
    """Every server under ``root``, in directory order; raises :class:`ValidationError` with
    every problem (an unreadable configuration, a server without a target, two servers with
    one identity on one target).

    ``shown_root`` is ``root`` as the run was given it (the working-directory input), so the
    servers' directories read the same way. ``target``, when given, is the target of every
    server (the target input wins over ``[target].type``, as it does for a deploy).
    """
    problems: list[Problem] = []
    servers: list[Server] = []
    for path in _deploy_configs(root):
        directory = path.parent.parent
        try:
            config, _document = load_deploy_config(path)
        except ValidationError as exc:
            problems.extend(exc.problems)
            continue
        except ConfigError as exc:
            problems.append(Problem(str(path), exc.message, exc.remediation))
            continue
        chosen, source = (
            (target, target_source)
            if target
            else (
                config.target_type,
                config.where("target.type"),
            )
        )
        if not chosen:
            problems.append(
                Problem(
                    str(path),
                    "names no target ([target].type)",
                    "add [target] with type = one of "
                    + ", ".join(known_targets)
                    + ", or give the target input for every server",
                )
            )
            continue
        if chosen not in known_targets:
            problems.append(
                Problem(
                    source,
                    f"unknown target {chosen[:60]!r}",
                    "valid values: " + ", ".join(known_targets),
                )
            )
            continue
        name = config.server.name or detect_server_name(directory)
        if not name:
            problems.append(
                Problem(
                    str(path),
                    f"no server name: no [server].name, and no crate name in "
                    f"{directory / 'Cargo.toml'}",
                    "add [server] with name = the server's deployment identity",
                )
            )
            continue
        servers.append(
            Server(
                name=name,
                target=chosen,
                directory=directory,
                working_directory=_shown(shown_root, directory.relative_to(root)),
                target_source=source,
            )
        )
        if len(servers) > MAX_SERVERS:
            raise ValidationError(
                [
                    Problem(
                        "input 'working-directory'",
                        f"more than {MAX_SERVERS} directories under {root} hold a "
                        ".pmcp/deploy.toml",
                        "point working-directory at the repository's servers",
                    )
                ]
            )
    seen: dict[tuple[str, str], Server] = {}
    for server in servers:
        twin = seen.setdefault((server.name, server.target), server)
        if twin is not server:
            problems.append(
                Problem(
                    str(server.directory / ".pmcp" / "deploy.toml"),
                    f"server {server.name!r} on {server.target} is also the server in "
                    f"{twin.working_directory}: both would deploy to one place",
                    "give each a [server].name of its own",
                )
            )
    if problems:
        raise ValidationError(problems)
    return servers
