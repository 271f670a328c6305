"""Reading text files so that encoding problems are reported with their line."""

from __future__ import annotations

import sys
from pathlib import Path

from araevent.errors import DataFormatError, LoadReport

STDIN = "-"  # the path that names standard input, as command-line tools do


def is_stdin(path: str | Path) -> bool:
    return str(path) == STDIN


def source_name(path: str | Path) -> str | Path:
    """What errors and reports call ``path``: ``stdin`` for ``-``."""
    return "stdin" if is_stdin(path) else path


def _read_bytes(path: str | Path) -> tuple[bytes, str | Path]:
    """The bytes of ``path`` (``-``: all of standard input) and the name errors give them."""
    if is_stdin(path):
        stdin = getattr(sys.stdin, "buffer", None)  # a text-only stdin (notebooks) has none
        raw = stdin.read() if stdin is not None else sys.stdin.read().encode("utf-8", "replace")
        return raw, source_name(path)
    return Path(path).read_bytes(), path


def read_lines(
    path: str | Path, *, strict: bool = True, report: LoadReport | None = None
) -> list[str]:
    """The file's lines (``-``: standard input's) without line endings, a leading BOM removed.

    Bytes that are not UTF-8 raise :class:`DataFormatError` naming the line and byte column;
    in lenient mode they become U+FFFD and are counted in ``report``.
    """
    raw, source = _read_bytes(path)
    return _decode_lines(raw, source, strict=strict, report=report)


def _decode_lines(
    raw: bytes, source: str | Path, *, strict: bool = True, report: LoadReport | None = None
) -> list[str]:
    """The lines of bytes already read, ``source`` naming them in errors."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    lines = []
    for number, chunk in enumerate(raw.split(b"\n"), start=1):
        if chunk.endswith(b"\r"):
            chunk = chunk[:-1]
        try:
            lines.append(chunk.decode("utf-8"))
        except UnicodeDecodeError as exc:
            bad = chunk[exc.start : exc.end]
            detail = f"bytes that are not UTF-8 at column {exc.start + 1}: {bad!r}"
            if strict:
                raise DataFormatError(detail, path=source, line=number) from None
            if report is not None:
                report.add("invalid UTF-8 replaced", detail, path=source, line=number)
            lines.append(chunk.decode("utf-8", errors="replace"))
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def read_text(path: str | Path, *, strict: bool = True, report: LoadReport | None = None) -> str:
    """The whole file (``-``: standard input) as text, exactly (no newline translation), checked
    like :func:`read_lines`.

    Standoff formats count offsets in the file's own characters, ``\\r`` included.
    """
    raw, source = _read_bytes(path)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        detail = f"bytes that are not UTF-8: {raw[exc.start : exc.end]!r}"
        if strict:
            raise DataFormatError(detail, path=source, line=line) from None
        if report is not None:
            report.add("invalid UTF-8 replaced", detail, path=source, line=line)
        return raw.decode("utf-8", errors="replace")


def package_file(relative: str) -> Path:
    """A file shipped inside the installed package (``sample/train.jsonl``): found through the
    package, not the working folder, so the default corpus works from anywhere."""
    from importlib.resources import files

    path = Path(str(files("araevent").joinpath(relative)))
    if not path.exists():
        raise FileNotFoundError(f"{relative}: not in the installed araevent package ({path})")
    return path
