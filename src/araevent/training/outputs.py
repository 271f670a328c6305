"""What a run leaves behind: the model folder, ``metrics.json``, ``report.md`` and a full
evaluation of each split, all scored through the same prediction path users import."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from araevent.data.document import documents_digest
from araevent.data.labels import LabelSchema
from araevent.evaluation.harness import Evaluation, EvaluationConfig, evaluate_documents
from araevent.features import EncodingConfig
from araevent.training.config import DataConfig, ModelConfig, TrainerConfig
from araevent.training.console import StopNote
from araevent.training.splits import Corpora, EncodedSplit
from araevent.training.trainer import Fitted

log = logging.getLogger("araevent.training")


@dataclass
class TrainResult:
    output_dir: Path
    model_dir: Path
    metrics: dict[str, Any] = field(default_factory=dict)
    evaluations: dict[str, Evaluation] = field(default_factory=dict)


def save_model_folder(
    fitted: Fitted,
    model_dir: Path,
    data: DataConfig,
    model: ModelConfig,
    encoding: EncodingConfig,
    corpora: Corpora,
) -> bool:
    """Weights, config, tokenizer and ``araevent.json``; False on the non-first processes of a
    distributed run, which write nothing and stop there."""
    from araevent.modeling import quiet_transformers

    with quiet_transformers():
        fitted.trainer.save_model(str(model_dir))  # writes on the main process only
    if not fitted.trainer.is_world_process_zero():
        return False
    # the model folder holds safetensors and JSON only: no pickled training arguments
    (model_dir / "training_args.bin").unlink(missing_ok=True)
    settings = {
        "labels": list(data.schema.labels),
        "encoding": {k: v for k, v in asdict(encoding).items() if k != "normalization"},
        "normalization": asdict(encoding.normalization) if encoding.normalization else None,
        "training": {
            "base_model": model.name,
            "data": data.train,
            "documents": len(corpora.train),
            "data_sha256": documents_digest(corpora.train),
        },
    }
    (model_dir / "araevent.json").write_text(json.dumps(settings, indent=2), encoding="utf-8")
    return True


def training_metrics(
    fitted: Fitted,
    train: EncodedSplit,
    rows: Sequence[dict[str, Any]],
    device: Any,
    pseudo_windows: int = 0,
) -> dict[str, Any]:
    """Speed and cost of the fit; ``rows`` are an epoch's windows (auxiliary and
    ``pseudo_windows`` pseudo-labelled ones included)."""
    import torch

    tokens = sum(len(row["input_ids"]) for row in rows)
    return {
        "seconds": fitted.seconds,
        "documents": len(train.documents),
        "windows": len(train.rows),
        "auxiliary_windows": len(rows) - len(train.rows) - pseudo_windows,
        "pseudo_windows": pseudo_windows,
        "tokens_per_epoch": tokens,
        "tokens_per_second": fitted.tokens_per_second(tokens),
        "loss": fitted.loss,
        "steps": fitted.steps,
        "processes": fitted.trainer.args.world_size,
        "bf16": fitted.bf16,
        "stopped": fitted.stop.as_dict() if fitted.stop else None,
        "history": fitted.curve.points,
        "peak_gpu_memory_bytes": (
            torch.cuda.max_memory_allocated(device) if device.type == "cuda" else None
        ),
    }


def evaluate_splits(
    fitted: Fitted,
    tokenizer: Any,
    corpora: Corpora,
    data: DataConfig,
    model: ModelConfig,
    encoding: EncodingConfig,
    trainer: TrainerConfig,
    evaluation: EvaluationConfig | None,
    output_dir: Path,
) -> dict[str, Evaluation]:
    """Each split predicted as users predict, scored, and written to ``output_dir/<split>``.

    Where ``dtype="auto"`` chooses bf16, a copy of the model predicts, its weights cast once as
    the Predictor casts them (the figures are then those ``araevent evaluate`` gives for the
    saved model), while the trained model keeps its fp32 weights; in fp32 nothing is cast and
    the model itself predicts."""
    import torch

    from araevent.inference import predict_documents
    from araevent.precision import resolve_dtype

    schema: LabelSchema = data.schema
    bf16 = resolve_dtype("auto", fitted.model.device)[0] == torch.bfloat16
    predictor_model = copy.deepcopy(fitted.model) if bf16 else fitted.model
    results = {}
    for name, docs in corpora.evaluated():
        predicted = predict_documents(
            predictor_model,
            tokenizer,
            list(docs),
            encoding,
            schema,
            batch_size=trainer.eval_batch_size,
            device=fitted.model.device,
            own_weights=True,
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
        results[name] = result
        log.info("%s span scores\n%s", name, result.strict.table())
        result.write(output_dir / name, title=f"araevent evaluation: {name}")
    return results


def write_reports(
    output_dir: Path,
    data: DataConfig,
    model: ModelConfig,
    metrics: dict[str, Any],
    evaluations: dict[str, Evaluation],
) -> None:
    (output_dir / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    (output_dir / "report.md").write_text(
        report(data, model, metrics, evaluations), encoding="utf-8"
    )


def report(
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
        *(f"- auxiliary: `{a.path}` (annotates {', '.join(a.annotates)})" for a in data.auxiliary),
        *(
            [
                f"- pseudo-labelled: `{data.pseudo.path}` ({train['pseudo_windows']} windows, "
                f"{data.pseudo.targets} targets from {', '.join(data.pseudo.teacher or ())})"
            ]
            if data.pseudo
            else []
        ),
        f"- training time: {train['seconds']:.1f} s, {train['steps']} steps, "
        f"mean training loss {train['loss']:.4f}, {'bf16' if train['bf16'] else 'fp32'}",
    ]
    if train["tokens_per_second"]:
        lines.append(f"- training speed: {train['tokens_per_second']:,.0f} sub-tokens/s")
    curve = [p for p in train["history"] if "span_f1" in p]
    if curve:
        lines.append(
            "- dev span F1 by epoch: "
            + ", ".join(f"{p['epoch']:g}: {p['span_f1']:.3f}" for p in curve)
        )
    if train.get("stopped"):
        lines.append(f"- {StopNote.from_dict(train['stopped']).sentence()}")
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
