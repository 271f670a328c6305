"""The shipped sample corpus: loadable strictly, built from its markup, and as described."""

import subprocess
import sys
from pathlib import Path

from araevent import LabelSchema
from araevent.data.text import ARABIC_INDIC_DIGITS, sentences, strip_proclitics, words
from araevent.io import load
from tests.conftest import REPO, SAMPLE

SCHEMA = LabelSchema()


def test_splits_load_strictly_with_the_project_schema() -> None:
    counts = {}
    for split in ("train", "dev", "test"):
        corpus = load(SAMPLE / f"{split}.jsonl", schema=SCHEMA)
        assert corpus.report.clean
        counts[split] = sum(len(sentences(d.text)) for d in corpus)
        assert {s.label for d in corpus for s in d.spans} == set(SCHEMA.labels)
    assert sum(counts.values()) >= 200


def test_the_corpus_has_what_the_tests_and_users_rely_on() -> None:
    docs = [d for split in ("train", "dev", "test") for d in load(SAMPLE / f"{split}.jsonl")]
    texts = [(d.span_text(s), s.label) for d in docs for s in d.spans]
    with_clitic = [t for t, _ in texts if strip_proclitics(t).text != t]
    assert len(with_clitic) >= 60  # counted conservatively: proclitic + article only
    assert any(label == "ACTOR" and len(t.split()) >= 3 for t, label in texts)
    assert (
        sum(label == "DATE" and any(c in ARABIC_INDIC_DIGITS for c in t) for t, label in texts)
        >= 10
    )
    assert (
        sum(label == "DATE" and any(c.isascii() and c.isdigit() for c in t) for t, label in texts)
        >= 10
    )
    assert sum(len(words(d.text)) >= 500 for d in docs) >= 3  # a few long documents
    places = {t for t, label in texts if label == "PLACE"}
    actors = {t for t, label in texts if label == "ACTOR"}
    assert places & actors  # the same name as a place and as an actor


def test_test_split_in_conll_and_brat_matches_jsonl() -> None:
    jsonl = {d.id: d for d in load(SAMPLE / "test.jsonl")}
    brat = {d.id: d for d in load(SAMPLE / "test-brat")}
    conll = {d.id: d for d in load(SAMPLE / "test.conll")}
    assert jsonl.keys() == brat.keys() == conll.keys()
    for doc_id, doc in jsonl.items():
        assert (brat[doc_id].text, brat[doc_id].spans) == (doc.text, doc.spans)
        assert [(conll[doc_id].span_text(s), s.label) for s in conll[doc_id].spans] == [
            (" ".join(t for t in _tokens(doc.span_text(s))), s.label) for s in doc.spans
        ]


def _tokens(text: str) -> list[str]:
    from araevent.data.text import tokens

    return [text[a:b] for a, b in tokens(text)]


def test_derived_files_are_up_to_date_with_the_markup(tmp_path: Path) -> None:
    copy = tmp_path / "sample"
    (copy / "markup").mkdir(parents=True)
    for file in (SAMPLE / "markup").glob("*.txt"):
        (copy / "markup" / file.name).write_bytes(file.read_bytes())
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_sample_data.py"), "--folder", str(copy)],
        check=True,
        capture_output=True,
    )
    for name in ("train.jsonl", "dev.jsonl", "test.jsonl", "test.conll"):
        assert (copy / name).read_bytes() == (SAMPLE / name).read_bytes(), name
