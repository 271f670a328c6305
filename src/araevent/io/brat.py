"""brat standoff: ``NAME.txt`` with ``NAME.ann`` beside it, one document per pair.

Text-bound annotations (``T1<TAB>LABEL START END<TAB>TEXT``) become spans; their offsets count
characters of the ``.txt`` file as stored (``\\r`` included). Discontinuous entities
(``START END;START END``) cannot be a single span: they are reported and skipped. Relations,
events, attributes and notes are counted and ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from araevent.data.document import Document
from araevent.errors import DataFormatError
from araevent.io.builder import DocumentBuilder, RawSpan
from araevent.io.files import is_notice, read_lines, read_text

_OFFSETS_RE = re.compile(r"^\d+ \d+(;\d+ \d+)*$")
_UNSAFE_RE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_IGNORED = {
    "R": "relations",
    "E": "events",
    "A": "attributes",
    "M": "attributes",
    "N": "normalizations",
    "#": "notes",
    "*": "equivalences",
}


def brat_pairs(path: str | Path, builder: DocumentBuilder) -> list[tuple[Path, Path]]:
    """The ``(.txt, .ann)`` pairs under a folder, or for one ``.txt``/``.ann`` file.

    A file without its partner is a problem like any other (strict: an error naming it;
    lenient: skipped and counted): an ``.ann`` alone holds annotations of a text that is not
    there, and a ``.txt`` alone a text whose annotations are not.
    """
    path = Path(path)
    if path.is_dir():
        stems = sorted({file.stem for file in [*path.glob("*.txt"), *path.glob("*.ann")]})
        candidates = [(path / f"{stem}.txt", path / f"{stem}.ann") for stem in stems]
    else:
        candidates = [(path.with_suffix(".txt"), path.with_suffix(".ann"))]
    if not candidates:
        raise DataFormatError("no brat .txt/.ann files found", path=path)
    pairs = []
    for text, ann in candidates:
        found, missing = (text, ann) if text.is_file() else (ann, text)
        if found is text and not ann.exists() and is_notice(text) and path.is_dir():
            builder.report.add("files that are not brat data skipped", text.name)
            continue
        if not missing.is_file():
            builder.path = found
            builder.problem(
                "brat file without its pair", f"no {missing.name} beside it", None, None
            )
            continue
        pairs.append((text, ann))
    return pairs


def read_brat(path: str | Path, builder: DocumentBuilder) -> Iterator[Document]:
    for text_path, ann_path in brat_pairs(path, builder):
        text = read_text(text_path, strict=builder.strict, report=builder.report)
        doc_id = text_path.stem
        spans = list(_text_bound(ann_path, doc_id, text, builder))
        builder.path = ann_path
        yield builder.build(doc_id, text, spans, {"source": str(text_path)})


def _text_bound(
    ann_path: Path, doc_id: str, text: str, builder: DocumentBuilder
) -> Iterator[RawSpan]:
    builder.path = ann_path
    for number, line in enumerate(
        read_lines(ann_path, strict=builder.strict, report=builder.report), 1
    ):
        if not line.strip():
            continue
        kind = line[0]
        if kind != "T":
            what = _IGNORED.get(kind)
            if what is None:
                builder.problem("unknown annotation line", repr(line[:40]), number, doc_id)
            else:
                builder.report.add(
                    f"brat {what} ignored",
                    line.split("\t")[0],
                    path=ann_path,
                    line=number,
                    doc_id=doc_id,
                )
            continue
        fields = line.split("\t", 2)  # the stated text may hold tabs of its own
        head = fields[1].split(" ", 1) if len(fields) >= 2 else []
        if len(fields) < 3 or len(head) != 2 or not _OFFSETS_RE.match(head[1]):
            builder.problem(
                "malformed text-bound annotation",
                "expected 'T<n><TAB>LABEL START END<TAB>TEXT'",
                number,
                doc_id,
            )
            continue
        label, offsets = head
        if ";" in offsets:
            builder.report.add(
                "discontinuous entities skipped",
                f"{fields[0]} {label} {offsets}",
                path=ann_path,
                line=number,
                doc_id=doc_id,
            )
            continue
        start, end = (int(x) for x in offsets.split(" "))
        stated: str | None = fields[2]
        if _one_line(text[start:end]) == stated:  # brat writes line breaks as spaces
            stated = None
        yield RawSpan(start, end, label, number, stated)


def write_brat(documents: Iterable[Document], folder: str | Path) -> int:
    """One ``.txt``/``.ann`` pair per document, named by its id; returns the count.

    Offsets are code points of the ``.txt`` as stored, what brat's server counts: it reads the
    text with ``codecs.open(..., encoding='utf8')`` (``open_textfile`` in nlplab/brat
    ``server/src/annotation.py``), which opens files in binary mode, so ``\\r`` counts too
    (a narrow Python 2 build, rare on Linux, would count UTF-16 units instead). Span scores are
    not written: brat's standoff has no field for them.

    Characters that cannot be in a file name (``/ \\ : * ? " < > |`` and controls) become
    ``_``, so the ids read back are the written ones only where ids avoid them; two ids that
    would share a file name are an error rather than one document overwriting the other.
    """
    stems: dict[str, Document] = {}
    for document in documents:  # every name is checked before anything is written
        stem = brat_stem(document.id) or f"doc{len(stems)}"
        if stem in stems:
            raise ValueError(
                f"documents {stems[stem].id!r} and {document.id!r} would both be written to "
                f"{stem}.txt: give them ids that differ in letters, digits or '-._ '"
            )
        stems[stem] = document
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for stem, document in stems.items():
        (folder / f"{stem}.txt").write_text(document.text, encoding="utf-8", newline="")
        lines = [
            f"T{i}\t{span.label} {span.start} {span.end}\t{_one_line(document.span_text(span))}\n"
            for i, span in enumerate(document.spans, 1)
        ]
        (folder / f"{stem}.ann").write_text("".join(lines), encoding="utf-8", newline="\n")
    return len(stems)


def brat_stem(doc_id: str) -> str:
    """The file name (without ``.txt``) :func:`write_brat` gives a document, which is the id
    :func:`read_brat` reads back: ``news/a:1`` becomes ``news_a_1``."""
    return _UNSAFE_RE.sub("_", doc_id).lstrip(".")


def _one_line(text: str) -> str:
    """A span's text as brat states it: line breaks become spaces."""
    return text.replace("\r", " ").replace("\n", " ")
