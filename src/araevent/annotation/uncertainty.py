"""How unsure the model is of a document, from the per-word tag distributions it decoded.

The distributions are those the constrained Viterbi pass reads (see
:meth:`araevent.predictor.Predictor.predict_with_probs`): one row of tag probabilities per word.
Each strategy turns a row into an uncertainty in ``[0, 1]`` (0: certain); a document's
uncertainty is the mean over its most uncertain tenth of words, at least 3 (all its words
when it has fewer).

Why that aggregate: most words of a news paragraph are confidently ``O``, so the mean over all
words mostly measures shortness, while the sum, the maximum or the mean of a fixed number of
the most uncertain words all grow with length, since a long paragraph has more chances to hold
doubtful words, and long paragraphs cost the annotator more time. The mean of a fixed share of
the most uncertain words asks how dense the doubtful decisions are, at the same scale for every
length. Measured on the first 2,000 paragraphs of ``raw-news/news-ar.txt.gz`` with the
``w64-export`` model (least-confidence; paragraphs of median 33 tokenized words), the 50
chosen had median lengths: mean over all words 10, top-10% (at least 3) 34, maximum 42, mean
of the 4 or 8 most uncertain 65 and 68, sum 73; the correlation of the score with length was
+0.10 for the tenth, +0.48 for the 8 most uncertain and +0.51 for the sum.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np

STRATEGIES: Final = ("least-confidence", "margin", "entropy")
#: the share of a document's words, its most uncertain, whose mean is its uncertainty
TOP_SHARE: Final = 0.1
#: the fewest words averaged, so a short paragraph is not its single most uncertain word
TOP_LEAST: Final = 3


def word_uncertainty(probs: np.ndarray, strategy: str) -> np.ndarray:
    """Per-word uncertainty in ``[0, 1]`` of tag distributions ``[n_words, n_tags]``.

    ``least-confidence``: 1 - the highest probability; ``margin``: 1 - (highest - second
    highest), high when two tags compete; ``entropy``: the distribution's entropy divided by
    ``log(n_tags)``, high when the mass is spread over many tags.
    """
    if probs.ndim != 2 or probs.shape[1] < 2:
        raise ValueError(f"expected [n_words, n_tags >= 2] probabilities, got {probs.shape}")
    if strategy == "least-confidence":
        result: np.ndarray = 1.0 - probs.max(axis=1)
    elif strategy == "margin":
        ordered = np.sort(probs, axis=1)
        result = 1.0 - (ordered[:, -1] - ordered[:, -2])
    elif strategy == "entropy":
        safe = np.clip(probs, 1e-12, 1.0)
        result = -(probs * np.log(safe)).sum(axis=1) / np.log(probs.shape[1])
    else:
        raise ValueError(f"unknown strategy {strategy!r}; expected one of {', '.join(STRATEGIES)}")
    clipped: np.ndarray = np.clip(result, 0.0, 1.0)
    return clipped


def document_uncertainty(
    probs: np.ndarray, strategy: str, share: float = TOP_SHARE, least: int = TOP_LEAST
) -> float:
    """The mean uncertainty of the document's ``share`` most uncertain words, at least
    ``least`` of them (see the module docstring); 0.0 for a document without words."""
    if not 0.0 < share <= 1.0 or least < 1:
        raise ValueError(f"share must be in (0, 1] and least at least 1, got {share}, {least}")
    per_word = word_uncertainty(probs, strategy)
    if per_word.size == 0:
        return 0.0
    count = min(per_word.size, max(least, math.ceil(share * per_word.size)))
    return float(np.partition(per_word, -count)[-count:].mean())
