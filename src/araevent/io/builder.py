"""Turning raw spans read from any format into validated Documents.

Every reader collects its spans as :class:`RawSpan` (offsets, label, where they came from) and
hands them to :class:`DocumentBuilder`, so that label maps, range checks, span-text checks,
word alignment and overlap handling behave the same for every format, and every repair is
reported in the same :class:`~araevent.errors.LoadReport`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from araevent.data.document import Document, Span
from araevent.data.labels import LabelSchema
from araevent.data.text import in_word, is_word_char, replace_surrogates
from araevent.errors import DataFormatError, LoadReport, format_location
from araevent.io.labelmap import LabelMap, builtin_names

# a corpus in another label set (PER, LOC, ORG...) needs a map, which is easy to miss
_LABEL_MAP_HINT = (
    "a corpus with other labels needs a label map: data.label_map=NAME (araevent train) or "
    f"--label-map NAME, with a built-in map ({', '.join(builtin_names())}), a YAML file or "
    "SOURCE=TARGET,..."
)

Mode = Literal["strict", "lenient"]


@dataclass(frozen=True)
class RawSpan:
    """A span as a file states it, before any checks."""

    start: int
    end: int
    label: str
    line: int | None = None
    text: str | None = None


@dataclass
class DocumentBuilder:
    """Validates raw spans against one text and builds a :class:`Document`.

    In ``strict`` mode the first problem raises :class:`DataFormatError` with the file, line
    and document; in ``lenient`` mode it is repaired or the span skipped, and counted in
    ``report``. Label-map drops are a stated policy, counted in both modes.

    ``as_written`` takes offsets as they are, for predictions to be scored: no snapping to
    words and no search for a span's stated text elsewhere (lenient mode skips such a span),
    since a repair would score the system on spans it did not predict.
    """

    path: str | Path | None = None
    mode: Mode = "strict"
    schema: LabelSchema | None = None
    label_map: LabelMap | None = None
    word_aligned: bool = True
    as_written: bool = False
    report: LoadReport = field(default_factory=LoadReport)
    # where each document id was first read, to report the second document that claims it
    _seen: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in ("strict", "lenient"):
            raise ValueError(f"mode must be 'strict' or 'lenient', got {self.mode!r}")

    @property
    def strict(self) -> bool:
        return self.mode == "strict"

    def problem(
        self,
        kind: str,
        detail: str,
        line: int | None,
        doc_id: str | None,
        repair: str | None = None,
    ) -> None:
        """Raise in strict mode; otherwise count ``kind`` and carry on. ``repair`` says what
        lenient mode does about it: done in lenient mode, offered in strict mode's error."""
        if self.strict:
            offer = f" (in lenient mode: {repair})" if repair else ""
            raise DataFormatError(
                f"{kind}: {detail}{offer}", path=self.path, line=line, doc_id=doc_id
            )
        done = f"; {repair}" if repair else ""
        self.report.add(kind, detail + done, path=self.path, line=line, doc_id=doc_id)

    def map_label(self, label: str, line: int | None, doc_id: str | None) -> str | None:
        """The project label for ``label``, or None when the span is to be dropped."""
        if self.label_map is not None and label in self.label_map:
            target = self.label_map[label]
            if target is None:
                self.report.labels_dropped[label] += 1
                return None
            if target != label:
                self.report.labels_mapped[f"{label} -> {target}"] += 1
            label = target
        elif self.label_map is not None and label not in self.label_map.targets:
            # a target label (ACTOR under PERS: ACTOR) is already mapped and passes through, so
            # that a system's output in the project's labels is scored against mapped gold
            self.problem("unknown label", f"{label!r} is not in the label map", line, doc_id)
            return None
        if self.schema is not None and label not in self.schema:
            expected = ", ".join(self.schema.labels)
            hint = "" if self.label_map is not None else f"; {_LABEL_MAP_HINT}"
            self.problem(
                "unknown label", f"{label!r} (expected one of {expected}){hint}", line, doc_id
            )
            return None
        return label

    def build(
        self,
        doc_id: str,
        text: str,
        raw_spans: Iterable[RawSpan],
        meta: Mapping[str, Any] | None = None,
        line: int | None = None,
        *,
        labels_mapped: bool = False,
    ) -> Document:
        """Check ``raw_spans`` against ``text``; ``labels_mapped`` if the reader mapped them.

        A document id already built is a problem: gold and predictions are paired by id, so a
        repeated one would pair the wrong documents or hide one. Lenient loading keeps both.
        """
        self._check_unique(doc_id, line)
        text, surrogates = replace_surrogates(text)
        if surrogates:
            detail = f"{surrogates} in the text (lenient loading puts U+FFFD in their place)"
            self.problem("lone surrogates", detail, line, doc_id)
        spans: list[tuple[Span, int | None]] = []
        for raw in raw_spans:
            where = raw.line if raw.line is not None else line
            label = raw.label if labels_mapped else self.map_label(raw.label, where, doc_id)
            if label is None:
                continue
            span = self._checked_span(raw, label, text, where, doc_id)
            if span is not None:
                spans.append((span, where))
        kept = self._without_overlaps(spans, text, doc_id)
        self.report.documents += 1
        return Document(doc_id, text, tuple(kept), meta or {})

    def _check_unique(self, doc_id: str, line: int | None) -> None:
        first = self._seen.get(doc_id)
        if first is not None:
            self.problem("duplicate document id", f"{doc_id!r} was read at {first}", line, doc_id)
            return
        path = None if self.path is None else str(self.path)
        self._seen[doc_id] = format_location(path, line, None)

    def _checked_span(
        self, raw: RawSpan, label: str, text: str, line: int | None, doc_id: str
    ) -> Span | None:
        start, end = raw.start, raw.end
        if start == end and 0 <= start <= len(text):
            self.problem("empty span", f"[{start}, {end}) {label} holds no character", line, doc_id)
            return None
        if not 0 <= start < end <= len(text):
            self.problem(
                "offsets out of range",
                f"[{start}, {end}) {label} in a text of length {len(text)}",
                line,
                doc_id,
            )
            return None
        if raw.text is not None and text[start:end] != raw.text:
            found = None if self.as_written else _nearest(text, raw.text, start)
            detail = f"[{start}, {end}) gives {text[start:end]!r}, the file says {raw.text!r}"
            moved = (
                None
                if found is None
                else f"moved to [{found}, {found + len(raw.text)}), "
                f"{abs(found - start)} characters away"
            )
            self.problem("span text mismatch", detail, line, doc_id, repair=moved)
            if found is None:
                self.report.add(
                    "span skipped (predictions are not moved)"
                    if self.as_written
                    else "span skipped (text not found)",
                    raw.text,
                    path=self.path,
                    line=line,
                    doc_id=doc_id,
                )
                return None
            start, end = found, found + len(raw.text)
        if self.word_aligned and not self.as_written:
            snapped = snap_to_words(text, start, end)
            if snapped != (start, end):
                detail = f"[{start}, {end}) {text[start:end]!r}"
                if snapped is None:
                    self.problem("span without words skipped", detail, line, doc_id)
                    return None
                self.problem(
                    "span not aligned to words",
                    detail,
                    line,
                    doc_id,
                    repair=f"snapped to {text[snapped[0] : snapped[1]]!r}",
                )
                start, end = snapped
        return Span(start, end, label)

    def _without_overlaps(
        self, spans: list[tuple[Span, int | None]], text: str, doc_id: str
    ) -> list[Span]:
        kept: list[Span] = []
        for span, line in sorted(spans, key=lambda item: (item[0].start, -item[0].end)):
            if kept and kept[-1].overlaps(span):
                previous = kept[-1]
                detail = (
                    f"[{span.start}, {span.end}) {span.label} {text[span.start : span.end]!r} "
                    f"overlaps [{previous.start}, {previous.end}) {previous.label} "
                    f"{text[previous.start : previous.end]!r}"
                )
                self.problem(
                    "overlapping spans", detail, line, doc_id, repair="the earlier span kept"
                )
                continue
            kept.append(span)
        return kept


