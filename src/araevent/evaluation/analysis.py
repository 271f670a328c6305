"""Where a model fails: a label confusion matrix and a list of errors with their context.

Both come from the alignment of :mod:`araevent.evaluation.matching` (the one behind the
``strict``/``exact``/``partial`` counts), so each gold span appears once in its row of the
matrix, and every error listed is one that the metrics counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from araevent.data.document import Document, Span
from araevent.evaluation.matching import ERROR_KINDS, Kind, Pair

NONE = "O"
"""Confusion-matrix row/column for "no span": gold row ``O`` = spurious, column ``O`` = missed."""


@dataclass(frozen=True)
class Confusion:
    """Counts of (gold label, predicted label) over aligned spans; ``O`` stands for no span."""

    labels: tuple[str, ...]
    matrix: tuple[tuple[int, ...], ...]

    @classmethod
    def of(cls, pairs: Sequence[Pair], labels: Sequence[str]) -> Confusion:
        names = (*labels, NONE)
        index = {name: i for i, name in enumerate(names)}
        cells = [[0] * len(names) for _ in names]
        for pair in pairs:
            gold = pair.gold.label if pair.gold else NONE
            pred = pair.predicted.label if pair.predicted else NONE
            cells[index[gold]][index[pred]] += 1
        return cls(names, tuple(tuple(row) for row in cells))

    def as_dict(self) -> dict[str, object]:
        return {"labels": list(self.labels), "matrix": [list(row) for row in self.matrix]}

    def markdown(self) -> str:
        lines = [
            "| gold \\ predicted | " + " | ".join(self.labels) + " |",
            "|---|" + "---:|" * len(self.labels),
        ]
        for name, row in zip(self.labels, self.matrix, strict=True):
            lines.append(f"| {name} | " + " | ".join(str(c) for c in row) + " |")
        return "\n".join(lines)


@dataclass(frozen=True)
class ErrorRecord:
    """One error: its kind, the spans involved, and the text around them."""

    document: str
    kind: Kind
    gold: Span | None
    predicted: Span | None
    gold_text: str
    predicted_text: str
    context: str

    def as_dict(self) -> dict[str, object]:
        return {
            "document": self.document,
            "kind": self.kind,
            "gold": _span_dict(self.gold, self.gold_text),
            "predicted": _span_dict(self.predicted, self.predicted_text),
            "context": self.context,
        }


def _span_dict(span: Span | None, text: str) -> dict[str, object] | None:
    if span is None:
        return None
    return {"start": span.start, "end": span.end, "label": span.label, "text": text}


def error_records(doc: Document, pairs: Sequence[Pair], context: int = 40) -> list[ErrorRecord]:
    """The errors among one document's aligned pairs, with ``context`` characters either side."""
    out = []
    for pair in pairs:
        if pair.kind == "correct":
            continue
        spans = [s for s in (pair.gold, pair.predicted) if s is not None]
        start = min(s.start for s in spans)
        end = max(s.end for s in spans)
        window = (
            doc.text[max(0, start - context) : start]
            + "[["
            + doc.text[start:end]
            + "]]"
            + doc.text[end : end + context]
        )
        out.append(
            ErrorRecord(
                doc.id,
                pair.kind,
                pair.gold,
                pair.predicted,
                pair.gold.text_in(doc.text) if pair.gold else "",
                pair.predicted.text_in(doc.text) if pair.predicted else "",
                " ".join(window.split()),
            )
        )
    return out


def error_counts(pairs: Sequence[Pair]) -> dict[str, int]:
    counts: Counter[str] = Counter(p.kind for p in pairs)
    return {kind: counts[kind] for kind in ERROR_KINDS}
