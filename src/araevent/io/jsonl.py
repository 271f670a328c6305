"""JSON Lines: the canonical format and doccano's export.

Canonical: one ``{"id", "text", "spans": [{"start", "end", "label"}], "meta"}`` object per line,
offsets in characters of ``text``; a span may carry its ``text``, which is then checked.
doccano: ``{"text", "label": [[start, end, label], ...]}`` (sequence labelling export) or
``{"text", "entities": [{"start_offset", "end_offset", "label"}]}`` (newer versions). The
output of ``araevent predict`` (``entities`` with ``start``, ``end``, ``label``, ``text``) reads
back as predictions, so that ``araevent score`` takes it as it is.

doccano counts offsets in UTF-16 code units, as its JavaScript front end (v-annotator) indexes
strings: doccano PR 99 (2019) first met the emoji problem, PR 108 counted code points for a
while, and in today's front end (doccano/doccano ``ab6b765e``,
``frontend/components/tasks/sequenceLabeling/EntityEditor.vue`` passing ``graphemeMode`` to
v-annotator) offsets are UTF-16 units unless a project turns on "count grapheme clusters as
one character"; doccano issue 2290 shows an emoji shifting every later span by its extra unit.
The backend stores the integers as given (``backend/data_import/pipeline/label.py``,
``SpanLabel``). So the ``doccano`` format reads and writes UTF-16 offsets and converts them to
code points (:mod:`araevent.io.offsets`); the two agree on text without astral characters,
which covers Arabic, diacritics and bidi marks. ``jsonl`` reads every offset as code points.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from araevent.data.document import Document
from araevent.io.builder import DocumentBuilder, RawSpan
from araevent.io.files import read_lines
from araevent.io.offsets import from_utf16, to_utf16


def read_jsonl(
    path: str | Path, builder: DocumentBuilder, *, utf16: bool = False
) -> Iterator[Document]:
    """Canonical or doccano JSONL; the flavour is recognised per line by its keys. ``utf16``
    (the ``doccano`` format): doccano's own span fields count UTF-16 code units."""
    for number, line in enumerate(
        read_lines(path, strict=builder.strict, report=builder.report), 1
    ):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            builder.problem("invalid JSON", f"{exc.msg} at column {exc.colno}", number, None)
            continue
        if not isinstance(obj, dict):
            builder.problem("invalid record", "a line must hold a JSON object", number, None)
            continue
        # a record without an id is named by its line, not by the file's name, so that gold
        # and predictions in files named differently still pair up
        document = _record_to_document(obj, number, builder, str(number), utf16)
        if document is not None:
            yield document


def json_kind(value: object) -> str:
    """What a parsed JSON value is, in JSON's words (``5`` is a number, ``[]`` an array), for
    errors that a person who wrote JSON reads."""
    kinds = {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        list: "an array",
        str: "a string",
    }
    return "null" if value is None else kinds.get(type(value), "an object")


def _not_a_string(field: str, value: object) -> str:
    return f"field '{field}' is {json_kind(value)}, not a string"


def _record_to_document(
    obj: dict[str, Any], line: int, builder: DocumentBuilder, default_id: str, utf16: bool
) -> Document | None:
    doc_id = str(obj.get("id", default_id))
    text = obj.get("text")
    if not isinstance(text, str):
        reason = "missing field 'text'" if "text" not in obj else _not_a_string("text", text)
        builder.problem("invalid record", reason, line, doc_id)
        return None
    try:
        items = _span_items(obj)
    except TypeError as exc:
        builder.problem("invalid record", str(exc), line, doc_id)
        return None
    raw_spans = []
    for item in items:  # a malformed span is skipped alone, not with its document
        try:
            span = _raw_span(item, line)
            raw_spans += _from_utf16(text, [span]) if utf16 and "spans" not in obj else [span]
        except KeyError as exc:
            builder.problem("invalid span", f"a span lacks the field {exc}", line, doc_id)
        except (TypeError, ValueError) as exc:
            builder.problem("invalid span", str(exc), line, doc_id)
    meta = obj.get("meta") or {}
    if not isinstance(meta, dict):
        meta = {"meta": meta}
    return builder.build(doc_id, text, raw_spans, meta, line)


def _span_items(obj: dict[str, Any]) -> list[Any]:
    """The record's list of spans, whichever key holds it (none: no spans)."""
    for key in ("spans", "entities", "label", "labels"):
        if key in obj:
            items = obj[key]
            if not isinstance(items, list):
                raise TypeError(f"{key} must be a JSON list, not {type(items).__name__}")
            return items
    return []


def _raw_span(item: Any, line: int) -> RawSpan:
    """One span: an object (``start``/``end``, or doccano's ``start_offset``/``end_offset``) or
    a ``[start, end, label]`` list (doccano's ``label`` export)."""
    if isinstance(item, list):
        if len(item) != 3:
            raise TypeError(f"a span list must be [start, end, label], not {json.dumps(item)[:40]}")
        start, end, label = item
        return RawSpan(_int(start), _int(end), str(label), line)
    if not isinstance(item, dict):
        raise TypeError(f"a span must be a JSON object or list, not {json.dumps(item)[:40]}")
    if "start_offset" in item:
        return RawSpan(
            _int(item["start_offset"]), _int(item["end_offset"]), str(item["label"]), line
        )
    return RawSpan(
        _int(item["start"]), _int(item["end"]), str(item["label"]), line, item.get("text")
    )


def _from_utf16(text: str, spans: list[RawSpan]) -> list[RawSpan]:
    """doccano's spans with their UTF-16 offsets as code points (``ValueError`` when one splits
    a surrogate pair). The output of ``araevent predict`` counts code points already, and says
    so by stating each span's ``text``: those are kept as they are."""
    out = []
    for span in spans:
        if span.text is None:
            start, end = from_utf16(text, [span.start, span.end])
            span = RawSpan(start, end, span.label, span.line)
        out.append(span)
    return out


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"offset {value!r} is not an integer")
    return value


def write_doccano(documents: Iterable[Document], path: str | Path) -> int:
    """Write doccano's sequence-labelling JSONL, ``{"text", "label": [[start, end, label]]}``
    with UTF-16 offsets (see the module docstring), what its import reads as pre-annotations;
    scores and ids have no place there and are left out. Returns the number of documents."""
    count = 0
    with Path(path).open("w", encoding="utf-8", newline="\n") as out:
        for document in documents:
            out.write(json.dumps(doccano_record(document), ensure_ascii=False) + "\n")
            count += 1
    return count


def doccano_record(document: Document) -> dict[str, Any]:
    """One document as a doccano import line (UTF-16 offsets)."""
    labels = []
    for span in document.spans:
        start, end = to_utf16(document.text, [span.start, span.end])
        labels.append([start, end, span.label])
    return {"text": document.text, "label": labels}


def write_jsonl(documents: Iterable[Document], path: str | Path) -> int:
    """Write canonical JSONL (UTF-8, Arabic unescaped); returns the number of documents."""
    count = 0
    with Path(path).open("w", encoding="utf-8", newline="\n") as out:
        for document in documents:
            out.write(document.to_json() + "\n")
            count += 1
    return count
