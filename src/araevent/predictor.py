"""The inference wrapper that downstream code imports: text in, entities on that text out.

``Predictor`` loads a model folder written by ``araevent train`` (safetensors weights, config
with id2label, tokenizer, ``araevent.json``), and predicts through the same windowing and
decoding as training's dev figures. Importing it pulls in neither hydra nor datasets, and the
ONNX backend does not import torch either.

>>> predictor = Predictor.from_pretrained("models/runs/<run>/model")   # doctest: +SKIP
>>> [(e.label, e.text) for e in predictor.predict("قصفت الطائرات التركية الرقة")]  # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from araevent.data.document import Document
from araevent.data.labels import LabelSchema
from araevent.data.text import NormalizationConfig, replace_surrogates, strip_proclitics
from araevent.events import EventRecord, events_from_entities
from araevent.features import EncodingConfig
from araevent.inference import DEFAULT_BATCH_SIZE, Runner


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


BACKENDS = ("torch", "onnx")


@dataclass(frozen=True)
class Precision:
    """The precision a predictor computes in and why: what evaluation metadata records."""

    dtype: str
    reason: str


class Predictor:
    """Batched span prediction with a trained araevent model.

    A predictor loaded with :meth:`from_pretrained` (or :meth:`ensemble`) pickles as its
    folder(s) and settings, so it can be sent to worker processes (``multiprocessing``,
    ``concurrent.futures``, Ray, Spark), which load the model once each.
    """

    def __init__(
        self,
        runner: Runner,
        tokenizer: Any,
        schema: LabelSchema,
        encoding: EncodingConfig,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        _check_batch_size(batch_size)
        self.runner = runner
        self.tokenizer = tokenizer
        self.schema = schema
        self.encoding = encoding
        self.batch_size = batch_size
        self.precision = _runner_precision(runner)
        # (loader, arguments) that rebuild this predictor in another process: see __reduce__
        self._source: tuple[Callable[..., Predictor], tuple[Any, ...]] | None = None

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path,
        device: str = "auto",
        backend: str = "torch",
        batch_size: int = DEFAULT_BATCH_SIZE,
        onnx_file: str = "model.onnx",
        dtype: str = "auto",
        threads: int | None = None,
    ) -> Predictor:
        """Load a model folder; only safetensors or ONNX weights are read, never pickles or code.

        ``backend="onnx"`` runs ``onnx_file`` (``model.int8.onnx`` for the quantised model,
        see ``araevent export --onnx``) on ONNX Runtime and does not import torch.
        ``dtype`` (torch backend): ``"auto"`` computes in bf16 where the device has native
        bf16 (a CUDA GPU from Ampere on, a CPU with AMX or AVX512-BF16) and in fp32 elsewhere;
        ``"float32"`` or ``"bfloat16"`` override it (:attr:`precision` says what was chosen and
        why). ONNX runs the file as exported (fp32, or int8 when quantised), so it takes
        ``"auto"`` only. ``threads`` sets torch's intra-op threads (process-wide) or ONNX
        Runtime's; fewer than the cores help when other processes share them. Loading prints
        nothing (transformers' bars and load reports are silenced meanwhile). Several
        folders as one model: :meth:`ensemble`.
        """
        _check_options(backend, dtype, onnx_file, batch_size, threads)
        folder = Path(path)
        check_model_folder(folder, backend, onnx_file)
        schema, encoding = _read_settings(folder / "araevent.json")
        runner, tokenizer = _load_runner(folder, schema, device, backend, onnx_file, dtype, threads)
        predictor = cls(runner, tokenizer, schema, encoding, batch_size=batch_size)
        settings = (device, backend, batch_size, onnx_file, dtype, threads)
        predictor._source = (Predictor.from_pretrained, (str(folder.resolve()), *settings))
        return predictor

    @classmethod
    def ensemble(
        cls,
        paths: Sequence[str | Path],
        device: str = "auto",
        backend: str = "torch",
        batch_size: int = DEFAULT_BATCH_SIZE,
        onnx_file: str = "model.onnx",
        dtype: str = "auto",
        threads: int | None = None,
    ) -> Predictor:
        """Load several model folders as one model that averages their tag probabilities.

        The settings are :meth:`from_pretrained`'s, shared by every member. A method of its own
        rather than a list given to :meth:`from_pretrained`: a ``str`` is a sequence too, so one
        parameter taking either a folder or folders would be ambiguous, and this name says that
        predictions are an average (see :class:`~araevent.ensemble.EnsembleRunner`). Members
        must share labels, windows and normalisation (``araevent.json``) and tokenizer
        (``tokenizer.json`` and the special tokens): a member that differs is a ``ValueError``
        naming its folder and what differs, before any weights are read. Members with the same
        weights predict exactly the single model's spans.
        """
        from araevent.ensemble import EnsembleRunner

        if isinstance(paths, str | Path):
            raise TypeError("ensemble takes a list of model folders; for one, use from_pretrained")
        folders = [Path(path) for path in paths]
        if not folders:
            raise ValueError("an ensemble needs at least one model folder")
        _check_options(backend, dtype, onnx_file, batch_size, threads)
        for folder in folders:
            check_model_folder(folder, backend, onnx_file)
        schema, encoding = shared_settings(folders)
        loaded = [
            _load_runner(folder, schema, device, backend, onnx_file, dtype, threads)
            for folder in folders
        ]
        runner = EnsembleRunner([member for member, _ in loaded])
        tokenizer = loaded[0][1]  # the members' tokenizers are the same
        predictor = cls(runner, tokenizer, schema, encoding, batch_size=batch_size)
        resolved = tuple(str(folder.resolve()) for folder in folders)
        settings = (device, backend, batch_size, onnx_file, dtype, threads)
        predictor._source = (Predictor.ensemble, (resolved, *settings))
        return predictor

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        if self._source is None:
            raise TypeError(
                "only a Predictor made by Predictor.from_pretrained or Predictor.ensemble can "
                "be pickled (workers rebuild it from its folder)"
            )
        return self._source

    def predict(self, text: str) -> list[Entity]:
        if not isinstance(text, str):
            hint = "; for several texts use predict_batch" if isinstance(text, list | tuple) else ""
            raise TypeError(f"predict takes one str, not {type(text).__name__}{hint}")
        return self.predict_batch([text])[0]

    def predict_batch(self, texts: Iterable[str], *, first: int = 0) -> list[list[Entity]]:
        """Entities of each text; ``first`` numbers the texts in errors (``pipe`` passes the
        position of its batch in the stream)."""
        return [entities for entities, _ in self.predict_with_probs(texts, first=first)]

    def predict_with_probs(
        self, texts: Iterable[str], *, first: int = 0
    ) -> list[tuple[list[Entity], np.ndarray]]:
        """:meth:`predict_batch`, each text's entities with the tag probabilities of its words
        (``[n_words, n_tags]``, columns in ``schema.tags`` order): the distributions the
        constrained decoder chose the entities from, which is what uncertainty sampling
        (``araevent select``) measures."""
        _check_texts(texts, "predict_with_probs and predict_batch take a list")
        texts = list(texts)
        for i, text in enumerate(texts, first):
            if not isinstance(text, str):
                raise TypeError(f"text {i} is {type(text).__name__}, not str")
        # Lone surrogates cannot reach the tokenizer; replacing each with U+FFFD keeps lengths,
        # so offsets still point into the caller's string.
        safe = [Document(str(i), replace_surrogates(t)[0]) for i, t in enumerate(texts)]
        from araevent.inference import predict_with_probs

        predicted, probs = predict_with_probs(
            self.runner,
            self.tokenizer,
            safe,
            self.encoding,
            self.schema,
            batch_size=self.batch_size,
        )
        return [
            (_entities(text, doc), word_probs)
            for text, doc, word_probs in zip(texts, predicted, probs, strict=True)
        ]

    def predict_documents(
        self, documents: Sequence[Document], progress: bool = False
    ) -> list[Document]:
        """Documents with predicted spans (same ids and texts): what evaluation scores."""
        from araevent.inference import predict_with

        return predict_with(
            self.runner,
            self.tokenizer,
            documents,
            self.encoding,
            self.schema,
            batch_size=self.batch_size,
            progress=progress,
        )

    def pipe(self, texts: Iterable[str], batch_size: int = 256) -> Iterator[list[Entity]]:
        """Stream predictions for an iterable of texts, ``batch_size`` texts at a time."""
        _check_texts(texts, "pipe takes an iterable")
        _check_batch_size(batch_size)
        iterator = iter(texts)
        done = 0
        while batch := list(islice(iterator, batch_size)):
            yield from self.predict_batch(batch, first=done)
            done += len(batch)

    def predict_events(self, text: str) -> list[EventRecord]:
        """Each TRIGGER with the ACTORs, PLACEs and DATEs of its sentence, nearest first."""
        return events_from_entities(text, self.predict(text))


def _check_options(
    backend: str, dtype: str, onnx_file: str, batch_size: int, threads: int | None
) -> None:
    """Refuse settings that cannot work, before any folder is read."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; available: {', '.join(BACKENDS)}")
    if backend == "onnx" and dtype != "auto":
        raise ValueError(
            f"dtype={dtype!r} applies to the torch backend; the onnx backend runs "
            f"{onnx_file} as exported (fp32, or int8 from --quantize int8)"
        )
    _check_batch_size(batch_size)
    if threads is not None and (isinstance(threads, bool) or threads < 1):
        raise ValueError(f"threads must be a positive integer, got {threads!r}")


