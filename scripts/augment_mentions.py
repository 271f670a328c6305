"""Mention replacement (Dai and Adel, 2020, "An Analysis of Simple Data Augmentation for Named
Entity Recognition"): copies of the training documents in which each ACTOR, PLACE or DATE span
is replaced, with probability ``--p``, by another training span of the same label.

The question it answers for issue 18: whether the model learns more from its few hundred
documents when names, places and dates are seen in more contexts. The output is an ordinary
JSONL corpus (the originals, then the copies) for ``araevent train data.train=OUT``.

Arabic writes proclitics into the word (``بالحسكة``, ``للنظام``), and the guidelines keep them
inside the span, so a replacement takes the original span's proclitics: ``بالحسكة`` replaced by
``دير الزور`` becomes ``بدير الزور``, ``للنظام`` replaced by ``الحكومة`` becomes ``للحكومة``.
TRIGGER spans are left as they are: one event word put in place of another (a verb for a noun)
breaks the sentence around it.

    python scripts/augment_mentions.py ../shared/data/araevent-news/train.jsonl \\
        models/aug/train-mr.jsonl --p 0.5 --copies 1 --seed 42
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from araevent.data.document import Document, Span
from araevent.data.text import strip_proclitics
from araevent.io import load, save

LABELS = ("ACTOR", "PLACE", "DATE")


def core_vocabulary(documents: Sequence[Document]) -> set[str]:
    """Every word that begins a span, proclitics stripped: the stems a bare proclitic may be
    cut from (``بلندن`` is ``ب`` + ``لندن`` only if ``لندن`` begins a span somewhere)."""
    heads = set()
    for doc in documents:
        for span in doc.spans:
            heads.add(strip_proclitics(doc.text, span.start, span.end).text.split(" ", 1)[0])
    return heads


def mention_pool(
    documents: Sequence[Document], labels: Collection[str], vocabulary: Collection[str]
) -> dict[str, list[str]]:
    """Each label's mentions without their proclitics, once per occurrence, so that frequent
    names are drawn as often as the annotations use them."""
    pool: dict[str, list[str]] = defaultdict(list)
    for doc in documents:
        for span in doc.spans:
            if span.label in labels:
                core = strip_proclitics(doc.text, span.start, span.end, vocabulary).text
                pool[span.label].append(core)
    return dict(pool)


def attach(proclitics: str, core: str) -> str:
    """``proclitics`` written onto ``core``; ``ل`` before the article drops its alef
    (``للنظام``)."""
    if proclitics.endswith("ل") and core.startswith("ال"):
        return proclitics + core[1:]
    return proclitics + core


def replace_mentions(
    doc: Document,
    pool: Mapping[str, Sequence[str]],
    p: float,
    rng: random.Random,
    vocabulary: Collection[str],
    copy_id: str,
) -> tuple[Document, int]:
    """A copy of ``doc`` (id ``copy_id``) with each span whose label is in ``pool`` replaced
    with probability ``p`` by a mention drawn from it; the copy and the number of spans
    replaced."""
    pieces: list[str] = []
    spans: list[Span] = []
    cursor = length = replaced = 0  # length: characters of the copy written so far
    for span in doc.spans:
        before = doc.text[cursor : span.start]
        surface = doc.text[span.start : span.end]
        choices = pool.get(span.label)
        if choices and rng.random() < p:
            core = strip_proclitics(doc.text, span.start, span.end, vocabulary)
            surface = attach(doc.text[span.start : core.start], rng.choice(choices))
            replaced += 1
        start = length + len(before)
        pieces += [before, surface]
        spans.append(Span(start, start + len(surface), span.label))
        cursor, length = span.end, start + len(surface)
    pieces.append(doc.text[cursor:])
    return Document(copy_id, "".join(pieces), tuple(spans), doc.meta), replaced


def augment(
    documents: Sequence[Document],
    labels: Collection[str],
    p: float,
    copies: int,
    seed: int,
) -> tuple[list[Document], Counter[str]]:
    """The originals followed by ``copies`` replaced copies of each (ids ``<id>#mr<k>``); a
    copy in which nothing was replaced is left out. The counter says what was done."""
    rng = random.Random(seed)
    vocabulary = core_vocabulary(documents)
    pool = mention_pool(documents, labels, vocabulary)
    out = list(documents)
    counts: Counter[str] = Counter()
    for k in range(1, copies + 1):
        for doc in documents:
            copy, replaced = replace_mentions(doc, pool, p, rng, vocabulary, f"{doc.id}#mr{k}")
            counts["spans replaced"] += replaced
            if replaced:
                out.append(copy)
                counts["copies written"] += 1
            else:
                counts["copies left out (nothing replaced)"] += 1
    return out, counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("train", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--p", type=float, default=0.5, help="chance that a span is replaced")
    parser.add_argument("--copies", type=int, default=1, help="replaced copies of each document")
    parser.add_argument("--labels", nargs="+", default=list(LABELS))
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    documents = list(load(args.train))
    out, counts = augment(documents, args.labels, args.p, args.copies, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save(out, args.out)
    print(f"{args.out}: {len(documents)} documents and {len(out) - len(documents)} copies")
    for what, n in counts.items():
        print(f"  {what}: {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
