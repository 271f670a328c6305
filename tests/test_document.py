import pytest

from araevent import Document, LabelSchema, Span, SpanError

TEXT = "قصفت الطائرات التركية مواقع في الرقة"


def test_spans_are_sorted_and_text_is_recoverable() -> None:
    doc = Document("d1", TEXT, (Span(31, 36, "PLACE"), Span(0, 4, "TRIGGER")))
    assert [doc.span_text(s) for s in doc.spans] == ["قصفت", "الرقة"]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [(-1, 3, r"0 <= start < end"), (5, 5, r"0 <= start < end"), (0, 99, "outside the text")],
)
def test_offsets_outside_the_text_are_rejected(start: int, end: int, message: str) -> None:
    with pytest.raises(SpanError, match=message):
        Document("d1", TEXT, (Span(start, end, "ACTOR"),))


def test_overlapping_spans_are_rejected_with_both_texts() -> None:
    with pytest.raises(SpanError, match=r"overlapping spans.*الطائرات التركية.*التركية"):
        Document("d1", TEXT, (Span(5, 21, "ACTOR"), Span(14, 21, "ACTOR")))


def test_unknown_label_is_rejected_by_validate() -> None:
    doc = Document("d1", TEXT, (Span(0, 4, "EVENT"),))
    with pytest.raises(SpanError, match="unknown label 'EVENT'"):
        doc.validate(LabelSchema().labels)


def test_json_round_trip_keeps_scores_and_meta() -> None:
    doc = Document("d1", TEXT, (Span(0, 4, "TRIGGER", score=0.75),), {"source": "x"})
    assert Document.from_json(doc.to_json()) == doc
    assert Document.from_json(doc.to_json()).spans[0].score == 0.75
    assert "الرقة" in doc.to_json()  # Arabic is written, not escaped


def test_from_dict_checks_span_text() -> None:
    data = {
        "id": "d",
        "text": TEXT,
        "spans": [{"start": 0, "end": 4, "label": "TRIGGER", "text": "قصف"}],
    }
    with pytest.raises(SpanError, match="span text mismatch"):
        Document.from_dict(data)


def test_with_spans_returns_a_new_document() -> None:
    gold = Document("d1", TEXT, (Span(0, 4, "TRIGGER"),))
    predicted = gold.with_spans([Span(31, 36, "PLACE")])
    assert gold.spans == (Span(0, 4, "TRIGGER"),)
    assert predicted.text == gold.text and predicted.spans == (Span(31, 36, "PLACE"),)