def _load_runner(
    folder: Path,
    schema: LabelSchema,
    device: str,
    backend: str,
    onnx_file: str,
    dtype: str,
    threads: int | None,
) -> tuple[Runner, Any]:
    """The runner and tokenizer of a checked model folder on ``backend``."""
    if backend == "torch":
        return _load_torch(folder, schema, device, dtype, threads)
    from araevent.onnx_runner import OnnxRunner
    from araevent.tokenizer_file import StandaloneTokenizer

    runner = OnnxRunner(folder / onnx_file, threads)
    if runner.num_labels not in (None, schema.num_tags):
        raise ValueError(
            f"{folder / onnx_file} scores {runner.num_labels} tags, araevent.json names "
            f"{schema.num_tags} ({', '.join(schema.tags)})"
        )
    return runner, StandaloneTokenizer(folder)


def shared_settings(folders: Sequence[Path]) -> tuple[LabelSchema, EncodingConfig]:
    """The shared labels and encoding of model folders to be combined, or a ``ValueError``
    naming the first folder that differs from the first one, and what differs: an ensemble's
    members run on the same sub-tokens and their probabilities are averaged tag by tag (a
    weight average, their weights), which only means something when they tokenize, window and
    label alike."""
    from araevent.tokenizer_file import special_tokens

    first = folders[0]
    schema, encoding = _read_settings(first / "araevent.json")
    if len(folders) == 1:
        return schema, encoding  # nothing to compare its tokenizer with
    tokenizer = _read_json(first / "tokenizer.json")
    special = special_tokens(first)
    for folder in folders[1:]:
        other_schema, other_encoding = _read_settings(folder / "araevent.json")
        if other_schema.tags != schema.tags:
            what = f"labels {', '.join(other_schema.labels)} (first: {', '.join(schema.labels)})"
        elif other_encoding != encoding:
            what = "encoding " + _differences(asdict(encoding), asdict(other_encoding))
        elif _read_json(folder / "tokenizer.json") != tokenizer:
            what = "tokenizer.json"
        elif special_tokens(folder) != special:
            what = "special tokens " + _differences(special, special_tokens(folder))
        else:
            continue
        raise ValueError(
            f"{folder} differs from the first member {first}: {what}; members must "
            "share labels, encoding and tokenizer"
        )
    return schema, encoding


