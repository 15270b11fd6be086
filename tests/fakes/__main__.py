"""Serve named emulators on loopback until SIGTERM or SIGINT.

    python -m tests.fakes serve oidc [pmcp-run aws-lambda ...] [--port-file F] [--host H] [--tls]

The names are those of the emulators the modules of tests.fakes declare (see
tests.fakes.emulators). Prints one JSON line mapping each name to its base URL, e.g.
``{"oidc": "http://127.0.0.1:40123"}`` (an emulator of several servers adds
``"<name>/<part>"`` entries), and writes the same line to ``--port-file``
(atomically, so a poller never reads half of it). With ``--tls`` the line also
has ``"ca_bundle": "/tmp/.../ca.pem"``. Each fake can be steered through its
``/__fake__/`` control API (see tests.fakes.server).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from contextlib import ExitStack
from pathlib import Path

from .emulators import EmulatorError, emulators


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve fakes until SIGTERM/SIGINT")
    known = emulators()
    serve.add_argument(
        "names",
        nargs="+",
        choices=sorted(known),
        metavar="NAME",
        help="; ".join(f"{name}: {emulator.summary}" for name, emulator in known.items()),
    )
    serve.add_argument("--port-file", type=Path, help="also write the JSON line here")
    serve.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    serve.add_argument("--tls", action="store_true", help="https with a throwaway CA")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if len(set(args.names)) != len(args.names):
        print("each fake can be served once", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())

    known = emulators()
    with ExitStack() as stack:
        urls: dict[str, str] = {}
        for name in args.names:
            try:
                running = stack.enter_context(known[name].start(host=args.host, tls=args.tls))
            except EmulatorError as exc:
                print(f"{name}: {exc}", file=sys.stderr)
                return 2
            urls.update(running.urls)
        line = json.dumps(urls)
        if args.port_file is not None:
            tmp = args.port_file.with_name(args.port_file.name + ".tmp")
            tmp.write_text(line + "\n")
            os.replace(tmp, args.port_file)
        print(line, flush=True)
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