_OPENERS = {"(": ")", "[": "]", "{": "}", "«": "»", "“": "”", '"': '"', "'": "'"}
_CLOSERS = {close: open_ for open_, close in _OPENERS.items()}


def snap_to_words(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The word-aligned span nearest to ``[start, end)``.

    Non-word characters at the edges are trimmed (a comma or full stop taken in by a tokenizer)
    unless they are brackets or quotes closed inside the span (``أغسطس (آب)``,
    ``"الحشد الشعبي"``); a boundary that cuts a word is moved outwards to take the whole word
    (a proclitic left out). None when the span holds no word character at all.
    """
    while start < end and not is_word_char(text[start]):
        closer = _OPENERS.get(text[start])
        if closer is not None and closer in text[start + 1 : end]:
            break
        start += 1
    while end > start and not is_word_char(text[end - 1]):
        opener = _CLOSERS.get(text[end - 1])
        if opener is not None and opener in text[start : end - 1]:
            break
        end -= 1
    if not any(is_word_char(c) for c in text[start:end]):
        return None
    while start > 0 and in_word(text, start - 1):
        start -= 1
    while end < len(text) and in_word(text, end):
        end += 1
    return start, end


def _nearest(text: str, needle: str, around: int) -> int | None:
    """Start of the occurrence of ``needle`` in ``text`` closest to ``around``."""
    best: int | None = None
    position = text.find(needle)
    while position != -1:
        if best is None or abs(position - around) < abs(best - around):
            best = position
        position = text.find(needle, position + 1)
    return best
