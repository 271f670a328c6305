"""Pairing gold with predicted documents, and predicted spans with the gold spans they overlap.

The MUC strict, exact and partial figures, the confusion matrix and the error list are computed
from the same alignment, so the figures and the errors a reader inspects cannot disagree;
MUC ``ent_type`` re-aligns preferring a same-label gold span, as nervaluate does. The alignment
follows nervaluate (>= 1.0) on character offsets: predictions are taken in text order, each
consumes at most one gold span, and a gold span is consumed at most once; any overlap counts
(nervaluate's default asks for 1% of the gold span, which differs only past 100 characters).
Because spans of one document never overlap each other, the gold spans a prediction overlaps
are a contiguous run found by binary search: matching a document costs O((g + p) log g), not
O(g * p).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from araevent.data.document import Document, Span
from araevent.io.brat import brat_stem

Kind = Literal["correct", "label", "boundary", "label_boundary", "missed", "spurious"]
ERROR_KINDS: dict[str, str] = {
    "missed": "gold span with no overlapping prediction",
    "spurious": "prediction overlapping no gold span",
    "label": "same boundaries, wrong label",
    "boundary": "overlapping, same label, different boundaries",
    "label_boundary": "overlapping, different label and boundaries",
}
"""The error kinds, in report order, with what each means."""


@dataclass(frozen=True)
class Pair:
    """One aligned unit: a gold span, a predicted span, or both, and how they relate."""

    kind: Kind
    gold: Span | None
    predicted: Span | None


def pair_documents(
    gold: Sequence[Document], predicted: Iterable[Document]
) -> list[tuple[Document, Document]]:
    """(gold, predicted) pairs matched by id; unmatched ids or differing texts are errors.

    A gold id that brat files could not hold (``news/a:1``, as plain-text input is named) is
    also found under the name :func:`write_brat` gave it (``news_a_1``) when no gold document
    has that name: predictions written as brat score against the gold they came from.
    """
    by_id: dict[str, Document] = {}
    for doc in predicted:
        if doc.id in by_id:
            raise ValueError(f"predicted document id {doc.id!r} occurs twice")
        by_id[doc.id] = doc
    if not gold:
        raise ValueError("no gold documents to score against")
    pairs = []
    seen: set[str] = set()
    gold_ids = {doc.id for doc in gold}
    for doc in gold:
        if doc.id in seen:
            raise ValueError(f"gold document id {doc.id!r} occurs twice")
        seen.add(doc.id)
        pred = by_id.pop(doc.id, None)
        if pred is None and brat_stem(doc.id) not in gold_ids:
            pred = by_id.pop(brat_stem(doc.id), None)
        if pred is None:
            raise ValueError(f"no prediction for gold document {doc.id!r}")
        if pred.text != doc.text:
            raise ValueError(
                f"document {doc.id!r}: predicted text differs from the gold text, so offsets "
                f"are not comparable: {_first_difference(doc.text, pred.text)}. CoNLL files "
                "rebuild texts from their tokens: score CoNLL against CoNLL on the same tokens, "
                "and raw-text formats (JSONL, brat) against one another"
            )
        pairs.append((doc, pred))
    if by_id:
        raise ValueError(
            f"{len(by_id)} predicted documents are not in the gold data, e.g. {sorted(by_id)[:5]}"
        )
    return pairs


def _first_difference(gold: str, predicted: str, context: int = 15) -> str:
    at = next(
        (i for i, (a, b) in enumerate(zip(gold, predicted, strict=False)) if a != b),
        min(len(gold), len(predicted)),
    )
    start = max(0, at - context)
    return (
        f"from character {at}, gold {gold[start : at + context]!r}, "
        f"predicted {predicted[start : at + context]!r}"
    )


def _overlapping(gold: Sequence[Span], gold_ends: Sequence[int], span: Span) -> Iterator[int]:
    index = bisect_right(gold_ends, span.start)
    while index < len(gold) and gold[index].start < span.end:
        yield index
        index += 1


def align(
    gold: Sequence[Span], predicted: Sequence[Span], prefer_label: bool = False
) -> list[Pair]:
    """Align the spans of one document (each list sorted and non-overlapping).

    A prediction takes the first unconsumed gold span it overlaps (an exact boundary match is
    necessarily the only one). With ``prefer_label`` (nervaluate's ``ent_type`` scheme) it takes
    instead the same-label overlapping gold span with the closest boundaries, if there is one.
    """
    gold_ends = [s.end for s in gold]
    used = [False] * len(gold)
    pairs: list[Pair] = []
    for pred in predicted:
        candidates = [i for i in _overlapping(gold, gold_ends, pred) if not used[i]]
        if not candidates:
            pairs.append(Pair("spurious", None, pred))
            continue
        chosen = candidates[0]
        if prefer_label:
            same = [i for i in candidates if gold[i].label == pred.label]
            if same:
                chosen = min(
                    same,
                    key=lambda i: abs(gold[i].start - pred.start) + abs(gold[i].end - pred.end),
                )
        used[chosen] = True
        pairs.append(Pair(_kind(gold[chosen], pred), gold[chosen], pred))
    pairs.extend(
        Pair("missed", span, None) for span, used_ in zip(gold, used, strict=True) if not used_
    )
    return pairs


def _kind(gold: Span, pred: Span) -> Kind:
    same_label = gold.label == pred.label
    if gold.start == pred.start and gold.end == pred.end:
        return "correct" if same_label else "label"
    return "boundary" if same_label else "label_boundary"
