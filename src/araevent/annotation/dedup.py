"""Exact and near duplicate texts: normalised keys and word-shingle MinHash signatures.

News collections repeat the same paragraph with different diacritics, alef or ya forms,
tatweel or spacing, and near copies that differ in a word or two (an agency story rerun with
another date). Annotating such a copy twice wastes the annotator's time, and selecting ten
copies of one doubtful paragraph wastes a batch.
"""

from __future__ import annotations

import hashlib
from typing import Final

import numpy as np

from araevent.data.text import NormalizationConfig, Normalizer

#: Jaccard similarity of word 3-shingles from which two texts count as near duplicates: they
#: share 7 in 10 of their three-word sequences, as a 30-word paragraph does with a copy of
#: itself with one word replaced (3 of its 28 shingles change: 25 / 31 = 0.81), while two
#: reports of the same kind of event in the same words stay below (they share phrases, not
#: most of their sequences).
NEAR_DUPLICATE: Final = 0.7
_SHINGLE = 3
_PERMUTATIONS = 128  # the estimate's standard error is at most 0.045
# diacritics, tatweel, bidi controls removed; alef forms, alef maqsura and digits unified
_NORMALIZER = Normalizer(NormalizationConfig())
_rng = np.random.default_rng(19)
# multiply-add hash family modulo 2**64 (uint64 arithmetic wraps): odd multipliers
_A: Final = _rng.integers(0, 2**63, size=_PERMUTATIONS, dtype=np.uint64) * 2 + 1
_B: Final = _rng.integers(0, 2**63, size=_PERMUTATIONS, dtype=np.uint64)


def normalise(text: str) -> str:
    """``text`` as dedup compares it: normalised (see :class:`NormalizationConfig`'s defaults:
    diacritics, tatweel and bidi marks removed, alef and ya forms and digits unified) with
    whitespace runs collapsed to one space."""
    return " ".join(_NORMALIZER.normalize_str(text).split())


def text_key(text: str) -> bytes:
    """An 8-byte digest of the normalised text: equal for exact duplicates up to
    normalisation (a 64-bit digest keeps a set of 466k paragraphs small; a collision among them
    has a probability of about 1 in 10^8)."""
    return hashlib.blake2b(normalise(text).encode("utf-8"), digest_size=8).digest()


def signature(text: str) -> np.ndarray:
    """MinHash signature (128 uint64 minima) of the normalised text's word 3-shingles (the whole
    text as one shingle when it has fewer words). The share of equal positions of two
    signatures estimates the Jaccard similarity of their shingle sets."""
    words = normalise(text).split()
    count = max(1, len(words) - _SHINGLE + 1)
    shingles = {" ".join(words[i : i + _SHINGLE]) for i in range(count)}
    hashes = np.array(
        [
            int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest(), "little")
            for s in shingles
        ],
        dtype=np.uint64,
    )
    result: np.ndarray = (hashes[:, None] * _A + _B).min(axis=0)
    return result


def similarity(one: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of signature ``one`` with each row of ``others``."""
    if len(others) == 0:
        return np.zeros(0)
    result: np.ndarray = (others == one).mean(axis=1)
    return result
