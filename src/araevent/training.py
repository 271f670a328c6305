"""Fine-tuning: plain config objects in, a trained model directory and dev/test figures out.

Library code takes the dataclasses below (hydra instantiates them from ``configs/``, but they
are as usable from Python). The Hugging Face ``Trainer`` does the optimisation with dynamic
padding, length-grouped batches, warm-up and decay, weight decay, gradient accumulation,
bf16 where the GPU supports it, seeds, checkpoints and early stopping; checkpoints are chosen
on strict span F1 over dev *documents*, decoded the way the predictor decodes.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from araevent.data.document import Document, documents_digest
from araevent.data.labels import DEFAULT_LABELS, LabelSchema
from araevent.data.text import Normalizer
from araevent.decoding import SpanDecoder
from araevent.evaluation.harness import Evaluation, EvaluationConfig, evaluate_documents
from araevent.evaluation.spans import score_spans
from araevent.export import export_model
from araevent.features import (
    EncodingConfig,
    FastTokenizer,
    TokenizedDocument,
    Window,
    subtoken_labels,
    tokenize_documents,
    window_features,
    windows,
    word_tags,
)
from araevent.io import ConllOptions, Corpus, load

log = logging.getLogger(__name__)


# above this, fine-tuning a pretrained encoder is warned about: it would unlearn its pretraining
PRETRAINED_LEARNING_RATE = 5e-4


@dataclass
class DataConfig:
    """Where the splits are and how to read them. ``dev``/``test`` may be absent."""

    train: str
    dev: str | None = None
    test: str | None = None
    format: str | None = None
    label_map: str | None = None
    labels: Sequence[str] = DEFAULT_LABELS
    mode: Literal["strict", "lenient"] = "strict"
    nested: bool = False
    scheme: str | None = None  # CoNLL tag scheme in any case; None: detected per file
    limit: int | None = None  # first N documents of each split, for smoke runs

    def __post_init__(self) -> None:
        if self.limit is not None:
            _check_number("data.limit", self.limit, at_least=1, integer=True)

    @property
    def schema(self) -> LabelSchema:
        return LabelSchema(tuple(self.labels))

    def load(self, split: str) -> Corpus | None:
        path = getattr(self, split)
        if path is None:
            return None
        if not Path(path).exists():
            where = "" if Path(path).is_absolute() else f" (read from {Path.cwd()})"
            raise FileNotFoundError(f"data.{split}: {path}: no such file or folder{where}")
        corpus = load(
            path,
            self.format,
            mode=self.mode,
            schema=self.schema,
            label_map=self.label_map,
            conll=ConllOptions(nested=self.nested, scheme=self.scheme),
        )
        for line in corpus.report.lines():
            log.info("%s: %s", split, line)
        if self.limit is not None and self.limit < len(corpus):
            log.info(
                "%s: first %d of %d documents kept (data.limit); counts above are for all",
                split,
                self.limit,
                len(corpus),
            )
            corpus = Corpus(corpus.documents[: self.limit], corpus.report)
        if not corpus:
            raise ValueError(f"data.{split}: {path} holds no documents")
        return corpus


@dataclass
class ModelConfig:
    """A Hugging Face model name or folder; ``tiny`` builds a small random BERT offline."""

    name: str = "tiny"
    tiny_vocab_size: int = 2000
    tiny_hidden_size: int = 64
    tiny_layers: int = 2
    tiny_heads: int = 2


@dataclass
class TrainerConfig:
    """Optimisation settings; ``bf16="auto"`` uses bf16 where the GPU supports it."""

    epochs: float = 10
    max_steps: int = -1
    batch_size: int = 16
    eval_batch_size: int = 64
    learning_rate: float = 5e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    scheduler: str = "linear"
    gradient_accumulation_steps: int = 1
    early_stopping_patience: int | None = 3
    seed: int = 42
    device: str = "auto"
    bf16: bool | Literal["auto"] = "auto"
    group_by_length: bool = True
    logging_steps: int = 20
    save_total_limit: int = 2
    dataloader_num_workers: int = 0
    resume_from_checkpoint: str | bool | None = None
    tensorboard: bool = True
    progress_bar: bool = True

    def __post_init__(self) -> None:
        """Refuse values the Trainer would accept and then misuse (0 epochs trains nothing and
        still writes a model; a warm-up "ratio" of 1 or more is read as a number of steps)."""
        _check_number("trainer.max_steps", self.max_steps, integer=True)
        _check_number("trainer.epochs", self.epochs, above=0, allowed=self.max_steps > 0)
        for name in ("batch_size", "eval_batch_size", "gradient_accumulation_steps"):
            _check_number(f"trainer.{name}", getattr(self, name), at_least=1, integer=True)
        _check_number("trainer.learning_rate", self.learning_rate, above=0)
        _check_number("trainer.weight_decay", self.weight_decay, at_least=0)
        _check_number("trainer.logging_steps", self.logging_steps, at_least=1, integer=True)
        _check_number("trainer.warmup_ratio", self.warmup_ratio, at_least=0)
        if not self.warmup_ratio < 1:
            raise ValueError(
                f"trainer.warmup_ratio is a share of the steps, in [0, 1): {self.warmup_ratio}"
            )
        if self.bf16 not in (True, False, "auto"):
            raise ValueError(f"trainer.bf16 must be true, false or auto, not {self.bf16!r}")


def _check_number(
    name: str,
    value: object,
    *,
    above: float | None = None,
    at_least: float | None = None,
    integer: bool = False,
    allowed: bool = False,
) -> None:
    """A ValueError naming the setting unless ``value`` is a number in range (or ``allowed``)."""
    kind = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ValueError(f"{name} must be {'an integer' if integer else 'a number'}: {value!r}")
    if allowed:
        return
    if above is not None and not value > above:
        raise ValueError(f"{name} must be more than {above}: {value}")
    if at_least is not None and not value >= at_least:
        raise ValueError(f"{name} must be at least {at_least}: {value}")


@dataclass
class TrainResult:
    output_dir: Path
    model_dir: Path
    metrics: dict[str, Any] = field(default_factory=dict)
    evaluations: dict[str, Evaluation] = field(default_factory=dict)


def resume_checkpoint(setting: str | bool | None, output_dir: Path) -> Path | None:
    """The checkpoint ``trainer.resume_from_checkpoint`` names: a folder, or ``true`` for the
    latest one of this run's folder (so give the earlier run's ``hydra.run.dir``)."""
    if setting is None or setting is False:
        return None
    if setting is True:
        from transformers.trainer_utils import get_last_checkpoint

        folder = output_dir / "checkpoints"
        last = get_last_checkpoint(str(folder)) if folder.is_dir() else None  # type: ignore[no-untyped-call]
        if last is None:
            raise ValueError(
                f"trainer.resume_from_checkpoint=true: no checkpoint in {folder} (name the "
                "earlier run's folder with hydra.run.dir, or the checkpoint itself)"
            )
        return Path(last)
    if not Path(setting).is_dir():
        raise FileNotFoundError(f"trainer.resume_from_checkpoint: {setting}: no such folder")
    return Path(setting)


def position_limit(config: Any, tokenizer: Any) -> int:
    """The longest window a model takes: its tokenizer's ``model_max_length`` where stated
    (512 for BERT and RoBERTa checkpoints alike), else the position table, less RoBERTa's
    offset (its positions start after the padding index)."""
    stated = getattr(tokenizer, "model_max_length", None)
    if isinstance(stated, int) and stated < 1_000_000:  # unset is a huge sentinel
        return stated
    table = int(getattr(config, "max_position_embeddings", 1_000_000))
    if "roberta" in getattr(config, "model_type", ""):
        table -= int(getattr(config, "pad_token_id", 0) or 0) + 1
    return table


def build_model_and_tokenizer(
    config: ModelConfig, schema: LabelSchema, texts: Sequence[str], seed: int
) -> tuple[Any, Any]:
    from araevent.modeling import build_tiny_model, load_model, load_tokenizer

    if config.name == "tiny":
        return build_tiny_model(
            texts,
            schema,
            vocab_size=config.tiny_vocab_size,
            hidden_size=config.tiny_hidden_size,
            layers=config.tiny_layers,
            heads=config.tiny_heads,
            seed=seed,
        )
    return load_model(config.name, schema), load_tokenizer(config.name)


@dataclass
class EncodedSplit:
    """A split's documents, their tokenization and windows, in the dataset's row order."""

    documents: list[Document]
    tokenized: list[TokenizedDocument]
    windows: list[Window]
    rows: list[dict[str, list[int]]]
    unseen_words: int = 0  # words the tokenizer gave no sub-token: the model never sees them
    unseen_in_spans: int = 0  # of those, words inside gold spans: labels it cannot learn


def encode_split(
    documents: Sequence[Document],
    tokenizer: FastTokenizer,
    schema: LabelSchema,
    config: EncodingConfig,
) -> EncodedSplit:
    tokenized = tokenize_documents(documents, tokenizer, config)
    all_windows: list[Window] = []
    rows = []
    unseen = unseen_in_spans = 0
    for i, doc in enumerate(tokenized):
        mask = doc.unseen
        if mask.any():  # rare: the tags are computed again only then
            unseen += int(mask.sum())
            unseen_in_spans += int((word_tags(doc, schema)[mask] != 0).sum())
        labels = subtoken_labels(doc, schema, config.label_alignment)
        for window in windows(doc, config, i):
            all_windows.append(window)
            row = window_features(doc, window, tokenizer, labels)
            rows.append({**row, "length": [len(row["input_ids"])]})
    return EncodedSplit(list(documents), tokenized, all_windows, rows, unseen, unseen_in_spans)


def decode_split(
    split: EncodedSplit, logits: np.ndarray, decoder: SpanDecoder, offset: int
) -> list[Document]:
    """Documents predicted from the eval loop's logits (rows in ``split.windows`` order)."""
    per_doc: list[list[tuple[int, int, np.ndarray]]] = [[] for _ in split.documents]
    for row, window in enumerate(split.windows):
        body = logits[row, offset : offset + window.end - window.start]
        per_doc[window.doc_index].append((window.start, window.end, body))
    return [
        decoder.decode_document(doc, tok, scored)
        for doc, tok, scored in zip(split.documents, split.tokenized, per_doc, strict=True)
    ]


