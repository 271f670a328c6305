"""From Documents to model features, and the bookkeeping to come back.

A document is first cut into the guideline's tokens (words and single punctuation marks): the
unit that spans are made of and that predictions are snapped to. The text (optionally
normalised) goes through a fast tokenizer once; every sub-token's offsets are mapped back to the
original text and to the token it belongs to. Long documents become overlapping windows of at
most ``max_length`` sub-tokens whose edges fall between tokens, so no text is ever truncated:
every character of every document is inside some window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from araevent.data.document import Document
from araevent.data.labels import LabelSchema
from araevent.data.text import NormalizationConfig, NormalizedText, Normalizer, tokens

IGNORE_INDEX = -100
LabelAlignment = Literal["first", "all"]


class FastTokenizer(Protocol):
    """What we need of a Hugging Face fast tokenizer."""

    cls_token_id: int | None
    sep_token_id: int | None

    def __call__(self, text: Any, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class EncodingConfig:
    """How documents become windows.

    ``max_length`` counts special tokens. ``stride`` is the least number of sub-tokens two
    neighbouring windows share (context on both sides of a cut; a little more where the
    window edge is moved to a word boundary). ``label_alignment`` names the
    sub-token labelling policy: ``first`` labels a word's first sub-token and ignores the rest
    (as ``run_ner.py`` does by default); ``all`` labels every sub-token (B- then I-).
    """

    max_length: int = 256
    stride: int = 64
    label_alignment: LabelAlignment = "first"
    normalization: NormalizationConfig | None = None

    def __post_init__(self) -> None:
        if self.max_length < 8:
            raise ValueError(f"max_length must be at least 8, got {self.max_length}")
        if not 0 <= self.stride < (self.max_length - 2) // 2:
            raise ValueError(
                f"stride must be in [0, {(self.max_length - 2) // 2}) for max_length "
                f"{self.max_length}, got {self.stride}"
            )
        if self.label_alignment not in ("first", "all"):
            raise ValueError(
                f"label_alignment must be 'first' or 'all', not {self.label_alignment!r}"
            )


@dataclass(frozen=True)
class TokenizedDocument:
    """One document's sub-tokens, each tied to a word (guideline token) of the original text.

    ``word_offsets[w]`` is the original ``(start, end)`` of word ``w``; ``subtoken_word[i]`` is
    the word of sub-token ``i``; ``first_subtoken[i]`` marks the first sub-token of each word.
    Words the tokenizer produced nothing for (a lone control character) have no sub-tokens;
    they cannot be tagged and are counted in ``unseen_words``.
    """

    document: Document
    input_ids: np.ndarray
    subtoken_word: np.ndarray
    first_subtoken: np.ndarray
    word_offsets: np.ndarray

    @property
    def unseen(self) -> np.ndarray:
        """Mask of the words without a sub-token of their own (always tagged O)."""
        seen = np.zeros(len(self.word_offsets), dtype=bool)
        seen[self.subtoken_word] = True
        return ~seen

    @property
    def unseen_words(self) -> int:
        return int(self.unseen.sum())


@dataclass(frozen=True)
class Window:
    """A slice ``[start, end)`` of a document's sub-tokens, fed to the model as one sequence."""

    doc_index: int
    start: int
    end: int


