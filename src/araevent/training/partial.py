"""Learning from corpora that annotate only some of the labels (ANERcorp has no TRIGGER).

In such a corpus a token tagged ``O`` is not known to be outside every span: it may be a
trigger nobody marked. Training it towards ``O`` would teach the model that triggers are
``O``. The partial-label loss instead maximises the summed probability of every tag the token
is compatible with: for a token marked ``O`` in a corpus that does not annotate ``X``, the tags
``O``, ``B-X`` and ``I-X``; for any other token, its own tag only (the usual cross-entropy).
This is spaCy's "missing, not O" idea (``iob_utils``' ``missing="-"``) as a loss.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from araevent.data.labels import LabelSchema

IGNORED = -100  # sub-tokens without a label (continuations, special tokens, padding)


def annotation_mask(schema: LabelSchema, annotated: Iterable[str]) -> int:
    """The labels a corpus annotates as a bit mask over ``schema.labels`` (a dataset column)."""
    annotated = set(annotated)
    unknown = annotated - set(schema.labels)
    if unknown:
        raise ValueError(
            f"annotates names labels outside the schema: {', '.join(sorted(unknown))} "
            f"(labels: {', '.join(schema.labels)})"
        )
    return sum(1 << i for i, label in enumerate(schema.labels) if label in annotated)


def partial_token_nll(log_probs: Any, labels: Any, annotated: Any) -> Any:
    """Per token ``-log`` of the summed probability of its compatible tags, ``[batch, length]``
    (ignored tokens hold a finite placeholder; mask them with ``labels != -100``).

    ``log_probs`` ``[batch, length, tags]``, ``labels`` ``[batch, length]``, ``annotated``
    ``[batch]`` bit masks of :func:`annotation_mask`.
    """
    import torch

    n_tags = log_probs.shape[-1]
    n_labels = (n_tags - 1) // 2
    seen = labels != IGNORED
    gold = torch.where(seen, labels, torch.zeros_like(labels))
    allowed = torch.nn.functional.one_hot(gold, n_tags).bool()
    bits = torch.arange(n_labels, device=labels.device)
    missing = ((annotated[:, None] >> bits) & 1) == 0  # [batch, labels]: not annotated there
    # B-X and I-X of every label the row's corpus does not annotate, for tokens marked O
    open_tags = missing.repeat_interleave(2, dim=1)  # [batch, 2 * labels], in tag order
    open_tags = torch.cat([torch.zeros_like(open_tags[:, :1]), open_tags], dim=1)
    allowed |= (gold == 0)[..., None] & open_tags[:, None, :]
    return -torch.logsumexp(log_probs.masked_fill(~allowed, float("-inf")), dim=-1)


def partial_label_loss(logits: Any, labels: Any, annotated: Any) -> Any:
    """Mean over labelled tokens of :func:`partial_token_nll`. A fully annotated row gives
    exactly the cross-entropy of its tokens."""
    import torch

    log_probs = torch.log_softmax(logits.float(), dim=-1)
    return partial_token_nll(log_probs, labels, annotated)[labels != IGNORED].mean()
