"""Constrained decoding and window merging on hand-made scores."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from araevent import LabelSchema, Span
from araevent.data.text import tokens, words
from araevent.decoding import (
    SpanDecoder,
    merge_windows,
    tags_to_spans,
    transition_mask,
    viterbi,
    viterbi_batch,
)

SCHEMA = LabelSchema()
O, B_ACTOR, I_ACTOR, B_PLACE, I_PLACE = 0, 1, 2, 3, 4  # noqa: E741


def scores(*rows: dict[int, float]) -> np.ndarray:
    """Log-probability-like rows: the named tags get their value, the rest -10."""
    out = np.full((len(rows), SCHEMA.num_tags), -10.0)
    for i, row in enumerate(rows):
        for tag, value in row.items():
            out[i, tag] = value
    return out


def test_i_never_follows_o_or_another_type() -> None:
    start, trans = transition_mask(SCHEMA)
    # greedy argmax would give O, I-ACTOR, I-PLACE: two ill-formed transitions
    log_probs = scores({O: -0.1}, {I_ACTOR: -0.2, B_ACTOR: -0.9}, {I_PLACE: -0.3, I_ACTOR: -0.8})
    assert viterbi(log_probs, start, trans).tolist() == [O, B_ACTOR, I_ACTOR]


def test_sequence_may_not_start_with_i() -> None:
    start, trans = transition_mask(SCHEMA)
    log_probs = scores({I_PLACE: -0.1, B_PLACE: -1.0}, {I_PLACE: -0.1})
    assert viterbi(log_probs, start, trans).tolist() == [B_PLACE, I_PLACE]


def test_each_word_takes_the_window_where_it_is_most_central() -> None:
    # words 0..5; window A covers 0..3, window B covers 2..5
    a = (np.arange(0, 4), scores({O: 0}, {O: 0}, {B_ACTOR: 0}, {B_ACTOR: 0}))
    b = (np.arange(2, 6), scores({O: 0}, {B_PLACE: 0}, {O: 0}, {O: 0}))
    merged, seen = merge_windows(6, [a, b], SCHEMA.num_tags)
    assert seen.all()
    # word 2: centrality 1 in A (position 2 of 4), 0 in B -> from A
    # word 3: centrality 0 in A (last), 1 in B -> from B
    assert merged.argmax(axis=1).tolist() == [O, O, B_ACTOR, B_PLACE, O, O]


def test_a_tie_goes_to_the_earlier_window_whatever_their_order() -> None:
    """Training decodes windows in document order, the predictor in length-sorted batches:
    both must give a word the same window when it is equally central in two."""
    # words 0..4; word 2 is at centrality 1 in A (0..3) and in B (1..4)
    a = (np.arange(0, 4), scores({O: 0}, {O: 0}, {B_ACTOR: 0}, {O: 0}))
    b = (np.arange(1, 5), scores({O: 0}, {B_PLACE: 0}, {O: 0}, {O: 0}))
    forward, _ = merge_windows(5, [a, b], SCHEMA.num_tags)
    backward, _ = merge_windows(5, [b, a], SCHEMA.num_tags)
    assert forward.argmax(axis=1)[2] == backward.argmax(axis=1)[2] == B_ACTOR
    assert (forward == backward).all()


def test_decoder_returns_word_aligned_spans_with_scores() -> None:
    text = "قصفت الطائرات التركية الرقة"
    words = np.array([[0, 4], [5, 13], [14, 21], [22, 27]])
    # 6 sub-tokens: الطائرات is split in two, the rest are single
    subtoken_word = np.array([0, 1, 1, 2, 3, 3])
    first = np.array([True, True, False, True, True, False])
    logits = np.zeros((6, SCHEMA.num_tags))
    logits[[0, 1, 3, 4], [0, B_ACTOR, I_ACTOR, B_PLACE]] = 8.0
    logits[2, O] = 8.0  # a continuation sub-token: ignored, only first sub-tokens count
    spans = SpanDecoder(SCHEMA).decode(first, subtoken_word, words, [(0, 6, logits)])
    assert [(text[s.start : s.end], s.label) for s in spans] == [
        ("الطائرات التركية", "ACTOR"),
        ("الرقة", "PLACE"),
    ]
    assert all(0.99 < (s.score or 0) <= 1.0 for s in spans)
    assert spans[0] == Span(5, 21, "ACTOR")


def test_unconstrained_decoding_reads_a_stray_i_as_a_chunk_start() -> None:
    words = np.array([[0, 4], [5, 9], [10, 14]])
    logits = np.zeros((3, SCHEMA.num_tags))
    logits[0, O] = logits[1, I_PLACE] = logits[2, I_ACTOR] = 8.0
    args = (np.array([True] * 3), np.array([0, 1, 2]), words, [(0, 3, logits)])
    spans = SpanDecoder(SCHEMA, constrained=False).decode(*args)
    assert [(s.start, s.label) for s in spans] == [(5, "PLACE"), (10, "ACTOR")]


def test_spans_never_start_or_end_on_punctuation() -> None:
    text = "في ١ تشرين الأول/ أكتوبر ، «هجوم»"
    offsets = np.array([m for m in tokens(text)])
    starts = [s for s, _ in words(text)]
    can_edge = np.isin(offsets[:, 0], starts)
    # ١ تشرين الأول / tagged as one chunk; "،" alone tagged; «هجوم» tagged with its quotes
    path = np.array([O, B_ACTOR, I_ACTOR, I_ACTOR, I_ACTOR, O, B_PLACE, B_ACTOR, I_ACTOR, I_ACTOR])
    probs = np.full((len(path), SCHEMA.num_tags), 0.5)
    spans = tags_to_spans(path, probs, offsets, SCHEMA, can_edge)
    assert [(text[s.start : s.end], s.label) for s in spans] == [
        ("١ تشرين الأول", "ACTOR"),
        ("هجوم", "ACTOR"),
    ]


def reference_viterbi(log_probs: np.ndarray, start: np.ndarray, trans: np.ndarray) -> np.ndarray:
    """The one-document Viterbi that the batched one replaced, kept as the reference."""
    n = len(log_probs)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    score = start + log_probs[0]
    back = np.zeros((n, log_probs.shape[1]), dtype=np.int64)
    for t in range(1, n):
        candidates = score[:, None] + trans
        back[t] = candidates.argmax(axis=0)
        score = candidates.max(axis=0) + log_probs[t]
    path = np.zeros(n, dtype=np.int64)
    path[-1] = int(score.argmax())
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


@st.composite
def decoding_batches(draw: st.DrawFn) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Documents of random scores over a random schema, with masks constrained or not.

    Scores are drawn from a few values (ties everywhere) or as floats, as well as the
    -1e9 that marks unseen words."""
    labels = draw(st.lists(st.sampled_from("ABCDEF"), min_size=1, max_size=4, unique=True))
    schema = LabelSchema(tuple(labels))
    start, trans = transition_mask(schema)
    if draw(st.booleans()):
        start, trans = np.zeros_like(start), np.zeros_like(trans)
    values = st.one_of(
        st.sampled_from([0.0, -1.0, -2.5, -1e9]),
        st.floats(-30, 0, allow_nan=False, width=64),
    )
    lengths = draw(st.lists(st.integers(0, 12), min_size=1, max_size=6))
    docs = [draw(arrays(np.float64, (n, schema.num_tags), elements=values)) for n in lengths]
    return docs, start, trans


