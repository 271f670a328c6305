"""The splits of a run: loaded once, encoded into model windows, decoded back to Documents."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from araevent.data.document import Document
from araevent.data.labels import LabelSchema
from araevent.decoding import SpanDecoder
from araevent.features import (
    EncodingConfig,
    FastTokenizer,
    TokenizedDocument,
    Window,
    subtoken_labels,
    tokenize_documents,
    window_features,
    windows,
    word_tags,
)
from araevent.io import Corpus
from araevent.training.config import AuxiliaryCorpus, DataConfig
from araevent.training.partial import annotation_mask

log = logging.getLogger(__name__)


@dataclass
class Corpora:
    """The loaded splits; every file is read (and checked) before any model is built."""

    train: Corpus
    dev: Corpus | None
    test: Corpus | None
    auxiliary: list[tuple[AuxiliaryCorpus, Corpus]]

    def texts(self) -> Iterator[str]:
        """Every text of every split and auxiliary corpus: what unlabelled text must not repeat."""
        for split in (self.train, self.dev, self.test, *(c for _, c in self.auxiliary)):
            yield from (document.text for document in split or ())

    def evaluated(self) -> list[tuple[str, Corpus]]:
        """The splits scored at the end of a run, by name."""
        return [(name, c) for name, c in (("dev", self.dev), ("test", self.test)) if c]


def load_splits(data: DataConfig) -> Corpora:
    train = data.load("train")
    if train is None:
        raise ValueError("DataConfig.train is required")
    if not any(document.text.strip() for document in train):  # a NaN loss, and exit 0, else
        raise ValueError(
            f"{data.train}: no text to train on (its {len(train)} documents are empty)"
        )
    auxiliary = [(a, data.load_auxiliary(a)) for a in data.auxiliary]
    return Corpora(train, data.load("dev"), data.load("test"), auxiliary)


@dataclass
class EncodedSplit:
    """A split's documents, their tokenization and windows, in the dataset's row order."""

    documents: list[Document]
    tokenized: list[TokenizedDocument]
    windows: list[Window]
    rows: list[dict[str, list[int]]]
    unseen_words: int = 0  # words the tokenizer gave no sub-token: the model never sees them
    unseen_in_spans: int = 0  # of those, words inside gold spans: labels it cannot learn


def encode_split(
    documents: Sequence[Document],
    tokenizer: FastTokenizer,
    schema: LabelSchema,
    config: EncodingConfig,
) -> EncodedSplit:
    tokenized = tokenize_documents(documents, tokenizer, config)
    all_windows: list[Window] = []
    rows = []
    unseen = unseen_in_spans = 0
    for i, doc in enumerate(tokenized):
        mask = doc.unseen
        if mask.any():  # rare: the tags are computed again only then
            unseen += int(mask.sum())
            unseen_in_spans += int((word_tags(doc, schema)[mask] != 0).sum())
        labels = subtoken_labels(doc, schema, config.label_alignment)
        for window in windows(doc, config, i):
            all_windows.append(window)
            row = window_features(doc, window, tokenizer, labels)
            rows.append({**row, "length": [len(row["input_ids"])]})
    return EncodedSplit(list(documents), tokenized, all_windows, rows, unseen, unseen_in_spans)


def encode_splits(
    corpora: Corpora, tokenizer: FastTokenizer, schema: LabelSchema, config: EncodingConfig
) -> tuple[EncodedSplit, EncodedSplit | None]:
    """Train and dev windows; words the tokenizer drops are counted and warned about."""
    train = encode_split(corpora.train, tokenizer, schema, config)
    dev = encode_split(corpora.dev, tokenizer, schema, config) if corpora.dev else None
    log.info("train: %d documents, %d windows", len(train.documents), len(train.rows))
    for name, split in (("train", train), ("dev", dev)):
        if split is not None and split.unseen_words:
            log.warning(
                "%s: %d words have no sub-token of their own (a symbol the tokenizer drops) "
                "and are always tagged O; %d of them are inside gold spans",
                name,
                split.unseen_words,
                split.unseen_in_spans,
            )
    return train, dev


def decode_split(
    split: EncodedSplit, logits: np.ndarray, decoder: SpanDecoder, offset: int
) -> list[Document]:
    """Documents predicted from the eval loop's logits (rows in ``split.windows`` order)."""
    per_doc: list[list[tuple[int, int, np.ndarray]]] = [[] for _ in split.documents]
    for row, window in enumerate(split.windows):
        body = logits[row, offset : offset + window.end - window.start]
        per_doc[window.doc_index].append((window.start, window.end, body))
    return decoder.decode_documents(split.documents, split.tokenized, per_doc)


def auxiliary_rows(
    corpora: Corpora,
    tokenizer: FastTokenizer,
    schema: LabelSchema,
    config: EncodingConfig,
    main_windows: int,
    seed: int,
) -> list[dict[str, Any]]:
    """Windows of the auxiliary corpora, each with the bit mask of the labels its corpus
    annotates; ``fraction`` of ``main_windows`` from each, drawn once with ``seed`` (with
    repetition only when a corpus has fewer windows than asked for), or all of them in their
    order when ``fraction`` is None."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    own_heads = 0
    for corpus, documents in corpora.auxiliary:
        columns: dict[str, Any] = {"annotated": annotation_mask(schema, corpus.annotates)}
        if corpus.head == "own":  # the k-th corpus with a head of its own trains head k
            own_heads += 1
            columns["head"] = own_heads
        split = encode_split(documents, tokenizer, schema, config)
        if corpus.fraction is None:
            wanted = len(split.rows)
            picked = np.arange(wanted)
        else:
            wanted = max(1, round(corpus.fraction * main_windows))
            picked = rng.choice(len(split.rows), wanted, replace=wanted > len(split.rows))
        rows.extend({**split.rows[i], **columns} for i in picked.tolist())
        log.info(
            "auxiliary %s: %d documents, %d windows, %d drawn for each epoch (annotates %s)",
            corpus.path,
            len(documents),
            len(split.rows),
            wanted,
            ", ".join(corpus.annotates),
        )
    return rows


def training_rows(
    train: EncodedSplit, extra: Sequence[dict[str, Any]], schema: LabelSchema
) -> Sequence[dict[str, Any]]:
    """The rows of an epoch: the main corpus's windows, then the auxiliary and pseudo-labelled
    ones (see :func:`uniform_columns`)."""
    if not extra:
        return train.rows
    return uniform_columns([*train.rows, *extra], schema)


def uniform_columns(rows: Sequence[dict[str, Any]], schema: LabelSchema) -> list[dict[str, Any]]:
    """``rows`` with the same columns each: a dataset takes its columns from its first row, so
    when any row has one of the loss's extra columns (``annotated`` labels, ``soft`` targets, a
    ``weight``, a ``head``), every row gets it, with the value that means gold: all labels, no
    soft targets, weight 1, the main head."""
    gold: dict[str, Any] = {
        "annotated": annotation_mask(schema, schema.labels),
        "soft": [],
        "weight": 1.0,
        "head": 0,
    }
    columns = {key for row in rows for key in gold if key in row}
    defaults = {key: value for key, value in gold.items() if key in columns}
    return [{**defaults, **row} for row in rows]


def to_dataset(rows: Sequence[dict[str, Any]]) -> Any:
    """A ``datasets.Dataset`` of windows, with the length the sampler groups by."""
    from datasets import Dataset

    return Dataset.from_list([{**row, "length": row["length"][0]} for row in rows])
