"""Separate classification heads for auxiliary corpora on the shared encoder.

Why: a corpus annotated under other conventions (ANERcorp's LOC makes a state that acts a
place; araevent-news makes it an ACTOR) pulls a shared head towards them. With ``head: own``
its windows are scored by a head of their own, a linear layer beside the model's
``classifier`` reading the same (dropped-out) encoder output, so the encoder learns from its
names while the main head learns the main corpus's conventions alone. The extra heads exist
only during training: they are removed before the model folder is saved, so the exported model
and its prediction cost are the main model's. Measured with ANERcorp beside araevent-news it
did not help (docs/benchmarks.md): the conventions still reach the model through the shared
encoder, and training the auxiliary corpus first (:mod:`araevent.training.sequential`) did
better.
"""

from __future__ import annotations

import copy
from typing import Any, Final

from araevent.training.config import DataConfig

#: The submodule holding the extra heads while the model trains (and in its checkpoints).
HEADS: Final = "araevent_auxiliary_heads"


def own_head_count(data: DataConfig) -> int:
    """Extra heads a run needs: one per auxiliary corpus with ``head: own``."""
    return sum(corpus.head == "own" for corpus in data.auxiliary)


def add_heads(net: Any, count: int) -> Any:
    """``net`` with ``count`` heads beside its classifier (copies of it, so that they start
    as it does); unchanged when ``count`` is 0."""
    import torch

    if count == 0:
        return net
    classifier = getattr(net, "classifier", None)
    if not isinstance(classifier, torch.nn.Linear):
        raise ValueError(
            f"data.auxiliary head: own needs a model whose token classifier is one linear layer "
            f"(`classifier`); {type(net).__name__} has {type(classifier).__name__}"
        )
    net.add_module(HEADS, torch.nn.ModuleList(copy.deepcopy(classifier) for _ in range(count)))
    return net


def remove_heads(net: Any) -> None:
    """Drop the extra heads (before saving: the exported model is the main model alone)."""
    if hasattr(net, HEADS):
        delattr(net, HEADS)


def routed_forward(model: Any, inputs: dict[str, Any], head: Any) -> Any:
    """The model's outputs with, in each row, the logits of the head that row trains: ``head``
    ``[batch]`` (0: the main classifier, k: the k-th extra head).

    The routing is a forward hook on the classifier, so that the extra heads run inside the
    model's forward: under autocast like the rest, and seen by DistributedDataParallel as part
    of the step (outside it, DDP reports their gradients as unexpected). Every head scores
    every row (a linear layer costs nothing next to the encoder)."""
    import torch

    inner = getattr(model, "module", model)  # under DistributedDataParallel
    extra = getattr(inner, HEADS)
    calls = 0

    def route(_: Any, args: tuple[Any, ...], main: Any) -> Any:
        nonlocal calls
        calls += 1
        every = torch.stack([main, *(h(args[0]) for h in extra)])  # [heads, batch, ...]
        index = head.to(device=every.device, dtype=torch.long)
        return every[index, torch.arange(index.shape[0], device=every.device)]

    hook = inner.classifier.register_forward_hook(route)
    try:
        outputs = model(**inputs)
    finally:
        hook.remove()
    if calls != 1:
        raise RuntimeError(
            f"head: own needs the classifier called once a forward pass, not {calls} times "
            f"({type(inner).__name__})"
        )
    return outputs
