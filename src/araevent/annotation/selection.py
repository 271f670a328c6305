"""Streaming selection of the documents most worth annotating.

Documents stream through once, in batches: each is checked against the exact duplicates seen
so far and the documents already annotated, scored, and offered to a :class:`CandidatePool`
that keeps only the best ``capacity`` candidates (``k`` times a small factor, so that near
duplicates and, with ``diversity``, too similar documents can be dropped at the end and ``k``
still be left). Memory is that pool plus one 8-byte key per distinct text read; no list of all
scores is ever held. Exact duplicates and exact copies of annotated texts are counted over the
whole stream; near duplicates (of each other or of annotated texts) are looked for among the
candidates good enough to enter the pool, the only ones that could be selected.

The ``random`` strategy gives every distinct document a seeded random priority and keeps the
highest: reservoir sampling by random keys, a uniform sample that one seed reproduces.
"""

from __future__ import annotations

import heapq
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Final

import numpy as np

from araevent.annotation.dedup import NEAR_DUPLICATE, signature, similarity, text_key
from araevent.annotation.tasks import predicted_document
from araevent.annotation.uncertainty import STRATEGIES
from araevent.data.document import Document
from araevent.io.labelstudio import TASK_SCORE
from araevent.predictor import Entity

ALL_STRATEGIES: Final = (*STRATEGIES, "random")
#: Candidates kept per document to select: room for what near duplicates and diversity drop.
POOL_FACTOR: Final = 4
#: (entities, per-word tag probabilities) of each text of a batch: ``Predictor.predict_with_probs``
Scorer = Callable[[list[str]], list[tuple[list[Entity], np.ndarray]]]


@dataclass(order=True)
class Candidate:
    """A scored document; pools order candidates by ``priority``, then by arrival."""

    priority: float
    order: int
    document: Document = field(compare=False)
    signature: np.ndarray = field(compare=False, repr=False)


@dataclass
class Counts:
    """What a selection read and dropped, for its summary line."""

    read: int = 0
    empty: int = 0
    duplicates: int = 0
    near_duplicates: int = 0
    excluded: int = 0
    too_similar: int = 0
    selected: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        rate = self.read / self.seconds if self.seconds > 0 else 0.0
        return (
            f"read {self.read:,}, empty {self.empty:,}, duplicates removed "
            f"{self.duplicates:,} exact + {self.near_duplicates:,} near, "
            f"excluded {self.excluded:,}, too similar {self.too_similar:,}, "
            f"selected {self.selected:,} "
            f"({rate:,.1f} docs/s)"
        )