def _dataset(split: EncodedSplit) -> Any:
    from datasets import Dataset

    rows = [{**row, "length": row["length"][0]} for row in split.rows]
    return Dataset.from_list(rows)


def run_training(
    data: DataConfig,
    model: ModelConfig,
    encoding: EncodingConfig,
    trainer: TrainerConfig,
    output_dir: str | Path,
    evaluation: EvaluationConfig | None = None,
) -> TrainResult:
    """Train, select the best checkpoint on dev span F1, save it, evaluate on dev and test.

    Each split's full evaluation (reports and predictions) is written to ``output_dir/<split>``.
    """
    import torch
    from transformers import (
        DataCollatorForTokenClassification,
        EarlyStoppingCallback,
        TrainingArguments,
        set_seed,
    )

    from araevent.inference import predict_documents
    from araevent.learning_curve import learning_curve_callback
    from araevent.torch_runner import resolve_device

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    schema = data.schema
    set_seed(trainer.seed)
    train_docs = data.load("train")
    dev_docs = data.load("dev")
    test_docs = data.load("test")
    if train_docs is None:
        raise ValueError("DataConfig.train is required")
    checkpoint = resume_checkpoint(trainer.resume_from_checkpoint, output_dir)
    # the tiny model's vocabulary is learnt from the training text: a resumed run takes the
    # checkpoint's, or its weights would meet other token ids
    source = replace(model, name=str(checkpoint)) if checkpoint and model.name == "tiny" else model
    normalizer = Normalizer(encoding.normalization) if encoding.normalization else None
    texts = [normalizer.normalize_str(d.text) if normalizer else d.text for d in train_docs]
    net, tokenizer = build_model_and_tokenizer(source, schema, texts, trainer.seed)
    positions = position_limit(net.config, tokenizer)
    if encoding.max_length > positions:
        raise ValueError(
            f"encoding.max_length={encoding.max_length} is more than the {positions} positions "
            f"of {model.name}: long documents are windowed, so a smaller value loses nothing"
        )
    if model.name != "tiny" and trainer.learning_rate > PRETRAINED_LEARNING_RATE:
        log.warning(
            "learning rate %g is high for fine-tuning a pretrained encoder (trainer=cpu's value "
            "suits the random tiny model); pretrained encoders usually take 1e-5 to 1e-4, "
            "e.g. trainer=gpu trainer.device=cpu or trainer.learning_rate=5e-5",
            trainer.learning_rate,
        )
    train_split = encode_split(train_docs, tokenizer, schema, encoding)
    dev_split = encode_split(dev_docs, tokenizer, schema, encoding) if dev_docs else None
    log.info("train: %d documents, %d windows", len(train_docs), len(train_split.rows))
    for name, split in (("train", train_split), ("dev", dev_split)):
        if split is not None and split.unseen_words:
            log.warning(
                "%s: %d words have no sub-token of their own (a symbol the tokenizer drops) "
                "and are always tagged O; %d of them are inside gold spans",
                name,
                split.unseen_words,
                split.unseen_in_spans,
            )

    device = resolve_device(trainer.device)
    bf16 = (
        (device.type == "cuda" and torch.cuda.is_bf16_supported())
        if trainer.bf16 == "auto"
        else bool(trainer.bf16)
    )
    report_to = ["tensorboard"] if trainer.tensorboard else "none"
    has_dev = dev_split is not None
    args = TrainingArguments(
        output_dir=str(output_dir / "checkpoints"),
        num_train_epochs=trainer.epochs,
        max_steps=trainer.max_steps,
        per_device_train_batch_size=trainer.batch_size,
        per_device_eval_batch_size=trainer.eval_batch_size,
        learning_rate=trainer.learning_rate,
        weight_decay=trainer.weight_decay,
        warmup_steps=trainer.warmup_ratio,
        lr_scheduler_type=trainer.scheduler,
        gradient_accumulation_steps=trainer.gradient_accumulation_steps,
        eval_strategy="epoch" if has_dev else "no",
        save_strategy="epoch",
        save_total_limit=trainer.save_total_limit,
        load_best_model_at_end=has_dev,
        metric_for_best_model="span_f1" if has_dev else None,
        greater_is_better=True,
        logging_steps=trainer.logging_steps,
        report_to=report_to,
        seed=trainer.seed,
        bf16=bf16,
        use_cpu=device.type == "cpu",
        train_sampling_strategy="group_by_length" if trainer.group_by_length else "random",
        length_column_name="length",
        dataloader_num_workers=trainer.dataloader_num_workers,
        disable_tqdm=not trainer.progress_bar,
    )
    decoder = SpanDecoder(schema)
    offset = 0 if tokenizer.cls_token_id is None else 1

    def compute_metrics(prediction: Any) -> dict[str, float]:
        assert dev_split is not None
        predicted = decode_split(dev_split, np.asarray(prediction.predictions), decoder, offset)
        scores = score_spans(dev_split.documents, predicted, schema.labels)
        return {
            "span_f1": scores.micro.f1,
            "span_precision": scores.micro.precision,
            "span_recall": scores.micro.recall,
        }

    curve = learning_curve_callback()
    callbacks = [curve]
    if has_dev and trainer.early_stopping_patience:
        callbacks.append(EarlyStoppingCallback(trainer.early_stopping_patience))
    hf_trainer = _sequential_eval_trainer()(
        model=net,
        args=args,
        data_collator=DataCollatorForTokenClassification(
            tokenizer, pad_to_multiple_of=8 if device.type == "cuda" else None
        ),
        train_dataset=_dataset(train_split),
        eval_dataset=_dataset(dev_split) if dev_split else None,
        processing_class=tokenizer,
        compute_metrics=compute_metrics if has_dev else None,
        callbacks=callbacks,
    )
    started = time.perf_counter()
    train_output = hf_trainer.train(
        resume_from_checkpoint=None if checkpoint is None else str(checkpoint)
    )
    elapsed = time.perf_counter() - started

    model_dir = output_dir / "model"
    hf_trainer.save_model(str(model_dir))  # writes on the main process only
    if not hf_trainer.is_world_process_zero():  # other ranks of a distributed run stop here
        return TrainResult(output_dir, model_dir)
    # the model folder holds safetensors and JSON only: no pickled training arguments
    (model_dir / "training_args.bin").unlink(missing_ok=True)
    (model_dir / "araevent.json").write_text(
        json.dumps(
            {
                "labels": list(schema.labels),
                "encoding": {k: v for k, v in asdict(encoding).items() if k != "normalization"},
                "normalization": asdict(encoding.normalization) if encoding.normalization else None,
                "training": {
                    "base_model": model.name,
                    "data": data.train,
                    "documents": len(train_docs),
                    "data_sha256": documents_digest(train_docs),
                },
            },
            indent=2,
        ),
        encoding="utf-8",
    )

    tokens_per_epoch = sum(len(row["input_ids"]) for row in train_split.rows)
    trained = curve.points[-1] if curve.points else None
    metrics: dict[str, Any] = {
        "train": {
            "seconds": elapsed,
            "documents": len(train_docs),
            "windows": len(train_split.rows),
            "tokens_per_epoch": tokens_per_epoch,
            # sub-tokens (padding excluded) per second of training, evaluation left out
            "tokens_per_second": (
                tokens_per_epoch * (trained["epoch"] - curve.start_epoch) / trained["train_seconds"]
                if trained and trained["train_seconds"] > 0
                else None
            ),
            "loss": train_output.training_loss,
            "steps": train_output.global_step,
            "processes": args.world_size,
            "history": curve.points,
            "peak_gpu_memory_bytes": (
                torch.cuda.max_memory_allocated(device) if device.type == "cuda" else None
            ),
        },
    }
    evaluations: dict[str, Evaluation] = {}
    for name, docs in (("dev", dev_docs), ("test", test_docs)):
        if docs:
            predicted = predict_documents(
                hf_trainer.model,
                tokenizer,
                list(docs),
                encoding,
                schema,
                batch_size=trainer.eval_batch_size,
                device=device,
            )
            result = evaluate_documents(
                list(docs),
                predicted,
                schema.labels,
                evaluation,
                meta={
                    "split": name,
                    "gold": str(getattr(data, name)),
                    "gold_loading": docs.report.summary(),
                    "model": model.name,
                },
            )
            metrics[name] = result.as_dict()
            evaluations[name] = result
            log.info("%s span scores\n%s", name, result.strict.table())
            result.write(output_dir / name, title=f"araevent evaluation: {name}")
    (output_dir / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    (output_dir / "report.md").write_text(
        _report(data, model, metrics, evaluations), encoding="utf-8"
    )
    export_model(model_dir, model_dir, metrics=metrics)  # adds the model card and figures
    return TrainResult(output_dir, model_dir, metrics, evaluations)


def _report(
    data: DataConfig,
    model: ModelConfig,
    metrics: dict[str, Any],
    evaluations: dict[str, Evaluation],
) -> str:
    train = metrics["train"]
    lines = [
        "# araevent training run",
        "",
        f"- model: `{model.name}`",
        f"- train: `{data.train}` ({train['documents']} documents, {train['windows']} windows)",
        f"- training time: {train['seconds']:.1f} s, {train['steps']} steps, "
        f"mean training loss {train['loss']:.4f}",
    ]
    if train["tokens_per_second"]:
        lines.append(f"- training speed: {train['tokens_per_second']:,.0f} sub-tokens/s")
    curve = [p for p in train["history"] if "span_f1" in p]
    if curve:
        lines.append(
            "- dev span F1 by epoch: "
            + ", ".join(f"{p['epoch']:g}: {p['span_f1']:.3f}" for p in curve)
        )
    for split, result in evaluations.items():
        lines += [
            "",
            f"## {split}: strict span scores (`{getattr(data, split)}`)",
            "",
            "```",
            result.strict.table(),
            "```",
            "",
            f"Full report: [{split}/report.md]({split}/report.md), "
            f"[{split}/report.html]({split}/report.html).",
        ]
    return "\n".join(lines) + "\n"


def _sequential_eval_trainer() -> type:
    """``Trainer`` whose eval batches keep dataset order.

    With ``train_sampling_strategy="group_by_length"`` transformers also length-groups (and so
    shuffles) evaluation batches; our metric maps each prediction row back to its window, so
    evaluation must stay sequential. This is the only behaviour we change.
    """
    from torch.utils.data import SequentialSampler
    from transformers import Trainer

    class SequentialEvalTrainer(Trainer):
        def _get_eval_sampler(self, eval_dataset: Any) -> Any:
            return None if eval_dataset is None else SequentialSampler(eval_dataset)

    return SequentialEvalTrainer
