"""The ``araevent`` command: one entry point that dispatches to sub-commands."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from araevent import __version__
from araevent.cli import data, evaluate, predict, select, serve


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="araevent",
        description="Tag actors, places, dates and event triggers in Arabic news text.",
    )
    parser.add_argument("--version", action="version", version=f"araevent {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    data.add_parser(subparsers)
    evaluate.add_parsers(subparsers)
    predict.add_parsers(subparsers)
    select.add_parsers(subparsers)
    serve.add_parser(subparsers)
    subparsers.add_parser(
        "train",
        help="fine-tune a model: araevent train [hydra overrides] "
        "(araevent train --help lists the config groups)",
    )
    return parser


# Sub-commands configured with hydra take hydra overrides, not argparse options.
HYDRA_COMMANDS = ("train",)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in HYDRA_COMMANDS:
        return _run_hydra(argv[0], argv[1:])
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
        sys.stdout.flush()  # a reader that has gone (``| head``) shows here, not at exit
    except BrokenPipeError:
        _drop_stdout()
        return BROKEN_PIPE
    return code


# What a shell reports for a Unix tool that the end of its pipe stopped reading (128 + SIGPIPE).
BROKEN_PIPE = 141


def _drop_stdout() -> None:
    """Point stdout at /dev/null so that the flush at exit does not raise again: the command
    ends quietly, as ``cat file | head -1`` does, with no traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (a test's capture): nothing to flush
        pass


def _run_hydra(command: str, overrides: list[str]) -> int:
    """Hand the overrides to the command's ``@hydra.main`` (which reads ``sys.argv``)."""
    from araevent.cli import train
    from araevent.cli.overrides import unknown_setting

    problem = unknown_setting(train.CONFIG_DIR, "train", overrides)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    entry = {"train": train.main}[command]
    saved = sys.argv
    sys.argv = [f"araevent {command}", *overrides]
    try:
        entry()
    finally:
        sys.argv = saved
    return 0


if __name__ == "__main__":
    sys.exit(main())