def _differences(first: dict[str, Any], other: dict[str, Any]) -> str:
    """``key value (first: value)`` for each key whose values differ."""
    keys = sorted(first.keys() | other.keys())
    return ", ".join(
        f"{key} {other.get(key)!r} (first: {first.get(key)!r})"
        for key in keys
        if first.get(key) != other.get(key)
    )


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None


def _load_torch(
    folder: Path, schema: LabelSchema, device: str, dtype: str, threads: int | None
) -> tuple[Runner, Any]:
    import torch
    from safetensors import SafetensorError
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from araevent.modeling import quiet_transformers
    from araevent.torch_runner import TorchRunner

    with quiet_transformers():
        try:
            model = AutoModelForTokenClassification.from_pretrained(
                folder, use_safetensors=True, trust_remote_code=False
            )
        except SafetensorError as exc:  # a truncated copy or another file under the name
            raise ValueError(f"{folder}: its weights cannot be read ({exc})") from None
        if list(model.config.id2label.values()) != list(schema.tags):
            raise ValueError(f"{folder}: config id2label does not match araevent.json labels")
        runner = TorchRunner(model, device, dtype, own_weights=True)
        tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
    if threads is not None:
        torch.set_num_threads(threads)
    return runner, tokenizer


def _check_texts(texts: object, takes: str) -> None:
    """A ``TypeError`` for one ``str``, ``bytes`` or mapping where texts are due: each is
    iterable too, and would be predicted as its characters, byte values or keys."""
    if isinstance(texts, str):
        raise TypeError(f"{takes} of texts, not one str: use predict")
    if isinstance(texts, bytes | bytearray | Mapping):
        raise TypeError(f"{takes} of texts, not a {type(texts).__name__}")


