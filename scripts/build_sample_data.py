"""Build data/sample/{train,dev,test}.jsonl (and the test split as CoNLL and brat) from markup.

The sample corpus is written by hand in ``data/sample/markup/<split>*.txt`` (a split may be
spread over several files, read in name order): a ``### <doc-id>`` header
per document, one sentence per line, spans as ``[LABEL text]``. This script turns the markup
into Documents, checks them strictly (word-aligned spans, the project's four labels) and writes
every derived file, so the markup stays the single source.

    python scripts/build_sample_data.py
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from araevent import Document, LabelSchema
from araevent.errors import DataFormatError
from araevent.io import DocumentBuilder, RawSpan, save
from araevent.stats import CorpusStats

SPLITS = ("train", "dev", "test")
_SPAN_RE = re.compile(r"\[([A-Z]+) ([^\[\]]+?)\]")


def parse_markup(path: Path) -> list[Document]:
    """Documents from one markup file; errors name the file and line."""
    builder = DocumentBuilder(path=path, schema=LabelSchema())
    documents: list[Document] = []
    doc_id: str | None = None
    lines: list[tuple[int, str]] = []

    def flush() -> None:
        if doc_id is None:
            return
        text, spans = "", []
        for number, line in lines:
            text += "\n" if text else ""
            position = 0
            for match in _SPAN_RE.finditer(line):
                text += line[position : match.start()]
                spans.append(
                    RawSpan(len(text), len(text) + len(match.group(2)), match.group(1), number)
                )
                text += match.group(2)
                position = match.end()
            rest = line[position:]
            if "[" in rest or "]" in rest:
                raise DataFormatError("unbalanced or nested brackets", path=path, line=number)
            text += rest
        documents.append(builder.build(doc_id, text, spans, {"source": "araevent sample"}))

    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("### "):
            flush()
            doc_id, lines = line[4:].strip(), []
        elif line.strip():
            if doc_id is None:
                raise DataFormatError(
                    "text before the first '### <id>' header", path=path, line=number
                )
            lines.append((number, line))
    flush()
    return documents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=Path("data/sample"))
    args = parser.parse_args()
    for split in SPLITS:
        files = sorted((args.folder / "markup").glob(f"{split}*.txt"))
        if not files:
            raise SystemExit(f"no markup for split {split!r} in {args.folder / 'markup'}")
        documents = [doc for file in files for doc in parse_markup(file)]
        save(documents, args.folder / f"{split}.jsonl")
        if split == "test":
            save(documents, args.folder / "test.conll")
            for old in (args.folder / "test-brat").glob("*"):
                old.unlink()
            save(documents, args.folder / "test-brat", "brat")
        stats = CorpusStats.of(documents)
        print(f"== {split}\n{stats.table()}\n")


if __name__ == "__main__":
    main()
