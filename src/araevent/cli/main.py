"""The ``araevent`` command: one entry point that dispatches to sub-commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from araevent import __version__
from araevent.cli import data


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="araevent",
        description="Tag actors, places, dates and event triggers in Arabic news text.",
    )
    parser.add_argument("--version", action="version", version=f"araevent {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    data.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