@settings(max_examples=300)
@given(decoding_batches())
def test_batched_viterbi_gives_each_document_the_reference_path(
    batch: tuple[list[np.ndarray], np.ndarray, np.ndarray],
) -> None:
    """Decoding many documents at once is a speed-up only: path for path, ties included,
    the result is the one-document reference's."""
    docs, start, trans = batch
    expected = [reference_viterbi(d, start, trans).tolist() for d in docs]
    assert [p.tolist() for p in viterbi_batch(docs, start, trans)] == expected
    assert [viterbi(d, start, trans).tolist() for d in docs] == expected


def reference_tags_to_spans(
    path: np.ndarray, probs: np.ndarray, offsets: np.ndarray, can_edge: np.ndarray | None
) -> list[tuple[int, int, str, float]]:
    """Chunks read one tag at a time, as conlleval does, trimmed one chunk at a time: the
    loop the vectorised :func:`tags_to_spans` replaced, kept as the reference."""
    chunks: list[list[int]] = []  # [first, last, label index]
    for i, tag in enumerate(path.tolist()):
        label = (tag + 1) // 2
        if tag == 0:
            continue
        if tag % 2 == 1 or not chunks or chunks[-1][1] != i or chunks[-1][2] != label:
            chunks.append([i, i + 1, label])
        else:
            chunks[-1][1] = i + 1
    spans = []
    for first, last, label in chunks:
        if can_edge is not None:
            inner = [i for i in range(first, last) if can_edge[i]]
            if not inner:
                continue
            first, last = inner[0], inner[-1] + 1
        score = float(np.mean([probs[i, path[i]] for i in range(first, last)]))
        spans.append((int(offsets[first, 0]), int(offsets[last - 1, 1]), label, score))
    return [(s, e, SCHEMA.labels[label - 1], score) for s, e, label, score in spans]


@settings(max_examples=300)
@given(
    st.lists(st.integers(0, SCHEMA.num_tags - 1), max_size=30).flatmap(
        lambda tags: st.tuples(
            st.just(np.array(tags, dtype=np.int64)),
            arrays(np.float64, (len(tags), SCHEMA.num_tags), elements=st.floats(0, 1)),
            st.one_of(st.none(), arrays(np.bool_, len(tags))),
        )
    )
)
def test_spans_are_read_from_any_path_as_the_one_chunk_at_a_time_reference(
    case: tuple[np.ndarray, np.ndarray, np.ndarray | None],
) -> None:
    """Any path, constrained or not (stray I- tags included), any punctuation: the same
    chunks, edges and mean scores as reading the path one tag at a time."""
    path, probs, can_edge = case
    offsets = np.array([[3 * i, 3 * i + 2] for i in range(len(path))]).reshape(-1, 2)
    spans = tags_to_spans(path, probs, offsets, SCHEMA, can_edge)
    expected = reference_tags_to_spans(path, probs, offsets, can_edge)
    assert [(s.start, s.end, s.label) for s in spans] == [e[:3] for e in expected]
    assert [s.score for s in spans] == [pytest.approx(e[3], abs=1e-12) for e in expected]
