"""scripts/augment_mentions.py: copies of training documents with mentions replaced."""

import random
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from araevent import Document, Span
from araevent.io import load
from tests.conftest import SAMPLE, load_script

augment = load_script("augment_mentions")

TEXT = "وصلت القوات إلى بالحسكة بعد هجوم للنظام"


def _doc() -> Document:
    spans = []
    for word, label in (("بالحسكة", "PLACE"), ("هجوم", "TRIGGER"), ("للنظام", "ACTOR")):
        start = TEXT.index(word)
        spans.append(Span(start, start + len(word), label))
    return Document("d", TEXT, tuple(spans))


def test_a_replacement_keeps_the_proclitics_of_the_span_it_replaces() -> None:
    pool = {"PLACE": ["دير الزور"], "ACTOR": ["الحكومة"]}
    copy, replaced = augment.replace_mentions(_doc(), pool, 1.0, random.Random(0), set(), "d#1")
    assert replaced == 2 and copy.id == "d#1"
    assert [copy.span_text(s) for s in copy.spans] == ["بدير الزور", "هجوم", "للحكومة"]
    assert [s.label for s in copy.spans] == ["PLACE", "TRIGGER", "ACTOR"]
    assert copy.text == "وصلت القوات إلى بدير الزور بعد هجوم للحكومة"


def test_the_pool_holds_mentions_without_proclitics_and_no_triggers() -> None:
    doc = _doc()
    vocabulary = augment.core_vocabulary([doc])
    pool = augment.mention_pool([doc], augment.LABELS, vocabulary)
    assert pool == {"PLACE": ["الحسكة"], "ACTOR": ["النظام"]}


def test_copies_where_nothing_was_replaced_are_left_out_and_counted() -> None:
    out, counts = augment.augment([_doc()], ["DATE"], 1.0, 2, seed=1)
    assert [d.id for d in out] == ["d"]
    assert counts["copies left out (nothing replaced)"] == 2


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.0, 1.0))
def test_every_copy_of_the_sample_keeps_spans_on_their_text(seed: int, p: float) -> None:
    documents = list(load(SAMPLE / "train.jsonl"))[:20]
    out, _ = augment.augment(documents, augment.LABELS, p, 1, seed)
    originals = {d.id: d for d in documents}
    for copy in out[len(documents) :]:
        source = originals[copy.id.removesuffix("#mr1")]
        assert [s.label for s in copy.spans] == [s.label for s in source.spans]
        triggers = [copy.span_text(s) for s in copy.spans if s.label == "TRIGGER"]
        assert triggers == [source.span_text(s) for s in source.spans if s.label == "TRIGGER"]


def test_the_command_writes_a_corpus_araevent_reads(tmp_path: Path) -> None:
    out = tmp_path / "aug.jsonl"
    assert augment.main([str(SAMPLE / "train.jsonl"), str(out), "--seed", "3"]) == 0
    written = list(load(out))
    originals = list(load(SAMPLE / "train.jsonl"))
    assert written[: len(originals)] == originals
    assert len(written) > len(originals)
