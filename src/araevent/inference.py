"""Batched prediction over Documents: windows in, spans on the original text out.

Windows of all documents are sorted by length and padded per batch (no fixed padding); a
*runner* turns each padded batch into logits (:class:`~araevent.torch_runner.TorchRunner`, or
the ONNX Runtime one), and each document is decoded by :class:`~araevent.decoding.SpanDecoder`.
Training uses this same path for its dev and test figures. This module does not import torch.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from araevent.data.document import Document
from araevent.data.labels import LabelSchema
from araevent.decoding import SpanDecoder
from araevent.features import (
    EncodingConfig,
    FastTokenizer,
    tokenize_documents,
    window_features,
    windows,
)

DEFAULT_BATCH_SIZE = 64
"""Windows a model call takes. On a 2-core CPU with AMX, 48 to 64 windows of 64 sub-tokens gave
5 to 9% more documents/s than 32, and 128 was slower again; without AMX, 16 to 128 were alike
(docs/benchmarks.md)."""


class Runner(Protocol):
    """Logits ``[batch, length, tags]`` for int64 ``input_ids`` and ``attention_mask``."""

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray: ...


def predict_with(
    runner: Runner,
    tokenizer: FastTokenizer,
    documents: Sequence[Document],
    config: EncodingConfig,
    schema: LabelSchema,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    constrained: bool = True,
    progress: bool = False,
) -> list[Document]:
    """New Documents (same ids and texts) whose spans are the model's predictions."""
    return predict_with_probs(
        runner,
        tokenizer,
        documents,
        config,
        schema,
        batch_size=batch_size,
        constrained=constrained,
        progress=progress,
    )[0]


def predict_with_probs(
    runner: Runner,
    tokenizer: FastTokenizer,
    documents: Sequence[Document],
    config: EncodingConfig,
    schema: LabelSchema,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    constrained: bool = True,
    progress: bool = False,
) -> tuple[list[Document], list[np.ndarray]]:
    """:func:`predict_with` and each document's per-word tag probabilities (see
    :meth:`~araevent.decoding.SpanDecoder.decode_with_probs`)."""
    if not documents:  # tokenizers fail on an empty batch
        return [], []
    tokenized = tokenize_documents(documents, tokenizer, config)
    decoder = SpanDecoder(schema, constrained=constrained)
    per_doc: list[list[tuple[int, int, np.ndarray]]] = [[] for _ in documents]
    pad_id = getattr(tokenizer, "pad_token_id", None) or 0
    offset = 0 if tokenizer.cls_token_id is None else 1
    all_windows = [w for i, doc in enumerate(tokenized) for w in windows(doc, config, i)]
    all_windows.sort(key=lambda w: w.end - w.start, reverse=True)
    bar = _progress(len(all_windows), progress)
    for first in range(0, len(all_windows), batch_size):
        batch = all_windows[first : first + batch_size]
        features = [window_features(tokenized[w.doc_index], w, tokenizer) for w in batch]
        width = max(len(f["input_ids"]) for f in features)
        ids = np.full((len(batch), width), pad_id, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, f in enumerate(features):
            ids[row, : len(f["input_ids"])] = f["input_ids"]
            mask[row, : len(f["input_ids"])] = 1
        logits = runner(ids, mask)
        for row, w in enumerate(batch):
            per_doc[w.doc_index].append(
                (w.start, w.end, logits[row, offset : offset + w.end - w.start])
            )
        if bar is not None:
            bar.update(len(batch))
    if bar is not None:
        bar.close()
    return decoder.decode_with_probs(documents, tokenized, per_doc)


def _progress(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="window", desc="predicting", file=sys.stderr)


def predict_documents(
    model: Any,
    tokenizer: FastTokenizer,
    documents: Sequence[Document],
    config: EncodingConfig,
    schema: LabelSchema,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    device: Any = "auto",
    dtype: str = "auto",
    constrained: bool = True,
    progress: bool = False,
    own_weights: bool = False,
) -> list[Document]:
    """:func:`predict_with` a PyTorch model on ``device`` ("auto": CUDA when available), in
    ``dtype``; ``own_weights`` lets bf16 cast the model's weights as the Predictor does (see
    :class:`~araevent.torch_runner.TorchRunner`)."""
    from araevent.torch_runner import TorchRunner

    return predict_with(
        TorchRunner(model, device, dtype, own_weights=own_weights),
        tokenizer,
        documents,
        config,
        schema,
        batch_size=batch_size,
        constrained=constrained,
        progress=progress,
    )
