"""seqeval's entity-level figures over the guideline's words, comparable with published results.

Arabic NER papers report seqeval (or conlleval) scores over word-level BIO tags. Each document
is turned into IOB2 tags over :func:`araevent.data.text.words` and handed to
``seqeval.metrics`` directly: ``strict`` mode with the IOB2 scheme, or seqeval's default
conlleval-compatible mode. On word-aligned spans the strict figures equal
:func:`~araevent.evaluation.spans.score_spans`; spans whose edges fall inside a word are
widened to whole words here and counted in ``unaligned`` so the difference is visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from araevent.data.document import Document
from araevent.data.text import words

Mode = Literal["strict", "conlleval"]


@dataclass(frozen=True)
class WordTags:
    tags: list[str]
    unaligned: int


def word_bounds(text: str) -> np.ndarray:
    return np.asarray(words(text), dtype=np.int64).reshape(-1, 2)


def word_tags(doc: Document, bounds: np.ndarray | None = None) -> WordTags:
    """IOB2 tags, one per guideline word of ``doc.text`` (``bounds``: its words, if known)."""
    bounds = word_bounds(doc.text) if bounds is None else bounds
    starts, ends = bounds[:, 0], bounds[:, 1]
    tags = ["O"] * len(bounds)
    if not doc.spans:
        return WordTags(tags, 0)
    spans = np.asarray([(s.start, s.end) for s in doc.spans], dtype=np.int64)
    first = np.searchsorted(ends, spans[:, 0], side="right")
    stop = np.searchsorted(starts, spans[:, 1], side="left")
    covered = first < stop
    aligned = covered.copy()
    aligned[covered] = (starts[first[covered]] == spans[covered, 0]) & (
        ends[stop[covered] - 1] == spans[covered, 1]
    )
    for span, a, b in zip(doc.spans, first.tolist(), stop.tolist(), strict=True):
        if a < b:
            tags[a] = f"B-{span.label}"
            tags[a + 1 : b] = [f"I-{span.label}"] * (b - a - 1)
    return WordTags(tags, int((~aligned).sum()))


@dataclass(frozen=True)
class SeqevalScores:
    """seqeval's ``classification_report`` as it prints it: P/R/F1/support per label and average.

    ``unaligned`` counts spans (gold and predicted) whose edges were not on word edges.
    """

    mode: Mode
    report: dict[str, dict[str, float]]
    unaligned: int

    @property
    def micro_f1(self) -> float:
        return self.report.get("micro avg", {}).get("f1-score", 0.0)

    def as_dict(self) -> dict[str, object]:
        return {"mode": self.mode, "report": self.report, "unaligned_spans": self.unaligned}


def seqeval_scores(
    pairs: Sequence[tuple[Document, Document]], modes: Sequence[Mode] = ("strict", "conlleval")
) -> dict[str, SeqevalScores]:
    """seqeval over (gold, predicted) pairs, per mode: ``strict`` = mode="strict", scheme=IOB2.

    seqeval is pure Python and the slowest part of an evaluation (about 0.3 ms per document
    and mode, see ``scripts/bench_score.py``); an empty ``modes`` skips it.
    """
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    if not modes:
        return {}
    gold_tags, pred_tags, unaligned = [], [], 0
    for gold, pred in pairs:
        bounds = word_bounds(gold.text)  # the texts are equal (checked when pairing)
        g, p = word_tags(gold, bounds), word_tags(pred, bounds)
        gold_tags.append(g.tags)
        pred_tags.append(p.tags)
        unaligned += g.unaligned + p.unaligned
    # seqeval refuses sequences without any entity
    has_entities = any(t != "O" for seq in (*gold_tags, *pred_tags) for t in seq)
    out: dict[str, SeqevalScores] = {}
    for mode in modes:
        report = {}
        if has_entities:
            options: dict[str, Any] = {"mode": "strict", "scheme": IOB2} if mode == "strict" else {}
            raw = classification_report(
                gold_tags, pred_tags, output_dict=True, zero_division=0, **options
            )
            report = {name: {k: float(v) for k, v in row.items()} for name, row in raw.items()}
        out[mode] = SeqevalScores(mode, report, unaligned)
    return out
