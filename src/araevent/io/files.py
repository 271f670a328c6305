"""Reading text files so that encoding problems are reported with their line."""

from __future__ import annotations

import gzip
import io
import sys
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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


@contextmanager
def _open_binary(path: str | Path) -> Iterator[Iterable[bytes]]:
    """``path`` opened for reading bytes: standard input for ``-``, decompressed for ``.gz``."""
    if is_stdin(path):
        stdin = getattr(sys.stdin, "buffer", None)  # a text-only stdin (notebooks) has none
        yield (
            stdin if stdin is not None else io.BytesIO(sys.stdin.read().encode("utf-8", "replace"))
        )
    elif str(path).lower().endswith(".gz"):
        with gzip.open(path, "rb") as stream:
            yield stream
    else:
        with open(path, "rb") as stream:
            yield stream


def iter_lines(
    path: str | Path, *, strict: bool = True, report: LoadReport | None = None
) -> Iterator[str]:
    """:func:`read_lines` one line at a time, so a corpus larger than memory streams through.

    A ``.gz`` file is decompressed on the fly; a truncated or corrupt one is a
    :class:`DataFormatError` naming it and the last line read.
    """
    source = source_name(path)
    number = 0
    with _open_binary(path) as stream:
        try:
            for number, chunk in enumerate(stream, start=1):
                if number == 1 and chunk.startswith(b"\xef\xbb\xbf"):
                    chunk = chunk[3:]
                yield _decode_line(chunk.rstrip(b"\n"), source, number, strict, report)
        except (OSError, EOFError, zlib.error) as exc:  # gzip's errors for a damaged file
            # line 0: not even the first line came out (not gzip at all, or damaged at once)
            raise DataFormatError(
                f"cannot decompress: {exc}", path=source, line=number or None
            ) from None


def read_lines(
    path: str | Path, *, strict: bool = True, report: LoadReport | None = None
) -> list[str]:
    """The file's lines (``-``: standard input's) without line endings, a leading BOM removed;
    ``.gz`` files are decompressed.

    Bytes that are not UTF-8 raise :class:`DataFormatError` naming the line and byte column;
    in lenient mode they become U+FFFD and are counted in ``report``.
    """
    return list(iter_lines(path, strict=strict, report=report))


def _decode_line(
    chunk: bytes, source: str | Path, number: int, strict: bool, report: LoadReport | None
) -> str:
    """One line's bytes (``\\r`` of a CRLF ending dropped) as text, or the error naming it."""
    if chunk.endswith(b"\r"):
        chunk = chunk[:-1]
    try:
        return chunk.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = chunk[exc.start : exc.end]
        detail = f"bytes that are not UTF-8 at column {exc.start + 1}: {bad!r}"
        if strict:
            raise DataFormatError(detail, path=source, line=number) from None
        if report is not None:
            report.add("invalid UTF-8 replaced", detail, path=source, line=number)
        return chunk.decode("utf-8", errors="replace")


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


_NOT_DATA = ("LICENSE", "README", "COPYING")


def is_notice(file: Path) -> bool:
    """A README, LICENSE or COPYING file, which corpus folders hold beside their data."""
    return file.stem.upper().startswith(_NOT_DATA)
