"""The package's one internal currency: a text and labelled character spans over it.

Every loader produces :class:`Document` objects and every writer, encoder, metric and predictor
consumes them. Offsets are Python ``str`` indices into the *original* text (end exclusive), so
``doc.text[span.start:span.end]`` is always the span's surface form, whatever normalisation or
windowing happened on the way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any


class SpanError(ValueError):
    """A span that breaks a document invariant (out of range, empty, overlapping, bad label).

    Loaders catch it and re-raise a :class:`~araevent.errors.DataFormatError` that names the file
    and line; library users who build documents by hand see it directly.
    """


@dataclass(frozen=True, order=True)
class Span:
    """A labelled half-open character range ``[start, end)``; ``score`` is set on predictions."""

    start: int
    end: int
    label: str
    score: float | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.start, int) or not isinstance(self.end, int):
            raise SpanError(f"span offsets must be integers, got {self.start!r}, {self.end!r}")
        if not 0 <= self.start < self.end:
            raise SpanError(f"span [{self.start}, {self.end}) must satisfy 0 <= start < end")
        if not isinstance(self.label, str) or not self.label:
            raise SpanError(f"span [{self.start}, {self.end}) has an empty label")

    def __len__(self) -> int:
        return self.end - self.start

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end

    def text_in(self, text: str) -> str:
        return text[self.start : self.end]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"start": self.start, "end": self.end, "label": self.label}
        if self.score is not None:
            out["score"] = self.score
        return out


def check_spans(text: str, spans: Sequence[Span], labels: Iterable[str] | None = None) -> None:
    """Raise :class:`SpanError` unless ``spans`` are sorted-able, in range, known and disjoint."""
    known = None if labels is None else frozenset(labels)
    previous: Span | None = None
    for span in sorted(spans):
        if span.end > len(text):
            raise SpanError(
                f"span [{span.start}, {span.end}) {span.label} is outside the text "
                f"(length {len(text)})"
            )
        if known is not None and span.label not in known:
            raise SpanError(
                f"unknown label {span.label!r} at [{span.start}, {span.end}); "
                f"expected one of {sorted(known)}"
            )
        if previous is not None and previous.overlaps(span):
            raise SpanError(
                f"overlapping spans [{previous.start}, {previous.end}) {previous.label} "
                f"{text[previous.start : previous.end]!r} and [{span.start}, {span.end}) "
                f"{span.label} {text[span.start : span.end]!r}"
            )
        previous = span


@dataclass(frozen=True)
class Document:
    """An annotated (or predicted) text.

    The constructor sorts spans and enforces ``0 <= start < end <= len(text)`` and that no two
    spans overlap; label membership depends on a schema and is checked by
    :meth:`validate` (loaders call it with the schema they were given).
    """

    id: str
    text: str
    spans: tuple[Span, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise TypeError(f"document {self.id!r}: text must be str, got {type(self.text)}")
        ordered = tuple(sorted(self.spans))
        check_spans(self.text, ordered)
        object.__setattr__(self, "spans", ordered)
        object.__setattr__(self, "meta", dict(self.meta))

    def validate(self, labels: Iterable[str]) -> None:
        """Raise :class:`SpanError` if a span's label is not in ``labels``."""
        check_spans(self.text, self.spans, labels)

    def span_text(self, span: Span) -> str:
        return self.text[span.start : span.end]

    def with_spans(self, spans: Iterable[Span]) -> Document:
        """A copy with other spans: predictions never mutate the gold document."""
        return replace(self, spans=tuple(spans))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "spans": [span.to_dict() for span in self.spans],
            "meta": dict(self.meta),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Document:
        """Build from the canonical JSON shape; span ``text`` fields, if present, must match."""
        text = data["text"]
        spans = []
        for raw in data.get("spans", ()):
            span = Span(int(raw["start"]), int(raw["end"]), str(raw["label"]), raw.get("score"))
            expected = raw.get("text")
            if expected is not None and text[span.start : span.end] != expected:
                raise SpanError(
                    f"span text mismatch at [{span.start}, {span.end}): offsets give "
                    f"{text[span.start : span.end]!r}, the file says {expected!r}"
                )
            spans.append(span)
        return cls(str(data["id"]), text, tuple(spans), data.get("meta") or {})

    @classmethod
    def from_json(cls, line: str) -> Document:
        return cls.from_dict(json.loads(line))


def documents_digest(documents: Iterable[Document]) -> str:
    """SHA-256 of ids, texts and spans: tells whether two runs used the same data.

    Recorded with every evaluation (gold data) and every exported model (training data).
    """
    digest = hashlib.sha256()
    for doc in documents:
        record = [doc.id, doc.text, [(s.start, s.end, s.label) for s in doc.spans]]
        digest.update(json.dumps(record, ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()
