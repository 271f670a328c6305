"""How long the evaluation harness takes on many documents (it must stay linear).

Builds N synthetic documents of news length (gold spans, and predictions with missed,
relabelled and shifted spans), then times each part of ``evaluate_documents``: strict and
boundary scores, the MUC-style modes, seqeval over words, and the bootstrap.

    python scripts/bench_score.py --documents 100000
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

from araevent.data.document import Document, Span
from araevent.evaluation.bootstrap import bootstrap
from araevent.evaluation.matching import align, pair_documents
from araevent.evaluation.muc import muc_scores
from araevent.evaluation.spans import document_counts
from araevent.evaluation.tagging import seqeval_scores

LABELS = ["ACTOR", "PLACE", "DATE", "TRIGGER"]
WORD = "كلمة"


def corpus(n: int, words_per_doc: int, seed: int) -> tuple[list[Document], list[Document]]:
    rng = random.Random(seed)
    text = " ".join([WORD] * words_per_doc)
    step = len(WORD) + 1
    gold, pred = [], []
    for i in range(n):
        spans, predicted = [], []
        for w in range(0, words_per_doc - 2, 6):
            span = Span(w * step, w * step + 2 * step - 1, rng.choice(LABELS))
            spans.append(span)
            r = rng.random()
            if r < 0.1:
                continue  # missed
            if r < 0.15:
                span = Span(span.start, span.end, rng.choice(LABELS))
            elif r < 0.2:
                span = Span(span.start, span.start + len(WORD), span.label)
            predicted.append(span)
        gold.append(Document(f"d{i}", text, tuple(spans)))
        pred.append(Document(f"d{i}", text, tuple(predicted)))
    return gold, pred


def timed(name: str, func, *args):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = func(*args)
    print(f"| {name} | {time.perf_counter() - started:.2f} |")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--words", type=int, default=60, help="words per document")
    parser.add_argument("--samples", type=int, default=1000, help="bootstrap resamples")
    args = parser.parse_args()
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    gold, pred = corpus(args.documents, args.words, seed=0)
    print(f"{args.documents} documents, {sum(len(d.spans) for d in gold)} gold spans")
    print("| step | seconds |")
    print("|---|---:|")
    pairs = timed("pair documents by id", pair_documents, gold, pred)
    counts = timed("strict counts per document", document_counts, pairs, LABELS)
    timed("boundary counts per document", document_counts, pairs, LABELS, "boundary")
    timed("alignment (errors, confusion)", lambda: [align(g.spans, p.spans) for g, p in pairs])
    timed("MUC modes (4 schemes, per label)", muc_scores, pairs, LABELS)
    timed("seqeval over words, strict", seqeval_scores, pairs, ("strict",))
    timed("seqeval over words, strict + conlleval", seqeval_scores, pairs)
    timed(f"bootstrap, {args.samples} resamples", bootstrap, counts, LABELS, args.samples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
