"""The ONNX Runtime backend: the exported ``model.onnx`` on CPU, without importing torch."""

from __future__ import annotations

from pathlib import Path

import numpy as np


class OnnxRunner:
    """Logits for a padded batch from an ONNX Runtime session (CPU execution provider)."""

    def __init__(self, path: str | Path, threads: int | None = None) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:  # an optional extra
            raise ImportError(
                'backend="onnx" needs onnxruntime: pip install "araevent[onnx]"'
            ) from exc
        self.path = Path(path)
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input_names = {i.name for i in self.session.get_inputs()}
        (logits,) = (o for o in self.session.get_outputs() if o.name == "logits")
        last = logits.shape[-1] if logits.shape else None
        self.num_labels: int | None = last if isinstance(last, int) else None  # None: symbolic

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        feeds = {"input_ids": input_ids, "attention_mask": attention_mask}
        if "token_type_ids" in self.input_names:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        (logits,) = self.session.run(["logits"], feeds)
        result: np.ndarray = logits
        return result
