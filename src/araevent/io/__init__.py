"""Annotation loaders and writers. Every format reads into and writes from Documents.

>>> corpus = load("train.conll", label_map="anercorp", mode="lenient")   # doctest: +SKIP
>>> corpus.report.lines()                                                 # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

from araevent.data.document import Document
from araevent.data.labels import LabelSchema
from araevent.errors import DataFormatError, LoadReport
from araevent.io.brat import read_brat, write_brat
from araevent.io.builder import DocumentBuilder, Mode, RawSpan, snap_to_words
from araevent.io.conll import ConllOptions, read_conll, write_conll
from araevent.io.files import is_notice, is_stdin, source_name
from araevent.io.jsonl import read_jsonl, write_doccano, write_jsonl
from araevent.io.labelmap import LabelMap
from araevent.io.labelstudio import read_labelstudio, write_labelstudio

FORMATS = ("jsonl", "doccano", "labelstudio", "conll", "brat")
WRITE_FORMATS = ("jsonl", "doccano", "labelstudio", "conll", "brat")
_CONLL_SUFFIXES = {".conll", ".conllu", ".bio", ".iob", ".iob2", ".bioes", ".tsv", ".txt"}


@dataclass
class Corpus(Sequence[Document]):
    """Loaded documents with the report of everything the load repaired, mapped or skipped."""

    documents: list[Document]
    report: LoadReport = field(default_factory=LoadReport)

    @overload
    def __getitem__(self, index: int) -> Document: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Document]: ...
    def __getitem__(self, index: int | slice) -> Document | Sequence[Document]:
        return self.documents[index]

    def __len__(self) -> int:
        return len(self.documents)

    def __iter__(self) -> Iterator[Document]:
        return iter(self.documents)


def detect_format(path: str | Path) -> str:
    """Format from the path: a folder of ``.ann`` files is brat, ``.jsonl`` is JSONL, etc.

    Standard input (``-``) is JSONL, what ``araevent predict`` writes, unless a format is given.
    """
    if is_stdin(path):
        return "jsonl"
    path = Path(path)
    if path.is_dir():
        return "brat" if any(path.glob("*.ann")) else "conll"
    suffix = path.suffix.lower()
    if suffix == ".ann" or (suffix == ".txt" and path.with_suffix(".ann").is_file()):
        return "brat"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        return "labelstudio"
    if suffix in _CONLL_SUFFIXES:
        return "conll"
    raise DataFormatError(f"cannot tell the format from the name; pass one of {FORMATS}", path=path)


def load(
    path: str | Path,
    format: str | None = None,
    *,
    mode: Mode = "strict",
    schema: LabelSchema | None = None,
    label_map: str | Mapping[str, str | None] | LabelMap | None = None,
    word_aligned: bool = True,
    as_written: bool = False,
    conll: ConllOptions | None = None,
) -> Corpus:
    """Read annotated documents from ``path`` (a file, a folder for brat and CoNLL, or ``-``
    for standard input in the single-file formats).

    ``mode="strict"`` raises :class:`DataFormatError` at the first problem, naming the file, line
    and reason; ``"lenient"`` repairs or skips and records each case in ``Corpus.report``.
    ``schema`` restricts labels (after ``label_map``, which renames or drops them).
    ``word_aligned`` requires spans to start and end on the guideline's word boundaries.
    ``as_written`` reads predictions to be scored: offsets are kept as they are, never snapped
    to words or moved to where a span's stated text is found.
    """
    format = format or detect_format(path)
    builder = DocumentBuilder(
        path=source_name(path),
        mode=mode,
        schema=schema,
        label_map=None if label_map is None else LabelMap.resolve(label_map),
        word_aligned=word_aligned,
        as_written=as_written,
    )
    documents = list(_read(Path(path), format, builder, conll))
    return Corpus(documents, builder.report)


def _read(
    path: Path, format: str, builder: DocumentBuilder, conll: ConllOptions | None
) -> Iterator[Document]:
    if is_stdin(path):
        if format == "brat":
            raise ValueError("brat is a folder or a .txt/.ann pair: it cannot come on stdin")
    elif not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if format in ("jsonl", "doccano"):
        yield from read_jsonl(path, builder, utf16=format == "doccano")
    elif format == "labelstudio":
        yield from read_labelstudio(path, builder)
    elif format == "brat":
        yield from read_brat(path, builder)
    elif format == "conll":
        folder = path.is_dir()
        for file in _conll_files(path, builder):
            yield from read_conll(file, builder, conll, f"{file.stem}-" if folder else "")
    else:
        raise ValueError(f"unknown format {format!r}; expected one of {FORMATS}")


def _conll_files(path: Path, builder: DocumentBuilder) -> list[Path]:
    if not path.is_dir():
        return [path]
    files = []
    for file in sorted(p for p in path.iterdir() if p.is_file()):
        if is_notice(file) or file.suffix.lower() not in _CONLL_SUFFIXES:
            builder.report.add("files that are not CoNLL data skipped", file.name)
        else:
            files.append(file)
    return files


_WRITE_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "labelstudio", "": "brat"}
_WRITERS: dict[str, Callable[..., int]] = {
    "jsonl": write_jsonl,
    "doccano": write_doccano,
    "labelstudio": write_labelstudio,
    "conll": write_conll,
    "brat": write_brat,
}


def save(
    documents: Iterable[Document], path: str | Path, format: str | None = None, **options: Any
) -> int:
    """Write documents in ``format`` (default from the suffix as :func:`detect_format` reads it:
    ``.json`` is Label Studio; a suffix-less path is brat). doccano JSONL must be asked for."""
    if format is None:
        suffix = Path(path).suffix.lower()
        format = _WRITE_SUFFIXES.get(suffix, "conll" if suffix in _CONLL_SUFFIXES else None)
        if format is None:
            raise ValueError(f"cannot tell the format of {path}; pass one of {WRITE_FORMATS}")
    writer = _WRITERS.get(format)
    if writer is None:
        raise ValueError(f"cannot write {format!r}; expected one of {WRITE_FORMATS}")
    return writer(documents, path, **options)


__all__ = [
    "FORMATS",
    "WRITE_FORMATS",
    "ConllOptions",
    "Corpus",
    "DataFormatError",
    "DocumentBuilder",
    "LabelMap",
    "LoadReport",
    "RawSpan",
    "detect_format",
    "load",
    "save",
    "snap_to_words",
    "write_brat",
    "write_conll",
    "write_doccano",
    "write_jsonl",
    "write_labelstudio",
]
