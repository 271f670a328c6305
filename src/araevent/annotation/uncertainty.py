"""How unsure the model is of a document, from the per-word tag distributions it decoded.

The distributions are those the constrained Viterbi pass reads (see
:meth:`araevent.predictor.Predictor.predict_with_probs`): one row of tag probabilities per word.
Each strategy turns a row into an uncertainty in ``[0, 1]`` (0: certain); a document's
uncertainty is the mean over its ``top`` most uncertain words (all its words when it has
fewer).

Why that aggregate: most words of a news paragraph are confidently ``O``, so the mean over all
words mostly measures length (a long paragraph with three doubtful entities would rank below a
short one with one), and the sum or the maximum favour long paragraphs, which hold more words
that can be doubtful by chance and cost the annotator more time. The mean of the few most
uncertain words asks "does this paragraph hold several decisions the model cannot make?",
which is what an annotation is worth, and is comparable across lengths. ``top`` = 8 is about
the number of entity words in a typical paragraph of the araevent-news corpus (6,505 spans over
360 documents of about 85 words).
"""

from __future__ import annotations

from typing import Final

import numpy as np

STRATEGIES: Final = ("least-confidence", "margin", "entropy")
TOP_WORDS: Final = 8


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


def document_uncertainty(probs: np.ndarray, strategy: str, top: int = TOP_WORDS) -> float:
    """The mean uncertainty of the ``top`` most uncertain words (see the module docstring);
    0.0 for a document without words."""
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}")
    per_word = word_uncertainty(probs, strategy)
    if per_word.size == 0:
        return 0.0
    worst = np.partition(per_word, -min(top, per_word.size))[-min(top, per_word.size) :]
    return float(worst.mean())
