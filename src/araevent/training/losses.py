"""The training loss when rows are not all gold: one function for every kind of row.

A batch may mix gold windows (cross-entropy), windows of a corpus that annotates only some
labels (the partial-label loss of :mod:`araevent.training.partial`) and windows labelled by a
teacher (:mod:`araevent.training.pseudo`): with soft targets, the cross-entropy against the
teacher's distribution, which is the KL divergence to it up to a constant. Each row carries a
weight; the loss is the weighted mean over trained tokens, so a pseudo-labelled token with
weight 0.5 counts half a gold one whatever the mix of a batch.
"""

from __future__ import annotations

from typing import Any

from araevent.training.partial import IGNORED, partial_token_nll


def mixed_loss(
    logits: Any,
    labels: Any,
    annotated: Any = None,
    soft: Any = None,
    weight: Any = None,
) -> Any:
    """``logits`` ``[batch, length, tags]``; ``labels`` ``[batch, length]`` (``-100``: not
    trained); ``annotated`` ``[batch]`` label bit masks (None: every label); ``soft``
    ``[batch, length, tags]`` target distributions, all zeros on rows and tokens that have
    none; ``weight`` ``[batch]`` (None: 1)."""
    import torch

    log_probs = torch.log_softmax(logits.float(), dim=-1)
    if annotated is None:
        annotated = torch.full(labels.shape[:1], -1, dtype=torch.long, device=labels.device)
    nll = partial_token_nll(log_probs, labels, annotated)
    if soft is not None:
        soft = soft.to(log_probs.dtype)
        targeted = soft.sum(dim=-1) > 0
        nll = torch.where(targeted, -(soft * log_probs).sum(dim=-1), nll)
    seen = labels != IGNORED
    if weight is None:
        weights = torch.ones_like(nll[seen])
    else:
        weights = weight.to(log_probs.dtype)[:, None].expand_as(nll)[seen]
    # a batch with nothing to train on (every token under data.pseudo.min_confidence, or all
    # rows of weight 0) is a loss of 0 with no gradient, not 0/0: a nan would stop the run
    total = weights.sum().clamp(min=torch.finfo(weights.dtype).tiny)
    return (nll[seen] * weights).sum() / total


def consistency_loss(first: Any, second: Any, labels: Any) -> Any:
    """The symmetric KL divergence between two passes' tag distributions (logits
    ``[batch, length, tags]`` each), halved and averaged over the trained tokens: R-Drop's
    regulariser, which asks dropout's sub-networks to agree."""
    import torch

    a = torch.log_softmax(first.float(), dim=-1)
    b = torch.log_softmax(second.float(), dim=-1)
    both = (a.exp() * (a - b)).sum(dim=-1) + (b.exp() * (b - a)).sum(dim=-1)
    seen = labels != IGNORED
    return both[seen].sum() / (2 * seen.sum().clamp(min=1))