def _runner_precision(runner: Runner) -> Precision:
    """What a runner computes in: a :class:`TorchRunner` says; ONNX runs its file as is; an
    ensemble's members share device and dtype, so its first member says."""
    members = getattr(runner, "members", None)
    if members:
        return _runner_precision(members[0])
    dtype = getattr(runner, "dtype", None)
    if dtype is not None:
        return Precision(str(dtype).removeprefix("torch."), getattr(runner, "dtype_reason", ""))
    path = getattr(runner, "path", None)
    if path is not None:
        quantised = "int8" in Path(path).name
        return Precision(
            "int8" if quantised else "float32",
            f"onnx backend runs {Path(path).name} as exported",
        )
    return Precision("unknown", f"{type(runner).__name__} does not say")


def _check_batch_size(batch_size: int) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")


def _read_settings(path: Path) -> tuple[LabelSchema, EncodingConfig]:
    """The label schema and encoding that ``araevent.json`` records, or an error naming it."""
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        normalization = meta.get("normalization")
        encoding = EncodingConfig(
            **meta["encoding"],
            normalization=NormalizationConfig(**normalization) if normalization else None,
        )
        return LabelSchema(tuple(meta["labels"])), encoding
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(
            f"{path}: not a valid araevent settings file ({type(exc).__name__}: {exc}); "
            "export the model again with `araevent export`"
        ) from None


def check_model_folder(folder: Path, backend: str = "torch", onnx_file: str = "model.onnx") -> None:
    """A ``FileNotFoundError`` naming what ``folder`` lacks to load with ``backend``; commands
    call it before reading their input, so that neither waits on the other to fail."""
    if folder.is_file():
        raise FileNotFoundError(f"{folder} is a file: give the model folder that holds it")
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such model folder")
    # tokenizer_config.json holds the special tokens and the tokenizer class: without it the
    # tokenizer loads, but splits and frames windows differently
    required = ["tokenizer.json", "tokenizer_config.json", "araevent.json"]
    required += [onnx_file] if backend == "onnx" else ["config.json"]
    missing = [name for name in required if not (folder / name).is_file()]
    if backend == "torch" and not any(folder.glob("*.safetensors")):
        missing.append("model.safetensors")
    if missing:
        hint = (
            "export one with `araevent export RUN OUT --onnx`"
            if backend == "onnx"
            else "train one with `araevent train`; its model is written to <run>/model"
        )
        raise FileNotFoundError(
            f"{folder} is not an araevent model folder for backend={backend!r}: "
            f"missing {', '.join(missing)} ({hint})"
        )


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
