"""Ensembles: several models that share a tokenizer, averaged before the constrained decoder.

An :class:`EnsembleRunner` is a :class:`~araevent.inference.Runner` like any other, so the
windowing, batching and decoding stay the single-model ones. It averages the members'
*probabilities* (not their logits, whose scales differ from model to model) and returns the
logarithm of that mean: the decoder's ``log_softmax`` leaves log-probabilities unchanged, so
Viterbi sees the averaged probabilities as they are, and an ensemble of identical members
decodes exactly like one member. numpy only: ONNX members run without torch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from araevent.decoding import log_softmax
from araevent.inference import Runner


def mean_log_probs(logits: Sequence[np.ndarray]) -> np.ndarray:
    """``log(mean_k softmax(logits[k]))`` over the last axis, in the members' float type.

    Computed as a log-sum-exp of the members' log-softmax (in float64, minus ``log K``), so
    that no probability is exponentiated out of range: logits of ±1e4 stay finite, where
    ``softmax`` then ``log`` would give ``log(0)``.
    """
    if not logits:
        raise ValueError("an ensemble needs at least one member's logits")
    shapes = {np.shape(member) for member in logits}
    if len(shapes) > 1:
        raise ValueError(f"ensemble members gave logits of different shapes: {sorted(shapes)}")
    stacked = np.stack([log_softmax(np.asarray(member, dtype=np.float64)) for member in logits])
    top = stacked.max(axis=0)
    top = np.where(np.isfinite(top), top, 0.0)  # every member at -inf: no shift, no nan
    total = np.exp(stacked - top).sum(axis=0)
    with np.errstate(divide="ignore"):  # log(0) is -inf: a tag no member allows
        result: np.ndarray = top + np.log(total) - np.log(len(logits))
    return result.astype(np.result_type(*logits), copy=False)


class EnsembleRunner:
    """Log of the mean of the members' probabilities for each padded batch.

    Every member runs on the same ``input_ids`` and ``attention_mask``, so members must share
    the tokenizer (and the labels): :meth:`araevent.predictor.Predictor.ensemble` checks it.
    """

    def __init__(self, members: Sequence[Runner]) -> None:
        if not members:
            raise ValueError("an ensemble needs at least one member")
        self.members = tuple(members)

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        return mean_log_probs([member(input_ids, attention_mask) for member in self.members])
