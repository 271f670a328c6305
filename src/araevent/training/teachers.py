"""Teachers trained by the student's own run, so that one command reproduces a distilled model.

Why: distillation needs its teacher first, and the best teacher measured is an ensemble of the
same recipe trained with other seeds. Left to the user, that is three runs and a list of
folders to copy into the student's command. With ``data.pseudo.teacher`` unset, the run trains
one teacher per seed of ``data.pseudo.teacher_seeds`` with its own recipe less the
pseudo-labelled text (the same data, auxiliary corpora and first fit, model, windows and
trainer), each into ``<output_dir>/teachers/seed-<S>`` with its own dev report, and the student
learns from their averaged probabilities.

Running the command again reuses each finished teacher, but only one trained with the same
recipe: the recipe is written beside it (``teacher.json``) and a teacher of another recipe is an
error, never a silent substitute. A teacher whose run was interrupted is trained again from the
start.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from araevent.features import EncodingConfig
from araevent.training.config import DataConfig, ModelConfig, TrainerConfig

log = logging.getLogger(__name__)

RECIPE_FILE = "teacher.json"
# Trainer settings that change how a run is watched or resumed, not what it learns.
RUN_SETTINGS = frozenset(
    {
        "seed",
        "resume_from_checkpoint",
        "progress_bar",
        "tensorboard",
        "logging_steps",
        "dataloader_num_workers",
        "save_total_limit",
        "eval_batch_size",
    }
)


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


def teacher_recipe(
    data: DataConfig, model: ModelConfig, encoding: EncodingConfig, trainer: TrainerConfig
) -> dict[str, Any]:
    """What a teacher of this run learns from, in JSON form: the run's settings less the
    pseudo-labelled text and the trainer's :data:`RUN_SETTINGS`."""
    settings = {k: v for k, v in asdict(trainer).items() if k not in RUN_SETTINGS}
    recipe = {
        "data": asdict(replace(data, pseudo=None)),
        "model": asdict(model),
        "encoding": asdict(encoding),
        "trainer": settings,
    }
    normal: dict[str, Any] = json.loads(json.dumps(recipe, default=str))
    return normal


def teacher_stage(
    data: DataConfig,
    model: ModelConfig,
    encoding: EncodingConfig,
    trainer: TrainerConfig,
    output_dir: Path,
    train: Callable[[DataConfig, TrainerConfig, Path], Any],
) -> tuple[DataConfig, list[Teacher]]:
    """``data`` with its teacher folders, and the teachers trained (or reused) for it.

    Unchanged when there is no pseudo-labelled text or its teacher is given. ``train`` runs
    one training (the caller's ``run_training`` with ``model``, ``encoding`` and its
    evaluation). Every teacher folder is checked before the first one trains."""
    pseudo = data.pseudo
    if pseudo is None or pseudo.teacher:
        return data, []
    recipe = teacher_recipe(data, model, encoding, trainer)
    folders = {seed: output_dir / "teachers" / f"seed-{seed}" for seed in pseudo.teacher_seeds}
    found = {seed: _finished(seed, folder, recipe) for seed, folder in folders.items()}
    pending = [seed for seed, teacher in found.items() if teacher is None]
    if pending and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise ValueError(
            f"data.pseudo.teacher is unset and the teachers of seeds {pending} are not trained: "
            "a distributed run cannot train them; run the command in one process first, or "
            "name trained model folders in data.pseudo.teacher=[...]"
        )
    teachers = []
    for i, (seed, folder) in enumerate(folders.items(), start=1):
        teacher = found[seed]
        if teacher is None:
            log.info("teacher %d of %d (seed %d): training into %s", i, len(folders), seed, folder)
            teacher = _train(seed, folder, data, trainer, train, recipe)
        else:
            log.info("teacher %d of %d (seed %d): reusing %s", i, len(folders), seed, folder)
        teachers.append(teacher)
    named = [str(t.model_dir) for t in teachers]
    return replace(data, pseudo=replace(pseudo, teacher=named)), teachers


def _train(
    seed: int,
    folder: Path,
    data: DataConfig,
    trainer: TrainerConfig,
    train: Callable[[DataConfig, TrainerConfig, Path], Any],
    recipe: dict[str, Any],
) -> Teacher:
    """Train one teacher from the start (an unfinished run's folder is cleared first)."""
    if folder.exists():
        log.info("teacher seed %d: %s holds an unfinished run; training it again", seed, folder)
        shutil.rmtree(folder)
    train(
        replace(data, pseudo=None), replace(trainer, seed=seed, resume_from_checkpoint=None), folder
    )
    gc.collect()  # the teacher's model and optimiser, before the next one is built
    _release_gpu_cache()
    (folder / RECIPE_FILE).write_text(
        json.dumps({"seed": seed, "recipe": recipe}, ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )
    teacher = _finished(seed, folder, recipe)
    if teacher is None:  # run_training writes the model and metrics, or raises
        raise RuntimeError(f"teacher seed {seed}: {folder} holds no finished run")
    return replace(teacher, reused=False)


def _finished(seed: int, folder: Path, recipe: dict[str, Any]) -> Teacher | None:
    """The teacher in ``folder`` if a run of ``recipe`` finished there; None if none did; an
    error if a run of another recipe did."""
    metrics_file, recipe_file = folder / "metrics.json", folder / RECIPE_FILE
    if not (folder / "model" / "config.json").is_file() or not metrics_file.is_file():
        return None
    if not recipe_file.is_file():
        return None  # the run ended before its recipe was written: trained again
    trained = json.loads(recipe_file.read_text(encoding="utf-8"))["recipe"]
    differ = _differences(trained, recipe)
    if differ:
        raise ValueError(
            f"{folder}: a teacher trained with another recipe ({', '.join(differ)} differ); "
            "remove that folder to train it again, or give the run another folder"
        )
    metrics = json.loads(metrics_file.read_text(encoding="utf-8"))
    dev = metrics.get("dev")
    return Teacher(
        seed=seed,
        folder=folder,
        dev_f1=None if dev is None else float(dev["strict"]["micro"]["f1"]),
        seconds=float(metrics["train"]["seconds"]),
        reused=True,
    )


def _differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    """The dotted settings whose values differ between two recipes."""
    if isinstance(old, dict) and isinstance(new, dict):
        keys = sorted(set(old) | set(new))
        return [d for k in keys for d in _differences(old.get(k), new.get(k), f"{prefix}{k}.")]
    return [] if old == new else [prefix.rstrip(".")]


def _release_gpu_cache() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
