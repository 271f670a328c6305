"""The Hugging Face ``Trainer`` wired for span tagging: what is always true of an araevent run
lives here, so a recipe only changes data, model or settings.

Always true: checkpoints are chosen on strict span F1 over dev *documents*, decoded the way the
predictor decodes; evaluation batches keep dataset order (each prediction row maps back to its
window); the console shows an epoch table instead of raw log dicts.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from araevent.data.labels import LabelSchema
from araevent.decoding import SpanDecoder
from araevent.evaluation.spans import score_spans
from araevent.training.config import TrainerConfig
from araevent.training.console import StopNote, console_callbacks
from araevent.training.heads import routed_forward
from araevent.training.losses import consistency_loss, mixed_loss
from araevent.training.splits import EncodedSplit, decode_split, to_dataset

log = logging.getLogger("araevent.training")


class TrainingDiverged(ArithmeticError):
    """The loss stopped being a number: the weights are lost, and more epochs cannot bring
    them back, so the run stops instead of exporting a model that tags nothing."""

    def __init__(self, what: str, value: float, epoch: float, learning_rate: float) -> None:
        super().__init__(
            f"training diverged: the {what} is {value} after epoch {epoch:g}, so the weights are "
            f"no longer numbers; lower trainer.learning_rate (now {learning_rate:g})"
        )


def check_finite(what: str, value: float | None, epoch: float, learning_rate: float) -> None:
    """Raise :class:`TrainingDiverged` when ``value`` (a mean loss) is nan or infinite."""
    if value is not None and not math.isfinite(value):
        raise TrainingDiverged(what, value, epoch, learning_rate)


@dataclass
class Fitted:
    """A finished ``Trainer`` (best checkpoint loaded) and what the run learnt about itself."""

    trainer: Any
    seconds: float
    loss: float
    steps: int
    curve: Any
    stop: StopNote | None
    bf16: bool

    @property
    def model(self) -> Any:
        return self.trainer.model

    def tokens_per_second(self, tokens_per_epoch: int) -> float | None:
        """Sub-tokens (padding excluded) per second of training, evaluation left out."""
        points = self.curve.points
        if not points or points[-1]["train_seconds"] <= 0:
            return None
        epochs = points[-1]["epoch"] - self.curve.start_epoch
        return float(tokens_per_epoch * epochs / points[-1]["train_seconds"])


def use_bf16(setting: bool | str, device: Any) -> tuple[bool, str]:
    """Whether to train in bf16, and why: ``auto`` asks the hardware."""
    if setting != "auto":
        return bool(setting), f"trainer.bf16={str(setting).lower()}"
    from araevent.precision import bf16_choice

    return bf16_choice(device)


def training_arguments(
    trainer: TrainerConfig,
    output_dir: Path,
    has_dev: bool,
    bf16: bool,
    cpu: bool,
    save: bool = True,
) -> Any:
    from transformers import TrainingArguments

    return TrainingArguments(
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
        save_strategy="epoch" if save else "no",
        save_total_limit=trainer.save_total_limit,
        load_best_model_at_end=has_dev,
        metric_for_best_model="span_f1" if has_dev else None,
        greater_is_better=True,
        logging_steps=trainer.logging_steps,
        report_to=["tensorboard"] if trainer.tensorboard else "none",
        seed=trainer.seed,
        bf16=bf16,
        use_cpu=cpu,
        train_sampling_strategy="group_by_length" if trainer.group_by_length else "random",
        length_column_name="length",
        dataloader_num_workers=trainer.dataloader_num_workers,
        disable_tqdm=not trainer.progress_bar,
    )


def span_metric(dev: EncodedSplit, schema: LabelSchema, offset: int) -> Any:
    """The ``compute_metrics`` that picks checkpoints: strict span scores of dev documents."""
    decoder = SpanDecoder(schema)

    def compute_metrics(prediction: Any) -> dict[str, float]:
        predicted = decode_split(dev, np.asarray(prediction.predictions), decoder, offset)
        scores = score_spans(dev.documents, predicted, schema.labels)
        return {
            "span_f1": scores.micro.f1,
            "span_precision": scores.micro.precision,
            "span_recall": scores.micro.recall,
        }

    return compute_metrics


def fit(
    net: Any,
    tokenizer: Any,
    train: Sequence[dict[str, Any]],
    dev: EncodedSplit | None,
    schema: LabelSchema,
    settings: TrainerConfig,
    output_dir: Path,
    checkpoint: Path | None,
    save: bool = True,
) -> Fitted:
    """Train ``net`` on the rows of ``train`` (windows; rows with an ``annotated`` mask,
    ``soft`` targets or a ``weight`` are trained with :func:`~araevent.training.losses.
    mixed_loss`); with a dev split, keep the checkpoint of best dev span F1. ``save=False``
    writes no checkpoint (a fit whose weights go on in memory)."""
    from transformers import DataCollatorForTokenClassification, EarlyStoppingCallback

    from araevent.allocator import keep_freed_memory
    from araevent.learning_curve import learning_curve_callback
    from araevent.modeling import quiet_transformers
    from araevent.torch_runner import resolve_device

    device = resolve_device(settings.device)
    if device.type == "cpu":
        keep_freed_memory()
    bf16, why = use_bf16(settings.bf16, device)
    log.info("precision: %s (%s)", "bf16" if bf16 else "fp32", why)
    args = training_arguments(
        settings, output_dir, dev is not None, bf16, device.type == "cpu", save
    )
    patience = settings.early_stopping_patience if dev is not None else None
    trainer_class = span_trainer_class()
    curve = learning_curve_callback()
    table, bar = console_callbacks(
        patience, lambda: hf_trainer.take_epoch_loss(), has_dev=dev is not None
    )
    callbacks = [curve, table] + ([EarlyStoppingCallback(patience)] if patience else [])
    hf_trainer = trainer_class(
        model=net,
        args=args,
        data_collator=SoftTargetCollator(
            DataCollatorForTokenClassification(
                tokenizer, pad_to_multiple_of=8 if device.type == "cuda" else None
            ),
            schema.num_tags,
        ),
        train_dataset=to_dataset(train),
        eval_dataset=to_dataset(dev.rows) if dev else None,
        processing_class=tokenizer,
        compute_metrics=(
            span_metric(dev, schema, 0 if tokenizer.cls_token_id is None else 1) if dev else None
        ),
        callbacks=callbacks,
    )
    hf_trainer.replace_console(bar)
    hf_trainer.consistency = settings.consistency
    started = time.perf_counter()
    with quiet_transformers():  # no "Writing model shards" bar or checkpoint chatter per epoch
        output = hf_trainer.train(
            resume_from_checkpoint=None if checkpoint is None else str(checkpoint)
        )
    return Fitted(
        hf_trainer,
        time.perf_counter() - started,
        output.training_loss,
        output.global_step,
        curve,
        table.stop,
        bf16,
    )


class SoftTargetCollator:
    """Pads the ``soft`` target rows (``[length, tags]``, or empty on gold rows) to the
    batch's width beside what the token-classification collator pads."""

    def __init__(self, base: Any, num_tags: int) -> None:
        self.base = base
        self.num_tags = num_tags

    def __call__(self, features: list[dict[str, Any]]) -> Any:
        import torch

        if not features or "soft" not in features[0]:
            return self.base(features)
        soft = [f["soft"] for f in features]
        batch = self.base([{k: v for k, v in f.items() if k != "soft"} for f in features])
        padded = torch.zeros(len(soft), batch["input_ids"].shape[1], self.num_tags)
        for row, targets in enumerate(soft):
            if len(targets):
                padded[row, : len(targets)] = torch.as_tensor(targets)
        batch["soft"] = padded
        return batch


