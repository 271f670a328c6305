"""Teachers trained by the student's own run, so that one command reproduces a distilled model.

Why: distillation needs its teacher first, and the best teacher measured is an ensemble of the
same recipe trained with other seeds. Left to the user, that is three runs and a list of
folders to copy into the student's command. With ``data.pseudo.teacher`` unset, the run trains
one teacher per seed of ``data.pseudo.teacher_seeds`` with its own recipe less the
pseudo-labelled text (the same data, auxiliary corpora and first fit, model, windows and
trainer), each into ``<output_dir>/teachers/seed-<S>`` with its own dev report, and the student
learns from their averaged probabilities. A teacher folder that holds a finished run is reused,
so an interrupted run picks up where it stopped.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from araevent.training.config import DataConfig, TrainerConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Teacher:
    """A teacher run: its seed, folder, dev F1, training seconds, and whether this run found
    it already trained."""

    seed: int
    folder: Path
    dev_f1: float | None
    seconds: float
    reused: bool

    @property
    def model_dir(self) -> Path:
        return self.folder / "model"

    def as_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "model": str(self.model_dir),
            "dev_f1": self.dev_f1,
            "seconds": self.seconds,
            "reused": self.reused,
        }


def teacher_stage(
    data: DataConfig,
    trainer: TrainerConfig,
    output_dir: Path,
    train: Callable[[DataConfig, TrainerConfig, Path], Any],
) -> tuple[DataConfig, list[Teacher]]:
    """``data`` with its teacher folders, and the teachers trained (or reused) for it.

    Unchanged when there is no pseudo-labelled text or its teacher is given. ``train`` runs
    one training (the caller's ``run_training`` with its model, windows and evaluation)."""
    pseudo = data.pseudo
    if pseudo is None or pseudo.teacher:
        return data, []
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise ValueError(
            "data.pseudo.teacher is unset: a distributed run cannot train its teachers; "
            "train them first and name their model folders in data.pseudo.teacher=[...]"
        )
    recipe = replace(data, pseudo=None)
    teachers = []
    for i, seed in enumerate(pseudo.teacher_seeds, start=1):
        folder = output_dir / "teachers" / f"seed-{seed}"
        log.info("teacher %d of %d (seed %d): %s", i, len(pseudo.teacher_seeds), seed, folder)
        teacher = _finished(seed, folder)
        if teacher is None:
            train(recipe, replace(trainer, seed=seed, resume_from_checkpoint=None), folder)
            teacher = _finished(seed, folder, reused=False)
            if teacher is None:  # run_training writes both files, or raises
                raise RuntimeError(f"teacher seed {seed}: {folder} holds no finished run")
        else:
            log.info("teacher seed %d: reusing the finished run in %s", seed, folder)
        teachers.append(teacher)
    folders = [str(t.model_dir) for t in teachers]
    return replace(data, pseudo=replace(pseudo, teacher=folders)), teachers


def _finished(seed: int, folder: Path, reused: bool = True) -> Teacher | None:
    """The teacher in ``folder`` if a run finished there (its model saved and scored)."""
    metrics_file = folder / "metrics.json"
    if not (folder / "model" / "config.json").is_file() or not metrics_file.is_file():
        return None
    metrics = json.loads(metrics_file.read_text(encoding="utf-8"))
    dev = metrics.get("dev")
    return Teacher(
        seed=seed,
        folder=folder,
        dev_f1=None if dev is None else float(dev["strict"]["micro"]["f1"]),
        seconds=float(metrics["train"]["seconds"]),
        reused=reused,
    )
