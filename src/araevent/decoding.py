"""From per-token scores back to character spans on the original text.

Three steps, each a named policy: window merging (every word takes its scores from the window
where it sits most centrally, i.e. with the most context), BIO-constrained Viterbi decoding (an
``I-X`` can only follow ``B-X`` or ``I-X``, so every decoded chunk is well formed), and spans
built from whole words, so a prediction never cuts a word.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from araevent.data.document import Document, Span
from araevent.data.labels import LabelSchema
from araevent.data.text import words
from araevent.features import TokenizedDocument

_FORBIDDEN = -1e9


def transition_mask(schema: LabelSchema) -> tuple[np.ndarray, np.ndarray]:
    """Additive masks (0 allowed, -inf-like forbidden): ``start[k]`` and ``trans[from, to]``."""
    k = schema.num_tags
    inside = np.zeros(k, dtype=bool)
    label_of = np.full(k, -1)
    for i, label in enumerate(schema.labels):
        inside[schema.inside_id(label)] = True
        label_of[schema.begin_id(label)] = label_of[schema.inside_id(label)] = i
    start = np.where(inside, _FORBIDDEN, 0.0)
    trans = np.zeros((k, k))
    for to in np.flatnonzero(inside):
        # I-X may follow only B-X or I-X
        trans[:, to] = np.where(label_of == label_of[to], 0.0, _FORBIDDEN)
    return start, trans


def viterbi(log_probs: np.ndarray, start: np.ndarray, trans: np.ndarray) -> np.ndarray:
    """Best tag path under the masks; ``log_probs`` is ``[n_words, n_tags]``."""
    return viterbi_batch([log_probs], start, trans)[0]


def viterbi_batch(
    sequences: Sequence[np.ndarray], start: np.ndarray, trans: np.ndarray
) -> list[np.ndarray]:
    """:func:`viterbi` of many sequences at once, path for path the same (ties included).

    The recursion is one loop over word positions, each step vectorised over the sequences
    still running and over tag pairs, so a batch of documents costs as many Python steps as
    its longest document, not as all its words. Sequences are sorted longest first, so those
    running at step ``t`` are a prefix, and their scores are laid out position-major: step
    ``t`` reads and writes one contiguous block (no padding, no scatter).
    """
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    order = np.argsort(-lengths, kind="stable")
    rows = int(np.count_nonzero(lengths))
    paths = [np.zeros(0, dtype=np.int64) for _ in sequences]
    if rows == 0:
        return paths
    order, lengths = order[:rows], lengths[order[:rows]]
    steps = int(lengths[0])
    # running[t]: sequences longer than t; block t holds their position t, rows in order
    running = np.searchsorted(-lengths, -np.arange(steps), side="left")
    block = np.concatenate([[0], np.cumsum(running)])
    offsets = np.cumsum(lengths) - lengths  # of each sequence in their concatenation
    row = np.arange(block[-1]) - np.repeat(block[:-1], running)
    concatenated = offsets[row] + np.repeat(np.arange(steps), running)
    scores = np.concatenate([sequences[i] for i in order])[concatenated]
    back = np.zeros((len(scores), len(start)), dtype=np.int64)
    final = np.zeros((rows, len(start)))
    score = start + scores[: running[0]]
    # Python ints index and slice faster than numpy ones
    bounds, active_at = block.tolist(), running.tolist()
    for t in range(1, steps):  # a loop over word positions only
        active = active_at[t]
        if active < len(score):  # the sequences that ended at t - 1
            final[active : len(score)] = score[active:]
            score = score[:active]
        candidates = score[:, :, None] + trans
        back[bounds[t] : bounds[t + 1]] = candidates.argmax(axis=1)
        score = candidates.max(axis=1) + scores[bounds[t] : bounds[t + 1]]
    final[: len(score)] = score
    tags = np.zeros(len(scores), dtype=np.int64)
    each = np.arange(rows)
    tags[block[lengths - 1] + each] = final.argmax(axis=1)
    for t in range(steps - 1, 0, -1):
        active = active_at[t]
        here = tags[bounds[t] : bounds[t + 1]]
        tags[bounds[t - 1] : bounds[t - 1] + active] = back[bounds[t] : bounds[t + 1]][
            each[:active], here
        ]
    path = np.zeros(len(scores), dtype=np.int64)
    path[concatenated] = tags
    for i, first, n in zip(order.tolist(), offsets.tolist(), lengths.tolist(), strict=True):
        paths[i] = path[first : first + n]
    return paths


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    result: np.ndarray = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return result


def merge_windows(
    n_words: int, windows: Sequence[tuple[np.ndarray, np.ndarray]], n_tags: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per-word scores from overlapping windows.

    ``windows`` holds, per window, the word index of each scored position and its scores
    ``[n_positions, n_tags]``. Each word takes the scores of the window in which its distance to
    the nearer window edge is largest; of two windows where it is equally central, the one that
    starts first, so the result does not depend on the order of ``windows`` (training decodes
    them in document order, the predictor in length-sorted batches). Returns the scores and a
    mask of words that were scored.
    """
    merged = np.zeros((n_words, n_tags))
    best = np.full(n_words, -1.0)
    owner_start = np.full(n_words, np.iinfo(np.int64).max)
    for word_index, scores in windows:
        if len(word_index) == 0:
            continue
        position = np.arange(len(word_index))
        centrality = np.minimum(position, len(word_index) - 1 - position).astype(float)
        start = int(word_index.min())
        held = best[word_index]
        better = (centrality > held) | ((centrality == held) & (start < owner_start[word_index]))
        merged[word_index[better]] = scores[better]
        best[word_index[better]] = centrality[better]
        owner_start[word_index[better]] = start
    return merged, best >= 0


