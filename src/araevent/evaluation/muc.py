"""Partial-credit match modes in the MUC / SemEval-2013 style, as nervaluate defines them.

Four schemes count each aligned unit as correct, incorrect, partial, missed or spurious:

- ``strict``: boundaries and label must match; any other overlap is incorrect.
- ``exact``: boundaries must match, whatever the label; other overlaps are incorrect.
- ``partial``: boundaries match is correct, any other overlap is partial (half credit).
- ``ent_type``: an overlap with the right label is correct, with another label incorrect.

``possible = correct + incorrect + partial + missed`` and ``actual = correct + incorrect +
partial + spurious``; precision and recall give half credit to ``partial``. Per-label figures
score only that label's gold and predicted spans, as nervaluate does, so a label confusion
counts as missed under the gold label and spurious under the predicted one. The test suite
checks these figures against nervaluate itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from araevent.data.document import Document, Span
from araevent.evaluation.matching import Kind, Pair, align
from araevent.evaluation.spans import f_score

SCHEMES = ("strict", "exact", "partial", "ent_type")

# How each scheme counts the kinds of the alignment it is computed on.
_COUNTS: dict[str, dict[Kind, str]] = {
    "strict": {"correct": "correct", "label": "incorrect", "boundary": "incorrect",
               "label_boundary": "incorrect"},
    "exact": {"correct": "correct", "label": "correct", "boundary": "incorrect",
              "label_boundary": "incorrect"},
    "partial": {"correct": "correct", "label": "correct", "boundary": "partial",
                "label_boundary": "partial"},
    "ent_type": {"correct": "correct", "label": "incorrect", "boundary": "correct",
                 "label_boundary": "incorrect"},
}  # fmt: skip


@dataclass(frozen=True)
class MucCounts:
    correct: int = 0
    incorrect: int = 0
    partial: int = 0
    missed: int = 0
    spurious: int = 0

    @property
    def possible(self) -> int:
        return self.correct + self.incorrect + self.partial + self.missed

    @property
    def actual(self) -> int:
        return self.correct + self.incorrect + self.partial + self.spurious

    @property
    def precision(self) -> float:
        return (self.correct + 0.5 * self.partial) / self.actual if self.actual else 0.0

    @property
    def recall(self) -> float:
        return (self.correct + 0.5 * self.partial) / self.possible if self.possible else 0.0

    @property
    def f1(self) -> float:
        return f_score(self.precision, self.recall)

    def as_dict(self) -> dict[str, float | int]:
        return {
            "correct": self.correct,
            "incorrect": self.incorrect,
            "partial": self.partial,
            "missed": self.missed,
            "spurious": self.spurious,
            "possible": self.possible,
            "actual": self.actual,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


@dataclass(frozen=True)
class MucScores:
    """One scheme's counts over a corpus, overall and per label."""

    overall: MucCounts
    per_label: dict[str, MucCounts]

    def as_dict(self) -> dict[str, object]:
        return {
            "overall": self.overall.as_dict(),
            "per_label": {label: c.as_dict() for label, c in sorted(self.per_label.items())},
        }


def _tally(counter: Counter[str], scheme: str, pairs: Iterable[Pair]) -> None:
    table = _COUNTS[scheme]
    for pair in pairs:
        counter[pair.kind if pair.kind in ("missed", "spurious") else table[pair.kind]] += 1


def _counts(counter: Counter[str]) -> MucCounts:
    return MucCounts(**{key: counter[key] for key in MucCounts.__dataclass_fields__})


def muc_scores(
    documents: Sequence[tuple[Document, Document]],
    labels: Iterable[str] = (),
    alignments: Sequence[Sequence[Pair]] | None = None,
) -> dict[str, MucScores]:
    """Counts for every scheme from (gold, predicted) document pairs.

    ``alignments``: each document's :func:`~araevent.evaluation.matching.align` result, when
    the caller already has it (the harness does), so it is not computed twice.
    """
    overall = {scheme: Counter[str]() for scheme in SCHEMES}
    per_label: dict[str, dict[str, Counter[str]]] = {
        label: {scheme: Counter() for scheme in SCHEMES} for label in labels
    }
    for index, (gold, pred) in enumerate(documents):
        known = alignments[index] if alignments is not None else None
        _score_one(gold.spans, pred.spans, overall, known)
        by_label: dict[str, tuple[list[Span], list[Span]]] = {}
        for span in gold.spans:
            by_label.setdefault(span.label, ([], []))[0].append(span)
        for span in pred.spans:
            by_label.setdefault(span.label, ([], []))[1].append(span)
        for label, (gold_spans, pred_spans) in by_label.items():
            counters = per_label.setdefault(label, {scheme: Counter() for scheme in SCHEMES})
            _score_one(gold_spans, pred_spans, counters)
    return {
        scheme: MucScores(
            _counts(overall[scheme]),
            {label: _counts(counters[scheme]) for label, counters in per_label.items()},
        )
        for scheme in SCHEMES
    }


def _score_one(
    gold: Sequence[Span],
    pred: Sequence[Span],
    counters: dict[str, Counter[str]],
    first_overlap: Sequence[Pair] | None = None,
) -> None:
    if first_overlap is None:
        first_overlap = align(gold, pred)
    for scheme in ("strict", "exact", "partial"):
        _tally(counters[scheme], scheme, first_overlap)
    # The two alignments can only differ where a prediction overlaps without matching exactly.
    inexact = any(p.kind not in ("correct", "missed", "spurious") for p in first_overlap)
    closest = align(gold, pred, prefer_label=True) if inexact else first_overlap
    _tally(counters["ent_type"], "ent_type", closest)
