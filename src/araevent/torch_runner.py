"""The PyTorch backend: runs a token-classification model on padded numpy batches.

Kept apart from :mod:`araevent.inference` so that the ONNX backend, which shares all the
batching and decoding, can run without importing torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


def resolve_device(device: str = "auto") -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


class TorchRunner:
    """Logits for a batch under ``inference_mode``, in bf16 autocast on GPUs that support it."""

    def __init__(self, model: Any, device: str | torch.device = "auto") -> None:
        self.device = resolve_device(device) if isinstance(device, str) else device
        self.model = model.to(self.device).eval()
        self.bf16 = self.device.type == "cuda" and torch.cuda.is_bf16_supported()

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        with (
            torch.inference_mode(),
            torch.autocast(self.device.type, torch.bfloat16, enabled=self.bf16),
        ):
            logits = self.model(
                input_ids=torch.from_numpy(input_ids).to(self.device),
                attention_mask=torch.from_numpy(attention_mask).to(self.device),
            ).logits
        result: np.ndarray = logits.float().cpu().numpy()
        return result