def tags_to_spans(
    path: np.ndarray,
    probs: np.ndarray,
    word_offsets: np.ndarray,
    schema: LabelSchema,
    can_edge: np.ndarray | None = None,
) -> list[Span]:
    """Spans over whole words from an IOB2 path; score = mean probability of its tags.

    A chunk starts at ``B-X``, or (paths decoded without constraints) at an ``I-X`` that does
    not continue an ``X`` chunk, as conlleval reads it. Tokens where ``can_edge`` is False
    (punctuation) are trimmed from both ends of a chunk, as the guidelines never start or end
    a span on punctuation; a chunk of punctuation only is dropped.
    """
    if len(path) == 0:
        return []
    label_id = (path + 1) // 2  # 0 for O, then 1-based label index for B-X and I-X
    previous = np.concatenate([[0], label_id[:-1]])
    begins = (path % 2 == 1) | ((path > 0) & (label_id != previous))
    starts = np.flatnonzero(begins)
    # a chunk runs until the next start or the next O
    stops = np.flatnonzero(begins | (path == 0))
    # the stop after each start (itself a stop): the first stop strictly after it, or the end
    following = np.searchsorted(stops, starts, side="right")
    ends = np.append(stops, len(path))[following]
    labels = label_id[starts] - 1
    if can_edge is not None:
        starts, ends, labels = _trim_to_edges(starts, ends, labels, can_edge)
    chosen = np.append(probs[np.arange(len(path)), path], 0.0)
    # each chunk's sum, with the gaps between chunks summed at the odd places and dropped
    sums = np.add.reduceat(chosen, np.column_stack([starts, ends]).ravel())[::2]
    scores = sums / (ends - starts)
    return [
        Span(
            int(word_offsets[first, 0]), int(word_offsets[last - 1, 1]), schema.labels[label], score
        )
        for first, last, label, score in zip(
            starts.tolist(), ends.tolist(), labels.tolist(), scores.tolist(), strict=True
        )
    ]


