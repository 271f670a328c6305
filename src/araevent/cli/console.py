"""How ``araevent train`` logs to a terminal: messages on stderr without logger names and
timestamps (those stay in the run's ``train.log``), warnings and errors marked as such."""

from __future__ import annotations

import logging
import sys


class ConsoleFormatter(logging.Formatter):
    """``message`` for information, ``warning: message`` and ``error: message`` otherwise."""

    def format(self, record: logging.LogRecord) -> str:
        message = super().format(record)
        if record.levelno >= logging.ERROR:
            return f"error: {message}"
        if record.levelno >= logging.WARNING:
            return f"warning: {message}"
        return message


def error_line(exc: BaseException) -> str:
    """The one line a command prints for an error it ends on. An ``OSError`` from ``open`` reads
    ``[Errno 2] No such file or directory: 'x'``; a person needs the path first and the reason
    after it, as the loaders' own errors give them."""
    if isinstance(exc, FileNotFoundError) and exc.filename is not None:
        return f"error: {exc.filename}: no such file"
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"error: {exc.filename}: {exc.strerror[0].lower()}{exc.strerror[1:]}"
    return f"error: {exc}"


def print_error(exc: BaseException) -> None:
    """:func:`error_line` on stderr."""
    print(error_line(exc), file=sys.stderr)


def progress_wanted(asked: bool = True) -> bool:
    """Whether a command draws a progress bar: when asked and stderr is a terminal. In a log
    file a bar's ``\\r`` updates are noise that buries the lines a person reads."""
    return asked and sys.stderr.isatty()
