"""A fast tokenizer read straight from ``tokenizer.json`` with the ``tokenizers`` library.

The ONNX backend must not import torch, and importing ``transformers`` imports torch whenever
it is installed. This adapter gives :mod:`araevent.features` the little it needs of a
Hugging Face fast tokenizer (ids, character offsets, CLS/SEP/PAD ids) from the same files the
exported model folder holds, so both backends tokenize identically.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _token(value: Any) -> str | None:
    """A special token as written in tokenizer_config.json: a string or {"content": ...}."""
    if isinstance(value, dict):
        return str(value.get("content")) if value.get("content") is not None else None
    return value if isinstance(value, str) else None


def special_tokens(folder: str | Path) -> dict[str, str | None]:
    """The special tokens (``cls_token``, ``pad_token``, ...) a model folder's tokenizer files
    name; ``tokenizer_config.json`` overrides ``special_tokens_map.json``, as in transformers."""
    folder = Path(folder)
    settings: dict[str, Any] = {}
    for name in ("special_tokens_map.json", "tokenizer_config.json"):
        if (folder / name).is_file():
            settings.update(json.loads((folder / name).read_text(encoding="utf-8")))
    return {key: _token(value) for key, value in settings.items() if key.endswith("_token")}


class StandaloneTokenizer:
    """Callable like a fast tokenizer with ``add_special_tokens=False``, offsets included."""

    def __init__(self, folder: str | Path) -> None:
        from tokenizers import Tokenizer

        folder = Path(folder)
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        special = special_tokens(folder)
        self.cls_token_id = self._id(special.get("cls_token"))
        self.sep_token_id = self._id(special.get("sep_token"))
        self.pad_token_id = self._id(special.get("pad_token"))

    def _id(self, token: str | None) -> int | None:
        return None if token is None else self._tokenizer.token_to_id(token)

    def __call__(self, texts: list[str], **_: Any) -> dict[str, list[Any]]:
        encodings = self._tokenizer.encode_batch(texts, add_special_tokens=False)
        return {
            "input_ids": [e.ids for e in encodings],
            "offset_mapping": [e.offsets for e in encodings],
        }
