"""`python -m bench [--scale small|full] [--out DIR]`: load figures for redress."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from bench.runner import run_bench
from bench.scales import SCALES

DEFAULT_OUT = Path(__file__).resolve().parent / "out"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument(
        "--dev-server-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="extra argument for `temporal server start-dev` (repeatable), "
        "e.g. --dev-server-arg=--sqlite-pragma --dev-server-arg=journal_mode=wal",
    )
    args = parser.parse_args(argv)

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    # SIGTERM stops the stack like Ctrl-C; SIGINT explicitly, as a background job ignores it.
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    try:
        asyncio.run(run_bench(SCALES[args.scale], args.out, server_args=args.dev_server_arg))
    except KeyboardInterrupt:
        print("interrupted; everything the bench started has been stopped", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