def tokenize_documents(
    documents: Sequence[Document], tokenizer: FastTokenizer, config: EncodingConfig
) -> list[TokenizedDocument]:
    normalizer = Normalizer(config.normalization) if config.normalization else None
    texts: list[str] = []
    maps: list[NormalizedText | None] = []
    for document in documents:
        if normalizer is None:
            texts.append(document.text)
            maps.append(None)
        else:
            normalized = normalizer(document.text)
            texts.append(normalized.text)
            maps.append(normalized)
    # verbose=False: long documents are expected here, windows come next
    encoded = tokenizer(texts, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    out = []
    for i, document in enumerate(documents):
        ids = np.asarray(encoded["input_ids"][i], dtype=np.int64)
        offsets = np.asarray(encoded["offset_mapping"][i], dtype=np.int64).reshape(-1, 2)
        mapping = maps[i]
        if mapping is not None and len(offsets):
            # offsets point into the normalised text: map each back to the original
            starts = mapping.starts[np.minimum(offsets[:, 0], len(mapping.starts) - 1)]
            ends = mapping.ends[np.maximum(offsets[:, 1] - 1, 0)]
            offsets = np.stack([starts, ends], axis=1)
        words = np.asarray(tokens(document.text), dtype=np.int64).reshape(-1, 2)
        out.append(_align(document, ids, offsets, words))
    return out


def _align(
    document: Document, ids: np.ndarray, offsets: np.ndarray, words: np.ndarray
) -> TokenizedDocument:
    """Tie each sub-token to the word containing its first character; drop empty sub-tokens."""
    keep = offsets[:, 1] > offsets[:, 0]
    ids, offsets = ids[keep], offsets[keep]
    if len(words) == 0 or len(ids) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return TokenizedDocument(document, empty, empty, np.zeros(0, dtype=bool), words)
    word = np.searchsorted(words[:, 0], offsets[:, 0], side="right") - 1
    inside = (word >= 0) & (offsets[:, 0] < words[np.maximum(word, 0), 1])
    ids, word = ids[inside], word[inside]
    first = np.ones(len(word), dtype=bool)
    first[1:] = word[1:] != word[:-1]
    return TokenizedDocument(document, ids, word, first, words)


def word_tags(doc: TokenizedDocument, schema: LabelSchema) -> np.ndarray:
    """Tag id per word (IOB2) from the document's character spans."""
    tags = np.zeros(len(doc.word_offsets), dtype=np.int64)
    if len(tags) == 0:
        return tags
    starts, ends = doc.word_offsets[:, 0], doc.word_offsets[:, 1]
    for span in doc.document.spans:
        first = int(np.searchsorted(starts, span.start, side="left"))
        last = int(np.searchsorted(ends, span.end, side="left"))
        if (
            first >= len(tags)
            or last >= len(tags)
            or starts[first] != span.start
            or ends[last] != span.end
        ):
            raise ValueError(
                f"document {doc.document.id!r}: span [{span.start}, {span.end}) "
                f"{doc.document.span_text(span)!r} does not start and end on word boundaries"
            )
        tags[first] = schema.begin_id(span.label)
        tags[first + 1 : last + 1] = schema.inside_id(span.label)
    return tags


def subtoken_labels(
    doc: TokenizedDocument, schema: LabelSchema, alignment: LabelAlignment
) -> np.ndarray:
    """Training label per sub-token under the named alignment policy."""
    tags = word_tags(doc, schema)[doc.subtoken_word]
    labels: np.ndarray
    if alignment == "first":
        labels = np.where(doc.first_subtoken, tags, IGNORE_INDEX)
    else:  # "all": continuation sub-tokens of a B- word become I- of the same label
        labels = np.where((tags % 2 == 1) & ~doc.first_subtoken, tags + 1, tags)
    return labels


def windows(doc: TokenizedDocument, config: EncodingConfig, doc_index: int = 0) -> list[Window]:
    """Overlapping windows over a document's sub-tokens, cut only between words.

    Each window holds at most ``max_length - 2`` sub-tokens; consecutive windows share at
    least ``stride`` of them where the words allow (a word that does not fit in the shared part
    starts the next window instead). A single word longer than a window (a pathological token)
    is cut, which is the only way a word can span two windows.
    """
    size = config.max_length - 2
    n = len(doc.input_ids)
    if n <= size:
        return [Window(doc_index, 0, n)]
    word_starts = np.flatnonzero(doc.first_subtoken)
    out: list[Window] = []
    start = 0
    while True:
        limit = start + size
        if limit >= n:
            out.append(Window(doc_index, start, n))
            return out
        # end at the last word start that fits; a word longer than the window is cut
        end = _last_word_start(word_starts, start, limit) or limit
        if not out or end > out[-1].end:  # a window inside the last one would add nothing
            out.append(Window(doc_index, start, end))
        # the next window starts at the last word boundary at least `stride` before `end`
        latest = max(end - config.stride, start + 1)
        start = _last_word_start(word_starts, start, latest) or end


def _last_word_start(word_starts: np.ndarray, after: int, limit: int) -> int | None:
    """The last of the sorted ``word_starts`` in ``(after, limit]``, or None: a binary search,
    so that windowing a long document is not quadratic in its length."""
    i = int(np.searchsorted(word_starts, limit, side="right")) - 1
    return int(word_starts[i]) if i >= 0 and word_starts[i] > after else None


def window_features(
    doc: TokenizedDocument,
    window: Window,
    tokenizer: FastTokenizer,
    labels: np.ndarray | None = None,
) -> dict[str, list[int]]:
    """Model inputs for one window: ``[CLS] sub-tokens [SEP]`` (+ labels, -100 on specials)."""
    cls = [] if tokenizer.cls_token_id is None else [tokenizer.cls_token_id]
    sep = [] if tokenizer.sep_token_id is None else [tokenizer.sep_token_id]
    ids = cls + doc.input_ids[window.start : window.end].tolist() + sep
    features = {"input_ids": ids, "attention_mask": [1] * len(ids)}
    if labels is not None:
        body = labels[window.start : window.end].tolist()
        features["labels"] = [IGNORE_INDEX] * len(cls) + body + [IGNORE_INDEX] * len(sep)
    return features
