"""Strict span-level precision, recall and F1 (same boundaries and label), per label and micro.

Gold and predicted documents are matched by id; a text mismatch between the two is an error,
since offsets would then refer to different strings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from araevent.data.document import Document


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
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

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

    @property
    def micro(self) -> PRF:
        return PRF(
            *(sum(getattr(s, k) for s in self.per_label.values()) for k in ("tp", "fp", "fn"))
        )

    @property
    def macro_f1(self) -> float:
        return (
            sum(s.f1 for s in self.per_label.values()) / len(self.per_label)
            if self.per_label
            else 0.0
        )

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


def score_spans(
    gold: Sequence[Document], predicted: Iterable[Document], labels: Iterable[str] = ()
) -> SpanScores:
    """Strict span scores; ``labels`` lists labels to report even when absent."""
    by_id = {doc.id: doc for doc in predicted}
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for doc in gold:
        pred = by_id.pop(doc.id, None)
        if pred is None:
            raise ValueError(f"no prediction for gold document {doc.id!r}")
        if pred.text != doc.text:
            raise ValueError(f"document {doc.id!r}: predicted text differs from the gold text")
        gold_set = {(s.start, s.end, s.label) for s in doc.spans}
        pred_set = {(s.start, s.end, s.label) for s in pred.spans}
        for _, _, label in gold_set & pred_set:
            tp[label] += 1
        for _, _, label in pred_set - gold_set:
            fp[label] += 1
        for _, _, label in gold_set - pred_set:
            fn[label] += 1
    if by_id:
        raise ValueError(f"predictions for documents not in the gold data: {sorted(by_id)[:5]}")
    names = set(labels) | set(tp) | set(fp) | set(fn)
    return SpanScores({label: PRF(tp[label], fp[label], fn[label]) for label in names})
