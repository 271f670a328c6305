"""Span-level precision, recall and F1 per label, micro and macro, with TP/FP/FN counts.

Two match modes: ``strict`` (same boundaries and label, the CoNLL convention) and ``boundary``
(same boundaries, any label: how well spans are found, whatever their type). Gold and predicted
documents are matched by id (see :func:`~araevent.evaluation.matching.pair_documents`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from araevent.data.document import Document, Span
from araevent.evaluation.matching import pair_documents

Match = Literal["strict", "boundary"]


def f_score(precision: float, recall: float) -> float:
    """Harmonic mean of precision and recall, 0 when both are 0."""
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


@dataclass(frozen=True)
class PRF:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        return f_score(self.precision, self.recall)

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "support": self.tp + self.fn,
        }


@dataclass(frozen=True)
class SpanScores:
    per_label: dict[str, PRF] = field(default_factory=dict)

    @classmethod
    def from_counts(cls, labels: Sequence[str], counts: np.ndarray) -> SpanScores:
        """From a (labels, 3) array of TP/FP/FN."""
        return cls({label: PRF(*map(int, counts[i])) for i, label in enumerate(labels)})

    @property
    def micro(self) -> PRF:
        return PRF(
            *(sum(getattr(s, k) for s in self.per_label.values()) for k in ("tp", "fp", "fn"))
        )

    @property
    def macro_f1(self) -> float:
        """Mean F1 over the labels that occur in gold or predictions, as seqeval averages:
        a label listed for the report but absent from both sides is not a zero."""
        present = [s.f1 for s in self.per_label.values() if s.tp + s.fp + s.fn]
        return sum(present) / len(present) if present else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "micro": self.micro.as_dict(),
            "macro_f1": self.macro_f1,
            "per_label": {label: s.as_dict() for label, s in sorted(self.per_label.items())},
        }

    def table(self) -> str:
        rows = [f"{'label':<10} {'P':>6} {'R':>6} {'F1':>6} {'support':>8}"]
        for label, s in [*sorted(self.per_label.items()), ("micro", self.micro)]:
            rows.append(
                f"{label:<10} {s.precision:>6.3f} {s.recall:>6.3f} {s.f1:>6.3f} {s.tp + s.fn:>8}"
            )
        return "\n".join(rows)


def _keys(spans: Iterable[Span], match: Match) -> dict[tuple[int, int, str], str]:
    """Match key -> label; under ``boundary`` the label is not part of the key."""
    return {(s.start, s.end, s.label if match == "strict" else ""): s.label for s in spans}


def document_counts(
    pairs: Sequence[tuple[Document, Document]], labels: Sequence[str], match: Match = "strict"
) -> np.ndarray:
    """TP/FP/FN per document and label: an int array of shape (documents, labels, 3).

    Per-document counts are what the bootstrap resamples; summing them over documents gives
    :func:`score_spans`. Under ``boundary`` a true positive counts for the gold label.
    """
    index = {label: i for i, label in enumerate(labels)}
    counts = np.zeros((len(pairs), len(labels), 3), dtype=np.int64)
    for row, (gold, pred) in enumerate(pairs):
        gold_keys, pred_keys = _keys(gold.spans, match), _keys(pred.spans, match)
        for key, label in gold_keys.items():
            counts[row, index[label], 0 if key in pred_keys else 2] += 1
        for key, label in pred_keys.items():
            if key not in gold_keys:
                counts[row, index[label], 1] += 1
    return counts


def span_labels(
    pairs: Iterable[tuple[Document, Document]], labels: Iterable[str] = ()
) -> list[str]:
    """The labels to report: those asked for and any seen in gold or predictions, sorted."""
    names = set(labels)
    for gold, pred in pairs:
        names.update(s.label for s in gold.spans)
        names.update(s.label for s in pred.spans)
    return sorted(names)


def score_spans(
    gold: Sequence[Document],
    predicted: Iterable[Document],
    labels: Iterable[str] = (),
    match: Match = "strict",
) -> SpanScores:
    """Span scores; ``labels`` lists labels to report even when absent from both sides."""
    pairs = pair_documents(gold, predicted)
    names = span_labels(pairs, labels)
    return SpanScores.from_counts(names, document_counts(pairs, names, match).sum(axis=0))
