"""The inference wrapper that downstream code imports: text in, entities on that text out.

``Predictor`` loads a model folder written by ``araevent train`` (safetensors weights, config
with id2label, tokenizer, ``araevent.json``), and predicts through the same windowing and
decoding as training's dev figures. Importing it pulls in neither hydra nor datasets.

>>> predictor = Predictor.from_pretrained("models/runs/<run>/model")   # doctest: +SKIP
>>> [(e.label, e.text) for e in predictor.predict("قصفت الطائرات التركية الرقة")]  # doctest: +SKIP
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from araevent.data.document import Document
from araevent.data.labels import LabelSchema
from araevent.data.text import NormalizationConfig, strip_proclitics
from araevent.features import EncodingConfig

_REQUIRED = ("config.json", "tokenizer.json", "araevent.json")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Entity:
    """A predicted span: ``text == original[start:end]``, offsets into the caller's string.

    ``core_start``/``core_end``/``core`` give the entity without proclitics (``الروس`` for
    ``والروس``), see :func:`araevent.data.text.strip_proclitics`.
    """

    start: int
    end: int
    label: str
    text: str
    score: float
    core_start: int
    core_end: int
    core: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Predictor:
    """Batched span prediction with a trained araevent model."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        schema: LabelSchema,
        encoding: EncodingConfig,
        *,
        device: str = "auto",
        batch_size: int = 32,
    ) -> None:
        from araevent.inference import resolve_device

        self.model = model
        self.tokenizer = tokenizer
        self.schema = schema
        self.encoding = encoding
        self.device = resolve_device(device)
        self.batch_size = batch_size
        self.model.to(self.device)
        self.model.eval()

    @classmethod
    def from_pretrained(
        cls, path: str | Path, device: str = "auto", backend: str = "torch", batch_size: int = 32
    ) -> Predictor:
        """Load a model folder; only safetensors weights are read, never pickles or code."""
        if backend != "torch":
            raise ValueError(f"unknown backend {backend!r}; available: 'torch'")
        folder = Path(path)
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder}: no such model folder")
        missing = [name for name in _REQUIRED if not (folder / name).is_file()]
        if not any(folder.glob("*.safetensors")):
            missing.append("model.safetensors")
        if missing:
            raise FileNotFoundError(
                f"{folder} is not an araevent model folder: missing {', '.join(missing)} "
                "(train one with `araevent train`; its model is written to <run>/model)"
            )
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        meta = json.loads((folder / "araevent.json").read_text(encoding="utf-8"))
        normalization = meta.get("normalization")
        encoding = EncodingConfig(
            **meta["encoding"],
            normalization=NormalizationConfig(**normalization) if normalization else None,
        )
        model = AutoModelForTokenClassification.from_pretrained(
            folder, use_safetensors=True, trust_remote_code=False
        )
        tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
        schema = LabelSchema(tuple(meta["labels"]))
        if list(model.config.id2label.values()) != list(schema.tags):
            raise ValueError(f"{folder}: config id2label does not match araevent.json labels")
        return cls(model, tokenizer, schema, encoding, device=device, batch_size=batch_size)

    def predict(self, text: str) -> list[Entity]:
        return self.predict_batch([text])[0]

    def predict_batch(self, texts: Sequence[str]) -> list[list[Entity]]:
        from araevent.inference import predict_documents

        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"text {i} is {type(text).__name__}, not str")
        # Lone surrogates cannot reach the tokenizer; replacing each with U+FFFD keeps lengths,
        # so offsets still point into the caller's string.
        safe = [_SURROGATE_RE.sub("\ufffd", t) for t in texts]
        documents = [Document(str(i), t) for i, t in enumerate(safe)]
        predicted = predict_documents(
            self.model,
            self.tokenizer,
            documents,
            self.encoding,
            self.schema,
            batch_size=self.batch_size,
            device=self.device,
        )
        return [_entities(text, doc) for text, doc in zip(texts, predicted, strict=True)]

    def pipe(self, texts: Iterable[str], batch_size: int = 256) -> Iterator[list[Entity]]:
        """Stream predictions for an iterable of texts, ``batch_size`` texts at a time."""
        iterator = iter(texts)
        while batch := list(islice(iterator, batch_size)):
            yield from self.predict_batch(batch)


def _entities(text: str, doc: Document) -> list[Entity]:
    out = []
    for span in doc.spans:
        core = strip_proclitics(text, span.start, span.end)
        out.append(
            Entity(
                span.start,
                span.end,
                span.label,
                text[span.start : span.end],
                float(span.score or 0.0),
                core.start,
                core.end,
                core.text,
            )
        )
    return out
