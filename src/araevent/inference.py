"""Batched prediction over Documents: windows in, spans on the original text out.

Windows of all documents are sorted by length and padded per batch (no fixed padding), the
model runs under ``torch.inference_mode`` (bf16 autocast on GPUs that support it), and each
document is decoded by :class:`~araevent.decoding.SpanDecoder`. Training uses this same function
for its dev and test figures.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch

from araevent.data.document import Document
from araevent.data.labels import LabelSchema
from araevent.decoding import SpanDecoder
from araevent.features import (
    EncodingConfig,
    FastTokenizer,
    TokenizedDocument,
    Window,
    tokenize_documents,
    window_features,
    windows,
)


def resolve_device(device: str = "auto") -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def _batches(
    tokenized: Sequence[TokenizedDocument], config: EncodingConfig, batch_size: int
) -> Iterator[list[Window]]:
    all_windows = [w for i, doc in enumerate(tokenized) for w in windows(doc, config, i)]
    all_windows.sort(key=lambda w: w.end - w.start, reverse=True)
    for i in range(0, len(all_windows), batch_size):
        yield all_windows[i : i + batch_size]


def predict_documents(
    model: Any,
    tokenizer: FastTokenizer,
    documents: Sequence[Document],
    config: EncodingConfig,
    schema: LabelSchema,
    *,
    batch_size: int = 32,
    device: str | torch.device = "auto",
    constrained: bool = True,
) -> list[Document]:
    """New Documents (same ids and texts) whose spans are the model's predictions."""
    device = resolve_device(device) if isinstance(device, str) else device
    tokenized = tokenize_documents(documents, tokenizer, config)
    decoder = SpanDecoder(schema, constrained=constrained)
    per_doc: list[list[tuple[int, int, np.ndarray]]] = [[] for _ in documents]
    pad_id = getattr(tokenizer, "pad_token_id", None) or 0
    offset = 0 if tokenizer.cls_token_id is None else 1
    use_bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()
    model.eval()
    model.to(device)
    with torch.inference_mode(), torch.autocast(device.type, torch.bfloat16, enabled=use_bf16):
        for batch in _batches(tokenized, config, batch_size):
            features = [window_features(tokenized[w.doc_index], w, tokenizer) for w in batch]
            width = max(len(f["input_ids"]) for f in features)
            ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, f in enumerate(features):
                ids[row, : len(f["input_ids"])] = torch.tensor(f["input_ids"])
                mask[row, : len(f["input_ids"])] = 1
            logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
            logits = logits.float().cpu().numpy()
            for row, w in enumerate(batch):
                body = logits[row, offset : offset + w.end - w.start]
                per_doc[w.doc_index].append((w.start, w.end, body))
    return [
        decoder.decode_document(doc, tok, scored)
        for doc, tok, scored in zip(documents, tokenized, per_doc, strict=True)
    ]
