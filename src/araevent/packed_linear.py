"""Linear layers whose bf16 weights are laid out for oneDNN once, not at every call (CPU).

torch's CPU matrix product in bf16 goes through oneDNN, which reorders each weight matrix into
the blocked layout its AMX and AVX512-BF16 kernels read, at every call. The Predictor's model
never changes its weights, so they can be reordered once, as torch.compile's freezing pass does
for CPU inference: about 10% more documents/s for the default Predictor on a 2-core CPU with
AMX, with the same spans on araevent-news dev (docs/benchmarks.md). No compilation, so loading
stays as fast.

It uses the two oneDNN operators that pass emits (``torch.ops.mkldnn._reorder_linear_weight``
and ``_linear_pointwise``). Where they are missing, or the first packed layer does not
reproduce ``torch.nn.functional.linear`` on a test input, the model is left as it is.
"""

from __future__ import annotations

import torch
from torch import nn


class PackedLinear(nn.Module):
    """An ``nn.Linear`` for inference whose weight is held in oneDNN's own layout.

    The packed weight is a plain attribute, not a parameter, so it stays out of
    ``state_dict()``: the module is for prediction, not for saving or training.
    """

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.packed = torch.ops.mkldnn._reorder_linear_weight(linear.weight.detach(), None)
        self.bias = None if linear.bias is None else linear.bias.detach()

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = torch.ops.mkldnn._linear_pointwise(
            hidden, self.packed, self.bias, "none", [], ""
        )
        return out


def pack_linear_layers(model: nn.Module) -> int:
    """Replace each bf16 ``nn.Linear`` of a CPU ``model`` by a :class:`PackedLinear`, in place;
    returns how many were replaced (0 where oneDNN's operators are unavailable)."""
    targets = [
        (parent, name, child)
        for parent in model.modules()
        for name, child in parent.named_children()
        if type(child) is nn.Linear
        and child.weight.dtype == torch.bfloat16
        and child.weight.device.type == "cpu"
    ]
    if not targets or not _packs_correctly(targets[0][2]):
        return 0
    for parent, name, child in targets:
        setattr(parent, name, PackedLinear(child))
    return len(targets)


def _packs_correctly(linear: nn.Linear) -> bool:
    """Whether this torch can pack ``linear`` and then gives what ``F.linear`` gives."""
    if not torch.backends.mkldnn.is_available():  # type: ignore[no-untyped-call]
        return False
    # its own generator: loading a Predictor leaves torch's global random state as it was
    generator = torch.Generator().manual_seed(0)
    sample = torch.randn(2, 3, linear.in_features, generator=generator).to(torch.bfloat16)
    try:
        with torch.inference_mode():
            packed = PackedLinear(linear)(sample)
            plain = nn.functional.linear(sample, linear.weight, linear.bias)
    except (AttributeError, RuntimeError, NotImplementedError):
        return False
    return bool(torch.allclose(packed.float(), plain.float(), rtol=2e-2, atol=2e-2))
