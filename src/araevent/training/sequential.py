"""Sequential transfer: a first fit on the auxiliary corpora alone, then the main training.

Why a stage of its own: mixed into every epoch (the default), a corpus annotated under other
conventions pulls the model towards them until the last update (ANERcorp's LOC makes states
places where araevent-news makes a state that acts an ACTOR). Trained first, it teaches the
encoder and the ACTOR/PLACE rows of the head what Arabic names look like, and the main corpus,
trained last and alone, has the final word on the conventions. The first fit uses the
partial-label loss like the mixed recipe (rows carry their corpus's ``annotated`` mask) and
the corpora's own heads where they have them, keeps no checkpoint and picks none on dev: dev
is scored by the main fit, which follows with a fresh optimiser, warm-up and schedule.
"""

from __future__ import annotations

import gc
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from araevent.data.labels import LabelSchema
from araevent.training.config import DataConfig, TrainerConfig
from araevent.training.splits import uniform_columns
from araevent.training.trainer import fit

log = logging.getLogger(__name__)


def auxiliary_stage(
    data: DataConfig,
    net: Any,
    tokenizer: Any,
    rows: list[dict[str, Any]],
    schema: LabelSchema,
    trainer: TrainerConfig,
    output_dir: Path,
    *,
    resumed: bool,
) -> tuple[Any, list[dict[str, Any]], dict[str, Any] | None]:
    """The model the main fit starts from, the auxiliary rows it mixes in, and the cost of a
    first fit: unchanged unless ``data.auxiliary_first_epochs`` is set; then the auxiliary
    rows are fitted first (not again in a resumed run, whose checkpoint comes after it) and
    none are left for the main fit."""
    if data.auxiliary_first_epochs is None:
        return net, rows, None
    if resumed:
        return net, [], None
    net, cost = auxiliary_first(
        net, tokenizer, rows, schema, trainer, data.auxiliary_first_epochs, output_dir
    )
    return net, [], cost


def auxiliary_first(
    net: Any,
    tokenizer: Any,
    rows: list[dict[str, Any]],
    schema: LabelSchema,
    trainer: TrainerConfig,
    epochs: float,
    output_dir: Path,
) -> tuple[Any, dict[str, Any]]:
    """``net`` after ``epochs`` epochs on the auxiliary ``rows``, and what the fit cost.

    The optimisation settings are the main training's (learning rate, batch, warm-up share,
    precision, ``max_steps`` for smoke runs). Nothing is written: no checkpoint is kept or
    chosen, and the optimiser's state is freed before the main fit builds its own.
    """
    settings = replace(trainer, epochs=epochs, resume_from_checkpoint=None, tensorboard=False)
    log.info("auxiliary corpora first: %d windows an epoch, %g epochs", len(rows), epochs)
    rows = uniform_columns(rows, schema)  # corpora with and without a head of their own
    fitted = fit(net, tokenizer, rows, None, schema, settings, output_dir, None, save=False)
    cost = {
        "epochs": epochs,
        "windows": len(rows),
        "seconds": fitted.seconds,
        "steps": fitted.steps,
        "loss": fitted.loss,
    }
    fitted.trainer.accelerator.free_memory()
    model = fitted.model
    del fitted
    gc.collect()
    return model, cost
