"""``run_training``: a run as a short sequence of named stages.

Each stage is a function of its own module, testable alone; a recipe changes a config or adds
a stage here, never a branch inside one.
"""

from __future__ import annotations

from pathlib import Path

from araevent.evaluation.harness import EvaluationConfig
from araevent.export import export_model
from araevent.features import EncodingConfig
from araevent.training.config import DataConfig, ModelConfig, TrainerConfig
from araevent.training.heads import add_heads, own_head_count, remove_heads
from araevent.training.model import check_fit, resume_checkpoint, starting_model
from araevent.training.outputs import (
    TrainResult,
    evaluate_splits,
    save_model_folder,
    training_metrics,
    write_reports,
)
from araevent.training.pseudo import draw_unlabelled, pseudo_rows, with_teacher
from araevent.training.sequential import auxiliary_stage
from araevent.training.splits import (
    Corpora,
    auxiliary_rows,
    encode_splits,
    load_splits,
    training_rows,
)
from araevent.training.teachers import teacher_stage
from araevent.training.trainer import fit, leave_process_group


def run_training(
    data: DataConfig,
    model: ModelConfig,
    encoding: EncodingConfig,
    trainer: TrainerConfig,
    output_dir: str | Path,
    evaluation: EvaluationConfig | None = None,
) -> TrainResult:
    """Train, select the best checkpoint on dev span F1, save it, evaluate on dev and test.

    Every input is read and checked before the model is built, and nothing is written to
    ``output_dir`` before training starts. Each split's full evaluation (reports and
    predictions) is written to ``output_dir/<split>``.
    """
    corpora = load_splits(data)
    return _train_on(corpora, data, model, encoding, trainer, Path(output_dir), evaluation)


def _train_on(
    corpora: Corpora,
    data: DataConfig,
    model: ModelConfig,
    encoding: EncodingConfig,
    trainer: TrainerConfig,
    output_dir: Path,
    evaluation: EvaluationConfig | None,
) -> TrainResult:
    """:func:`run_training` on corpora already read: its teachers learn from the same
    documents, so they are read (and their loader report given) once."""
    from transformers import set_seed

    schema = data.schema
    drawn = draw_unlabelled(data.pseudo, corpora.texts(), trainer.seed)
    checkpoint = resume_checkpoint(trainer.resume_from_checkpoint, output_dir)

    def train_teacher(recipe: DataConfig, seeded: TrainerConfig, folder: Path) -> TrainResult:
        return _train_on(corpora, recipe, model, encoding, seeded, folder, evaluation)

    data, teachers = teacher_stage(data, model, encoding, trainer, output_dir, train_teacher)
    set_seed(trainer.seed)
    unlabelled = with_teacher(data.pseudo, drawn, trainer.device)
    texts = [d.text for d in corpora.train]
    net, tokenizer = starting_model(model, schema, encoding, texts, trainer.seed, checkpoint)
    check_fit(net, tokenizer, model, encoding, trainer)
    net = add_heads(net, own_head_count(data))
    train_split, dev_split = encode_splits(corpora, tokenizer, schema, encoding)
    extra = auxiliary_rows(
        corpora, tokenizer, schema, encoding, len(train_split.rows), trainer.seed
    )
    pseudo = pseudo_rows(unlabelled, tokenizer, schema, encoding)
    del unlabelled  # the teacher's weights are not needed while the student trains

    output_dir.mkdir(parents=True, exist_ok=True)
    net, extra, first = auxiliary_stage(
        data, net, tokenizer, extra, schema, trainer, output_dir, resumed=checkpoint is not None
    )
    rows = training_rows(train_split, [*extra, *pseudo], schema)
    fitted = fit(net, tokenizer, rows, dev_split, schema, trainer, output_dir, checkpoint)
    remove_heads(fitted.model)  # the exported model is the main model alone
    model_dir = output_dir / "model"
    written = save_model_folder(fitted, model_dir, data, model, encoding, corpora)
    leave_process_group()  # saving was the last step all processes of a distributed run share
    if not written:
        return TrainResult(output_dir, model_dir)  # another process of a distributed run
    metrics = {
        "train": training_metrics(fitted, train_split, rows, fitted.model.device, len(pseudo))
    }
    if first is not None:
        metrics["train"]["auxiliary_first"] = first
    if teachers:
        metrics["train"]["teachers"] = [teacher.as_dict() for teacher in teachers]
    evaluations = evaluate_splits(
        fitted, tokenizer, corpora, data, model, encoding, trainer, evaluation, output_dir
    )
    metrics.update({name: result.as_dict() for name, result in evaluations.items()})
    write_reports(output_dir, data, model, metrics, evaluations)
    export_model(model_dir, model_dir, metrics=metrics)  # adds the model card and figures
    return TrainResult(output_dir, model_dir, metrics, evaluations)