# the columns mixed_loss (and, for ``head``, routed_forward) read beside the model's inputs
LOSS_COLUMNS = ("annotated", "soft", "weight", "head")


def leave_process_group() -> None:
    """End this process's part in a distributed run once no collective operation is left.

    Why: the first process goes on to score and write while the others stop; a gloo group left
    for the interpreter's exit to tear down aborted a process now and then ("terminate called
    without an active exception", SIGABRT), failing the whole ``torchrun`` command after a
    good run. Nothing to do outside a distributed run."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def span_trainer_class() -> type:
    """``Trainer`` with four changes: evaluation batches keep dataset order, rows that are
    not plain gold (a corpus that annotates only some labels, teacher targets, weights) are
    trained with :func:`~araevent.training.losses.mixed_loss`, the mean training loss of
    each epoch is kept for the console table, and a training or dev loss that is not a number
    stops the run (:class:`TrainingDiverged`; transformers itself only leaves such losses out
    of the mean it reports).

    With ``train_sampling_strategy="group_by_length"`` transformers also length-groups (and so
    shuffles) evaluation batches; our metric maps each prediction row back to its window, so
    evaluation must stay sequential.
    """
    import torch
    from torch.utils.data import SequentialSampler
    from transformers import PrinterCallback, ProgressCallback, Trainer

    class SpanTrainer(Trainer):
        _loss_sum: Any = None
        _loss_batches = 0
        consistency = 0.0

        def _get_eval_sampler(self, eval_dataset: Any) -> Any:
            return None if eval_dataset is None else SequentialSampler(eval_dataset)

        def _set_signature_columns_if_needed(self) -> None:
            super()._set_signature_columns_if_needed()  # the model's inputs, and ours:
            columns = self._signature_columns
            if columns is not None:
                columns.extend(c for c in LOSS_COLUMNS if c not in columns)

        def _mixed_loss(self, model: Any, inputs: Any, return_outputs: bool) -> Any:
            extra = {c: inputs.pop(c) for c in LOSS_COLUMNS if c in inputs}
            labels = inputs.pop("labels")
            head = extra.pop("head", None)
            outputs = model(**inputs) if head is None else routed_forward(model, inputs, head)
            loss = mixed_loss(outputs.logits, labels, **extra)
            return (loss, outputs) if return_outputs else loss

        def _consistent_loss(self, model: Any, inputs: Any) -> Any:
            """The batch twice in one forward pass (each row gets its own dropout): the mean
            loss of both copies plus ``consistency`` times their disagreement."""
            doubled = {k: torch.cat([v, v]) for k, v in inputs.items()}
            labels = inputs["labels"]
            loss, outputs = self._mixed_loss(model, doubled, return_outputs=True)
            first, second = outputs.logits.chunk(2)
            return loss + self.consistency * consistency_loss(first, second, labels)

        def compute_loss(
            self,
            model: Any,
            inputs: Any,
            return_outputs: bool = False,
            num_items_in_batch: Any = None,
        ) -> Any:
            # With the batch's token count the model divides by the whole accumulated batch,
            # and the Trainer then leaves the loss as it is; otherwise each micro-batch is a
            # mean of its own, which the Trainer divides by the accumulation steps.
            scaled = self.model_accepts_loss_kwargs and num_items_in_batch is not None
            if self.consistency and model.training:
                result = self._consistent_loss(model, inputs)
                if scaled:
                    result = _divided(result, self._accumulation_steps())
            elif any(c in inputs for c in LOSS_COLUMNS):
                result = self._mixed_loss(model, inputs, return_outputs)
                if scaled and model.training:  # a micro-batch mean the Trainer will not divide
                    result = _divided(result, self._accumulation_steps())
            else:
                result = super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            if model.training:  # a tensor sum: no device sync per step
                loss = (result[0] if isinstance(result, tuple) else result).detach().float()
                if not scaled:
                    loss = loss / self.args.gradient_accumulation_steps
                self._loss_sum = loss if self._loss_sum is None else self._loss_sum + loss
                self._loss_batches += 1
            return result

        def _accumulation_steps(self) -> int:
            """This step's accumulation count (the last of an epoch may be shorter)."""
            steps = getattr(self, "current_gradient_accumulation_steps", None)
            return int(steps or self.args.gradient_accumulation_steps)

        def take_epoch_loss(self) -> float | None:
            """The mean loss per optimiser step since the last call (None if none ran)."""
            if not self._loss_batches:
                return None
            steps = self._loss_batches / self.args.gradient_accumulation_steps
            mean = float(torch.as_tensor(self._loss_sum).item()) / steps
            self._loss_sum, self._loss_batches = None, 0
            self._check_finite("training loss", mean)
            return mean

        def evaluate(self, *args: Any, **kwargs: Any) -> dict[str, float]:
            metrics: dict[str, float] = super().evaluate(*args, **kwargs)
            self._check_finite("dev loss", metrics.get("eval_loss"))
            return metrics

        def _check_finite(self, what: str, value: float | None) -> None:
            check_finite(what, value, float(self.state.epoch or 0), self.args.learning_rate)

        def replace_console(self, bar: Any) -> None:
            """transformers' log printing out, araevent's bar in (when bars are on)."""
            self.remove_callback(PrinterCallback)
            if self.pop_callback(ProgressCallback) is not None:
                self.add_callback(bar)

    return SpanTrainer


def _divided(result: Any, steps: int) -> Any:
    """``compute_loss``'s result (a loss, or the loss and outputs) with the loss divided."""
    if isinstance(result, tuple):
        return (result[0] / steps, *result[1:])
    return result / steps
