"""ONNX export of a model folder (``model.onnx``) and its int8 dynamic quantisation.

The graph takes ``input_ids`` and ``attention_mask`` with dynamic batch and length and
returns ``logits``, which is all :class:`~araevent.onnx_runner.OnnxRunner` feeds it. Weights
are quantised per tensor to int8 with ONNX Runtime's dynamic quantisation (activations stay
float): about 2.5x smaller, and its F1 change is measured in ``docs/benchmarks.md``.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

ONNX_FILE = "model.onnx"
INT8_FILE = "model.int8.onnx"


def export_onnx(folder: str | Path, quantize: str | None = None) -> list[Path]:
    """Write ``model.onnx`` (and ``model.int8.onnx`` with ``quantize="int8"``) into ``folder``."""
    try:
        import onnx  # noqa: F401  (the exporter needs it; fail early with the extra's name)
        import onnxscript  # noqa: F401
        import torch
    except ImportError as exc:
        raise ImportError("ONNX export needs the onnx extra: pip install 'araevent[onnx]'") from exc
    from transformers import AutoModelForTokenClassification

    folder = Path(folder)
    model = AutoModelForTokenClassification.from_pretrained(folder, use_safetensors=True).eval()

    class LogitsOnly(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).logits

    example = torch.full((2, 16), model.config.pad_token_id or 0, dtype=torch.long)
    batch, length = torch.export.Dim("batch"), torch.export.Dim("length")
    written = [folder / ONNX_FILE]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter is chatty about axis names
        logging.getLogger("torch.onnx").setLevel(logging.ERROR)
        torch.onnx.export(
            LogitsOnly(model),
            (example, torch.ones_like(example)),
            str(written[0]),
            input_names=["input_ids", "attention_mask"],
            output_names=["logits"],
            dynamic_shapes={
                "input_ids": {0: batch, 1: length},
                "attention_mask": {0: batch, 1: length},
            },
            dynamo=True,
            external_data=False,
            verbose=False,
        )
    if quantize == "int8":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        written.append(folder / INT8_FILE)
        quantize_dynamic(str(written[0]), str(written[1]), weight_type=QuantType.QInt8)
    return written
