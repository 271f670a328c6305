"""Span metrics in every match mode, seqeval agreement, bootstrap, confusion and error list."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from araevent.data.document import Document, Span
from araevent.evaluation import evaluate_documents, score_spans
from araevent.evaluation.bootstrap import (
    Interval,
    bootstrap,
    paired_bootstrap,
    seed_mean_interval,
)
from araevent.evaluation.matching import pair_documents
from araevent.evaluation.muc import muc_scores
from araevent.evaluation.spans import document_counts
from araevent.evaluation.tagging import seqeval_scores
from araevent.io import load
from araevent.io.brat import write_brat

TEXT = "أعلنت وزارة الدفاع السورية أن قواتها دخلت مدينة تدمر صباح الاثنين"


def span(phrase: str, label: str, text: str = TEXT) -> Span:
    start = text.index(phrase)
    return Span(start, start + len(phrase), label)


GOLD = Document(
    "d1",
    TEXT,
    (
        span("وزارة الدفاع السورية", "ACTOR"),
        span("دخلت", "TRIGGER"),
        span("مدينة تدمر", "PLACE"),
        span("صباح الاثنين", "DATE"),
    ),
)


def muc(pred: list[Span], gold: Document = GOLD) -> dict[str, dict[str, int]]:
    scores = muc_scores([(gold, gold.with_spans(pred))])
    keys = ("correct", "incorrect", "partial", "missed", "spurious")
    return {scheme: {k: getattr(s.overall, k) for k in keys} for scheme, s in scores.items()}


def counts(c: int = 0, i: int = 0, p: int = 0, m: int = 0, s: int = 0) -> dict[str, int]:
    return {"correct": c, "incorrect": i, "partial": p, "missed": m, "spurious": s}


def test_a_prediction_that_splits_one_gold_span_in_two() -> None:
    # gold ACTOR "وزارة الدفاع السورية" predicted as "وزارة الدفاع" + "السورية"
    pred = [
        span("وزارة الدفاع", "ACTOR"),
        span("السورية", "ACTOR"),
        *GOLD.spans[1:],
    ]
    scores = muc(pred)
    # the first piece takes the gold span; the second finds it used and is spurious
    assert scores["strict"] == counts(c=3, i=1, s=1)
    assert scores["exact"] == counts(c=3, i=1, s=1)
    assert scores["partial"] == counts(c=3, p=1, s=1)
    assert scores["ent_type"] == counts(c=4, s=1)
    strict = score_spans([GOLD], [GOLD.with_spans(pred)])
    assert (strict.micro.tp, strict.micro.fp, strict.micro.fn) == (3, 2, 1)
    partial = muc_scores([(GOLD, GOLD.with_spans(pred))])["partial"].overall
    assert partial.possible == 4 and partial.actual == 5
    assert partial.precision == pytest.approx(3.5 / 5)
    assert partial.recall == pytest.approx(3.5 / 4)


def test_wrong_label_with_right_boundaries() -> None:
    pred = [span("وزارة الدفاع السورية", "PLACE"), *GOLD.spans[1:]]
    scores = muc(pred)
    assert scores["strict"] == counts(c=3, i=1)
    assert scores["exact"] == counts(c=4)
    assert scores["partial"] == counts(c=4)
    assert scores["ent_type"] == counts(c=3, i=1)
    boundary = score_spans([GOLD], [GOLD.with_spans(pred)], match="boundary")
    assert boundary.micro.f1 == 1.0
    strict = score_spans([GOLD], [GOLD.with_spans(pred)])
    assert strict.per_label["ACTOR"].fn == 1 and strict.per_label["PLACE"].fp == 1


def test_wrong_label_and_boundaries_missed_and_spurious() -> None:
    pred = [
        span("الدفاع السورية", "PLACE"),  # label and boundaries wrong
        span("قواتها", "ACTOR"),  # spurious
        span("دخلت", "TRIGGER"),
        span("تدمر", "PLACE"),  # boundary
        # DATE missed
    ]
    assert muc(pred) == {
        "strict": counts(c=1, i=2, m=1, s=1),
        "exact": counts(c=1, i=2, m=1, s=1),
        "partial": counts(c=1, p=2, m=1, s=1),
        "ent_type": counts(c=2, i=1, m=1, s=1),
    }


def test_per_label_scores_score_each_label_alone() -> None:
    pred = [span("وزارة الدفاع السورية", "PLACE"), *GOLD.spans[1:]]
    per_label = muc_scores([(GOLD, GOLD.with_spans(pred))])["strict"].per_label
    assert per_label["ACTOR"].missed == 1 and per_label["ACTOR"].possible == 1
    assert per_label["PLACE"].correct == 1 and per_label["PLACE"].spurious == 1


def test_macro_f1_averages_the_labels_that_occur_as_seqeval_does() -> None:
    gold = GOLD.with_spans([span("دخلت", "TRIGGER"), span("مدينة تدمر", "PLACE")])
    pred = gold.with_spans([span("دخلت", "TRIGGER")])
    scores = score_spans([gold], [pred], labels=["ACTOR", "PLACE", "DATE", "TRIGGER"])
    assert set(scores.per_label) == {"ACTOR", "PLACE", "DATE", "TRIGGER"}  # all reported
    assert scores.macro_f1 == 0.5  # (TRIGGER 1.0 + PLACE 0.0) / 2: absent labels are no zeros
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    # the same two documents as tags over TEXT's eleven words
    gold_tags = ["O"] * 6 + ["B-TRIGGER", "B-PLACE", "I-PLACE", "O", "O"]
    pred_tags = ["O"] * 6 + ["B-TRIGGER", "O", "O", "O", "O"]
    report = classification_report(
        [gold_tags], [pred_tags], mode="strict", scheme=IOB2, output_dict=True, zero_division=0
    )
    assert scores.macro_f1 == pytest.approx(report["macro avg"]["f1-score"])


ATOMS = st.lists(
    st.tuples(st.integers(0, 40), st.integers(1, 5), st.sampled_from(["ACTOR", "PLACE", "DATE"])),
    max_size=8,
)


def _disjoint(raw: list[tuple[int, int, str]]) -> list[Span]:
    out: list[Span] = []
    for start, length, label in sorted(raw):
        candidate = Span(start, start + length, label)
        if not out or not out[-1].overlaps(candidate):
            out.append(candidate)
    return out


@settings(deadline=None)
@given(st.lists(st.tuples(ATOMS, ATOMS), min_size=1, max_size=4))
def test_match_modes_agree_with_nervaluate(docs: list[tuple[list, list]]) -> None:
    from nervaluate import Evaluator

    text = "x" * 50
    pairs = [
        (Document(str(i), text, tuple(_disjoint(g))), Document(str(i), text, tuple(_disjoint(p))))
        for i, (g, p) in enumerate(docs)
    ]

    def entities(doc: Document) -> list[dict[str, object]]:  # nervaluate: inclusive ends
        return [{"label": s.label, "start": s.start, "end": s.end - 1} for s in doc.spans]

    tags = ["ACTOR", "PLACE", "DATE"]
    reference = Evaluator(
        [entities(g) for g, _ in pairs], [entities(p) for _, p in pairs], tags=tags, loader="dict"
    ).evaluate()
    ours = muc_scores(pairs)
    keys = ("correct", "incorrect", "partial", "missed", "spurious", "possible", "actual")
    for scheme, result in reference["overall"].items():
        assert {k: getattr(ours[scheme].overall, k) for k in keys} == {
            k: getattr(result, k) for k in keys
        }, scheme
        assert ours[scheme].overall.f1 == pytest.approx(result.f1)
    for label, schemes in reference["entities"].items():
        for scheme, result in schemes.items():
            assert {k: getattr(ours[scheme].per_label[label], k) for k in keys} == {
                k: getattr(result, k) for k in keys
            }, (label, scheme)


WORDS = ["قصفت", "الطائرات", "التركية", "مواقع", "في", "الرقة", "،", "يوم", "الأحد", "."]


@st.composite
def word_aligned_pair(draw: st.DrawFn) -> tuple[Document, Document]:
    chosen = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=25))
    text = " ".join(chosen)
    offsets, position = [], 0
    for word in chosen:
        offsets.append((position, position + len(word)))
        position += len(word) + 1
    word_indices = [i for i, w in enumerate(chosen) if w not in ("،", ".")]

    def spans() -> tuple[Span, ...]:
        out: list[Span] = []
        i = 0
        while i < len(word_indices):
            if draw(st.booleans()):
                length = draw(st.integers(1, 3))
                run = word_indices[i : i + length]
                # a span covers consecutive words only
                while run and run[-1] - run[0] != len(run) - 1:
                    run = run[:-1]
                label = draw(st.sampled_from(["ACTOR", "PLACE", "TRIGGER"]))
                out.append(Span(offsets[run[0]][0], offsets[run[-1]][1], label))
                i += len(run)
            else:
                i += 1
        return tuple(out)

    return Document("d", text, spans()), Document("d", text, spans())


@settings(deadline=None)  # the first example imports seqeval
@given(st.lists(word_aligned_pair(), min_size=1, max_size=3))
def test_seqeval_strict_agrees_with_span_scores_on_word_aligned_spans(
    raw: list[tuple[Document, Document]],
) -> None:
    pairs = [
        (Document(f"d{i}", g.text, g.spans), Document(f"d{i}", p.text, p.spans))
        for i, (g, p) in enumerate(raw)
    ]
    ours = score_spans([g for g, _ in pairs], [p for _, p in pairs])
    theirs = seqeval_scores(pairs, ("strict",))["strict"]
    assert theirs.unaligned == 0
    if not theirs.report:
        assert ours.micro.tp + ours.micro.fp + ours.micro.fn == 0
        return
    assert theirs.report["micro avg"]["f1-score"] == pytest.approx(ours.micro.f1)
    for label, prf in ours.per_label.items():
        assert theirs.report[label]["f1-score"] == pytest.approx(prf.f1)
        assert theirs.report[label]["support"] == prf.tp + prf.fn


def _corpus(n: int, seed: int, noise: float) -> tuple[list[Document], list[Document]]:
    rng = random.Random(seed)
    gold, pred = [], []
    for i in range(n):
        spans = (span("وزارة الدفاع السورية", "ACTOR"), span("دخلت", "TRIGGER"))
        gold.append(Document(f"d{i}", TEXT, spans))
        pred.append(Document(f"d{i}", TEXT, tuple(s for s in spans if rng.random() > noise)))
    return gold, pred


def test_bootstrap_is_deterministic_under_a_seed_and_brackets_the_estimate() -> None:
    gold, pred = _corpus(200, seed=1, noise=0.3)
    pairs = pair_documents(gold, pred)
    counts = document_counts(pairs, ["ACTOR", "TRIGGER"])
    first = bootstrap(counts, ["ACTOR", "TRIGGER"], samples=300, seed=7)
    again = bootstrap(counts, ["ACTOR", "TRIGGER"], samples=300, seed=7)
    other = bootstrap(counts, ["ACTOR", "TRIGGER"], samples=300, seed=8)
    assert first == again
    assert first != other
    f1 = score_spans(gold, pred).micro.f1
    assert first.f1.low < f1 < first.f1.high
    assert first.f1.high - first.f1.low < 0.2


def test_a_resample_without_a_rare_label_leaves_its_interval_alone() -> None:
    """A perfect system stays 1.0–1.0 on a label that only 2 of 20 documents hold, although
    about one resample in eight draws neither of them."""
    gold, _ = _corpus(20, seed=1, noise=0.0)
    gold = [
        doc if i < 2 else doc.with_spans(s for s in doc.spans if s.label != "ACTOR")
        for i, doc in enumerate(gold)
    ]
    counts = document_counts(pair_documents(gold, gold), ["ACTOR", "TRIGGER"])
    result = bootstrap(counts, ["ACTOR", "TRIGGER"], samples=500, seed=0)
    actor = result.per_label_f1["ACTOR"]
    assert (actor.low, actor.high) == (1.0, 1.0) and 400 < actor.resamples < 500
    assert result.f1 == Interval(1.0, 1.0, 500)
    with pytest.raises(ValueError, match="at least one resample"):
        bootstrap(counts, ["ACTOR", "TRIGGER"], samples=0)


def test_the_paired_p_value_counts_only_resamples_where_both_f1_are_defined() -> None:
    """Of 10 documents only two hold spans: A finds both, B one. A resample with neither says
    nothing; the p-value is the share of ties among the others, not among all."""
    a, b = np.zeros((10, 1, 3)), np.zeros((10, 1, 3))
    a[0, 0], b[0, 0] = [1, 0, 0], [0, 0, 1]
    a[1, 0], b[1, 0] = [1, 0, 0], [1, 0, 0]
    result = paired_bootstrap(a, b, samples=1000, seed=0)
    used = result.difference.resamples
    assert 850 < used < 950  # about (8/10)**10 of the resamples draw neither document
    assert result.p_value == round(result.p_value * used) / used


def test_paired_bootstrap_tells_a_real_difference_from_none() -> None:
    gold, good = _corpus(300, seed=1, noise=0.1)
    _, bad = _corpus(300, seed=2, noise=0.4)
    labels = ["ACTOR", "TRIGGER"]
    counts_good = document_counts(pair_documents(gold, good), labels)
    counts_bad = document_counts(pair_documents(gold, bad), labels)
    result = paired_bootstrap(counts_good, counts_bad, samples=500, seed=0)
    assert result.delta > 0.1 and result.p_value < 0.01
    assert result.difference.low > 0
    same = paired_bootstrap(counts_good, counts_good, samples=100)
    assert same.delta == 0 and same.p_value == 1.0


def test_the_seed_mean_interval_resamples_the_same_documents_for_every_seed() -> None:
    """Identical seeds give one seed's interval; two seeds' interval lies between theirs
    (a document drawn twice counts twice for both, so their errors do not average out)."""
    gold, good = _corpus(200, seed=1, noise=0.1)
    _, bad = _corpus(200, seed=2, noise=0.4)
    labels = ["ACTOR", "TRIGGER"]
    counts_good = document_counts(pair_documents(gold, good), labels)
    counts_bad = document_counts(pair_documents(gold, bad), labels)
    alone = bootstrap(counts_good, labels, samples=300, seed=3).f1
    assert seed_mean_interval([counts_good, counts_good], samples=300, seed=3) == alone
    worse = bootstrap(counts_bad, labels, samples=300, seed=3).f1
    both = seed_mean_interval([counts_good, counts_bad], samples=300, seed=3)
    assert worse.low < both.low < alone.low and worse.high < both.high < alone.high


def test_confusion_matrix_and_error_list() -> None:
    pred = [
        span("الدفاع السورية", "PLACE"),
        span("قواتها", "ACTOR"),
        span("دخلت", "TRIGGER"),
        span("تدمر", "PLACE"),
    ]
    evaluation = evaluate_documents([GOLD], [GOLD.with_spans(pred)], config=None)
    confusion = dict(zip(evaluation.confusion.labels, evaluation.confusion.matrix, strict=True))
    names = evaluation.confusion.labels
    assert names == ("ACTOR", "DATE", "PLACE", "TRIGGER", "O")
    assert confusion["ACTOR"] == (0, 0, 1, 0, 0)  # read as PLACE (boundaries also wrong)
    assert confusion["DATE"] == (0, 0, 0, 0, 1)  # missed
    assert confusion["PLACE"] == (0, 0, 1, 0, 0)
    assert confusion["O"] == (1, 0, 0, 0, 0)  # spurious ACTOR
    # rows sum to gold support, columns to the number of predictions
    assert [sum(row) for row in evaluation.confusion.matrix[:-1]] == [1, 1, 1, 1]
    assert sum(map(sum, evaluation.confusion.matrix)) == 5
    kinds = {(e.kind, e.gold_text, e.predicted_text) for e in evaluation.errors}
    assert kinds == {
        ("label_boundary", "وزارة الدفاع السورية", "الدفاع السورية"),
        ("spurious", "", "قواتها"),
        ("boundary", "مدينة تدمر", "تدمر"),
        ("missed", "صباح الاثنين", ""),
    }
    missed = next(e for e in evaluation.errors if e.kind == "missed")
    assert "[[صباح الاثنين]]" in missed.context and "تدمر" in missed.context
    assert evaluation.error_counts == {
        "missed": 1, "spurious": 1, "label": 0, "boundary": 1, "label_boundary": 1
    }  # fmt: skip


def test_metrics_json_keys_are_stable() -> None:
    evaluation = evaluate_documents([GOLD], [GOLD])
    data = evaluation.as_dict()
    assert list(data) == [
        "araevent_version", "documents", "labels", "strict", "boundary", "muc", "seqeval",
        "bootstrap", "confusion", "errors", "meta",
    ]  # fmt: skip
    assert data["strict"]["micro"]["f1"] == 1.0
    assert set(data["muc"]) == {"strict", "exact", "partial", "ent_type"}
    assert data["seqeval"]["strict"]["report"]["micro avg"]["f1-score"] == 1.0
    assert len(data["meta"]["gold_sha256"]) == 64


def test_predictions_written_as_brat_pair_with_the_gold_they_came_from(tmp_path: Path) -> None:
    """``araevent predict x.txt --format brat`` names files ``x.txt_1`` for the id
    ``x.txt:1``; scoring that folder against the JSONL output found no prediction."""
    gold = Document("news/x.txt:1", GOLD.text, GOLD.spans)
    write_brat([gold], tmp_path / "brat")
    (predicted,) = load(tmp_path / "brat", "brat")
    assert predicted.id == "news_x.txt_1"
    assert [(g.id, p.id) for g, p in pair_documents([gold], [predicted])] == [
        ("news/x.txt:1", "news_x.txt_1")
    ]
    assert score_spans([gold], [predicted]).micro.f1 == 1.0
    # a gold document of that very name keeps it: the renamed one is not paired in its place
    twin = Document("news_x.txt_1", gold.text)
    with pytest.raises(ValueError, match=r"no prediction for gold document 'news/x\.txt:1'"):
        pair_documents([gold, twin], [predicted])


def test_documents_are_matched_by_id_and_must_agree() -> None:
    with pytest.raises(ValueError, match="no prediction for gold document 'd1'"):
        score_spans([GOLD], [])
    with pytest.raises(ValueError, match="predicted text differs"):
        score_spans([GOLD], [Document("d1", TEXT + ".")])
    with pytest.raises(ValueError, match="not in the gold data"):
        score_spans([GOLD], [GOLD, Document("extra", "نص")])
    with pytest.raises(ValueError, match="gold document id 'd1' occurs twice"):
        score_spans([GOLD, GOLD], [GOLD])
    with pytest.raises(ValueError, match="no gold documents"):
        score_spans([], [GOLD])
    other_order = [Document("b", "ب"), Document("a", "أ")]
    assert score_spans(other_order[::-1], other_order).micro.f1 == 0.0