def _trim_to_edges(
    starts: np.ndarray, ends: np.ndarray, labels: np.ndarray, can_edge: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chunks ``[starts, ends)`` narrowed to their first and last word where ``can_edge``;
    chunks with no such word are dropped. Vectorised over chunks: a document's spans are
    decoded without a Python loop over them."""
    n = len(can_edge)
    position = np.arange(n)
    # the nearest edge word at or after each word (n if none), at or before it (-1 if none)
    next_edge = np.minimum.accumulate(np.where(can_edge, position, n)[::-1])[::-1]
    previous_edge = np.maximum.accumulate(np.where(can_edge, position, -1))
    first, last = next_edge[starts], previous_edge[ends - 1] + 1
    kept = first < ends
    return first[kept], last[kept], labels[kept]


class SpanDecoder:
    """Window logits of tokenized documents to character spans: the one decoding path.

    Training's checkpoint selection and the Predictor both go through it, so the dev figure a
    run reports is computed exactly as users' predictions are.
    """

    def __init__(self, schema: LabelSchema, constrained: bool = True) -> None:
        self.schema = schema
        self.constrained = constrained
        self._start, self._trans = transition_mask(schema)
        if not constrained:
            self._start, self._trans = np.zeros_like(self._start), np.zeros_like(self._trans)

    def decode(
        self,
        first_subtoken: np.ndarray,
        subtoken_word: np.ndarray,
        word_offsets: np.ndarray,
        windows: Sequence[tuple[int, int, np.ndarray]],
        can_edge: np.ndarray | None = None,
    ) -> list[Span]:
        """``windows``: ``(start, end, body_logits)`` per window over the sub-token range
        ``[start, end)``, logits without special tokens (``[end - start, n_tags]``);
        ``can_edge`` marks the words a span may start or end on (see :func:`tags_to_spans`)."""
        log_probs = self.word_log_probs(first_subtoken, subtoken_word, len(word_offsets), windows)
        path = viterbi(log_probs, self._start, self._trans)
        return tags_to_spans(path, np.exp(log_probs), word_offsets, self.schema, can_edge)

    def word_log_probs(
        self,
        first_subtoken: np.ndarray,
        subtoken_word: np.ndarray,
        n_words: int,
        windows: Sequence[tuple[int, int, np.ndarray]],
    ) -> np.ndarray:
        """Per-word tag log-probabilities ``[n_words, n_tags]`` from the windows' logits."""
        scored = []
        for start, end, logits in windows:
            positions = np.flatnonzero(first_subtoken[start:end])
            scored.append((subtoken_word[start + positions], logits[positions]))
        merged, seen = merge_windows(n_words, scored, self.schema.num_tags)
        log_probs = log_softmax(merged)
        # words without a sub-token of their own (a lone control character) are O
        log_probs[~seen] = _FORBIDDEN
        log_probs[~seen, 0] = 0.0
        return log_probs

    def decode_documents(
        self,
        documents: Sequence[Document],
        tokenized: Sequence[TokenizedDocument],
        windows: Sequence[Sequence[tuple[int, int, np.ndarray]]],
    ) -> list[Document]:
        """Copies of ``documents`` whose spans are decoded from their windows' logits, with
        one Viterbi pass for all of them (see :func:`viterbi_batch`)."""
        return self.decode_with_probs(documents, tokenized, windows)[0]

    def decode_with_probs(
        self,
        documents: Sequence[Document],
        tokenized: Sequence[TokenizedDocument],
        windows: Sequence[Sequence[tuple[int, int, np.ndarray]]],
    ) -> tuple[list[Document], list[np.ndarray]]:
        """:meth:`decode_documents` and, per document, the tag probabilities of each word
        (``[n_words, n_tags]``, words as :attr:`TokenizedDocument.word_offsets` lists them):
        the distributions the constrained Viterbi pass decoded, which uncertainty sampling
        reads."""
        log_probs = [
            self.word_log_probs(
                tok.first_subtoken, tok.subtoken_word, len(tok.word_offsets), scored
            )
            for tok, scored in zip(tokenized, windows, strict=True)
        ]
        paths = viterbi_batch(log_probs, self._start, self._trans)
        out, probs = [], []
        for document, tok, scores, path in zip(documents, tokenized, log_probs, paths, strict=True):
            word_starts = [start for start, _ in words(document.text)]
            can_edge = np.isin(tok.word_offsets[:, 0], word_starts)
            probs.append(np.exp(scores))
            spans = tags_to_spans(path, probs[-1], tok.word_offsets, self.schema, can_edge)
            out.append(document.with_spans(spans))
        return out, probs