class CandidatePool:
    """The ``capacity`` best candidates seen, without near duplicates of each other.

    A min-heap on priority: a new candidate enters when the pool has room or when it beats the
    worst one, which it then replaces. One that is a near duplicate (:data:`NEAR_DUPLICATE`) of
    a member replaces that member if it ranks higher and is dropped otherwise; either way one of
    the two is counted in ``near_duplicates``. Signatures are computed only for candidates good
    enough to enter, so the cost stays with the few.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self.heap: list[Candidate] = []
        self.near_duplicates = 0

    def __len__(self) -> int:
        return len(self.heap)

    def would_accept(self, priority: float) -> bool:
        return len(self.heap) < self.capacity or priority > self.heap[0].priority

    def offer(self, candidate: Candidate) -> None:
        if not self.would_accept(candidate.priority):
            return
        if self.heap:
            close = similarity(candidate.signature, np.stack([c.signature for c in self.heap]))
            twin = int(close.argmax())
            if close[twin] >= NEAR_DUPLICATE:
                self.near_duplicates += 1
                if candidate > self.heap[twin]:
                    self.heap[twin] = candidate
                    heapq.heapify(self.heap)
                return
        if len(self.heap) < self.capacity:
            heapq.heappush(self.heap, candidate)
        else:
            heapq.heapreplace(self.heap, candidate)

    def best_first(self) -> list[Candidate]:
        return sorted(self.heap, reverse=True)


@dataclass
class Exclusions:
    """Texts already annotated: their keys (every line of them too, since raw input comes one
    paragraph a line) and their signatures, so exact and near copies are both excluded."""

    keys: set[bytes] = field(default_factory=set)
    signatures: list[np.ndarray] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.keys.add(text_key(text))
        self.keys.update(text_key(line) for line in text.splitlines() if line.strip())
        self.signatures.append(signature(text))

    def near(self, candidate_signature: np.ndarray) -> bool:
        if not self.signatures:
            return False
        close = similarity(candidate_signature, np.stack(self.signatures))
        return bool(close.max() >= NEAR_DUPLICATE)


@dataclass
class Selection:
    """The chosen documents, best first (spans predicted, ``meta[TASK_SCORE]`` the model's
    confidence, 1 - the document's uncertainty) and what was read and dropped."""

    documents: list[Document]
    counts: Counts


def select(
    records: Iterable[tuple[str, str]],
    score: Scorer,
    k: int,
    *,
    strategy: str = "least-confidence",
    diversity: float | None = None,
    exclusions: Exclusions | None = None,
    seed: int = 0,
    batch_size: int = 256,
    on_read: Callable[[int], None] | None = None,
) -> Selection:
    """The ``k`` documents of ``records`` (``(id, text)`` pairs) most worth annotating.

    ``strategy``: an uncertainty of :mod:`araevent.annotation.uncertainty`, or ``random``.
    ``diversity``: a Jaccard threshold below 1; a candidate whose word-shingle similarity to an
    already chosen document reaches it is skipped (near duplicates, at
    :data:`NEAR_DUPLICATE`, are always dropped). ``on_read`` is told how many documents each
    batch held (a progress bar).
    """
    if strategy not in ALL_STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; expected one of {ALL_STRATEGIES}")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if diversity is not None and not 0.0 < diversity < 1.0:
        raise ValueError(f"diversity is a Jaccard threshold between 0 and 1, got {diversity}")
    started = time.perf_counter()
    counts = Counts()
    exclusions = exclusions or Exclusions()
    pool = CandidatePool(k * POOL_FACTOR)
    rng = random.Random(seed)
    seen: set[bytes] = set()
    fresh = _distinct(records, seen, exclusions, counts)
    arrival = 0
    while batch := list(islice(fresh, batch_size)):
        if on_read is not None:
            on_read(len(batch))
        if strategy == "random":
            scored = [(rng.random(), Document(i, t)) for i, t in batch]
        else:
            scored = _scored(batch, score, strategy)
        for priority, document in scored:
            arrival += 1
            if not pool.would_accept(priority):
                continue
            candidate = Candidate(priority, -arrival, document, signature(document.text))
            if exclusions.near(candidate.signature):
                counts.excluded += 1
                continue
            pool.offer(candidate)
    counts.near_duplicates = pool.near_duplicates
    chosen = _diverse(pool.best_first(), k, diversity, counts)
    if strategy == "random":  # pre-annotate only the sample
        scored = _scored([(d.id, d.text) for d in chosen], score, "least-confidence")
        documents = [document for _, document in scored]
    else:
        documents = chosen
    counts.selected = len(documents)
    counts.seconds = time.perf_counter() - started
    return Selection(documents, counts)


def _distinct(
    records: Iterable[tuple[str, str]], seen: set[bytes], exclusions: Exclusions, counts: Counts
) -> Iterator[tuple[str, str]]:
    """The records that are neither empty (nothing to annotate), exact duplicates of an earlier
    one, nor annotated already."""
    for doc_id, text in records:
        counts.read += 1
        if not text.strip():
            counts.empty += 1
            continue
        key = text_key(text)
        if key in exclusions.keys:
            counts.excluded += 1
        elif key in seen:
            counts.duplicates += 1
        else:
            seen.add(key)
            yield doc_id, text


def _scored(
    batch: Sequence[tuple[str, str]], score: Scorer, strategy: str
) -> list[tuple[float, Document]]:
    """(uncertainty, document with its predicted spans and confidence) of each record."""
    if not batch:
        return []
    out = []
    for (doc_id, text), (entities, probs) in zip(
        batch, score([text for _, text in batch]), strict=True
    ):
        document = predicted_document(doc_id, text, entities, probs, strategy)
        out.append((1.0 - document.meta[TASK_SCORE], document))
    return out


def _diverse(
    ranked: list[Candidate], k: int, diversity: float | None, counts: Counts
) -> list[Document]:
    """The first ``k`` of ``ranked`` skipping any too similar to one already chosen."""
    chosen: list[Candidate] = []
    for candidate in ranked:
        if len(chosen) == k:
            break
        if diversity is not None and chosen:
            close = similarity(candidate.signature, np.stack([c.signature for c in chosen]))
            if close.max() >= diversity:
                counts.too_similar += 1
                continue
        chosen.append(candidate)
    return [c.document for c in chosen]
