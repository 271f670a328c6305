"""The PyTorch backend: runs a token-classification model on padded numpy batches.

Kept apart from :mod:`araevent.inference` so that the ONNX backend, which shares all the
batching and decoding, can run without importing torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` is CUDA when there is one; an unknown or absent device is a ``ValueError``
    saying so, not an error from deep inside torch at the first batch."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(f"unknown device {device!r} (cpu, cuda, cuda:1, mps, auto)") from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device {device!r} asked for, but torch sees no CUDA GPU: use cpu "
            "(araevent train: trainer=cpu or trainer.device=cpu)"
        )
    if resolved.type == "cuda" and (resolved.index or 0) >= torch.cuda.device_count():
        raise ValueError(f"device {device!r}: torch sees {torch.cuda.device_count()} CUDA GPUs")
    return resolved


class TorchRunner:
    """Logits for a batch under ``inference_mode``, in the precision of ``dtype``.

    ``dtype`` is ``"auto"`` (bf16 where the device computes it natively, see
    :mod:`araevent.precision`), ``"float32"`` or ``"bfloat16"``. By default bf16 runs as
    autocast and the weights are kept as loaded: the model may be one being trained (dev
    evaluation between epochs), whose fp32 weights must not change. ``own_weights=True`` says
    the runner owns the model (the Predictor loaded it for prediction only), so in bf16 its
    weights are stored in bf16 once instead of being cast by autocast at every batch: 17% more
    documents/s on a CPU with AVX512-BF16, with the same dev F1 (docs/benchmarks.md); on a CPU
    its linear layers are then packed for oneDNN once (:mod:`araevent.packed_linear`;
    ``packed_layers`` counts them).
    """

    def __init__(
        self,
        model: Any,
        device: str | torch.device = "auto",
        dtype: str = "auto",
        own_weights: bool = False,
    ) -> None:
        from araevent.allocator import keep_freed_memory
        from araevent.packed_linear import pack_linear_layers
        from araevent.precision import resolve_dtype

        self.device = resolve_device(device) if isinstance(device, str) else device
        if self.device.type == "cpu":
            keep_freed_memory()
        self.dtype, self.dtype_reason = resolve_dtype(dtype, self.device)
        self.model = model.to(self.device).eval()
        self.autocast = self.dtype == torch.bfloat16
        self.packed_layers = 0
        if own_weights and self.autocast:
            self.model = self.model.to(torch.bfloat16)
            self.autocast = False
            if self.device.type == "cpu":
                self.packed_layers = pack_linear_layers(self.model)

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        with (
            torch.inference_mode(),
            torch.autocast(self.device.type, torch.bfloat16, enabled=self.autocast),
        ):
            logits = self.model(
                input_ids=torch.from_numpy(input_ids).to(self.device),
                attention_mask=torch.from_numpy(attention_mask).to(self.device),
            ).logits
        result: np.ndarray = logits.float().cpu().numpy()
        return result
