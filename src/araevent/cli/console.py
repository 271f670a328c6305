"""How ``araevent train`` logs to a terminal: messages on stderr without logger names and
timestamps (those stay in the run's ``train.log``), warnings and errors marked as such."""

from __future__ import annotations

import logging


class ConsoleFormatter(logging.Formatter):
    """``message`` for information, ``warning: message`` and ``error: message`` otherwise."""

    def format(self, record: logging.LogRecord) -> str:
        message = super().format(record)
        if record.levelno >= logging.ERROR:
            return f"error: {message}"
        if record.levelno >= logging.WARNING:
            return f"warning: {message}"
        return message
