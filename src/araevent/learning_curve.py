"""The learning curve of a training run: time spent training and the dev scores, per epoch.

Why: whether more epochs, a larger batch or another setup pays off is read from dev F1 against
training time, and training speed is only comparable when evaluation and checkpointing are left
out of it. The Hugging Face Trainer reports neither (its runtime includes every evaluation), so a
callback keeps a clock that runs only between the start and the end of each epoch.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

CurvePoint = dict[str, float]


def learning_curve_callback() -> Any:
    """A ``TrainerCallback`` whose ``points`` list grows by one entry per epoch.

    ``start_epoch`` is where training began (not 0 when resumed from a checkpoint).

    Each point has ``epoch``, ``step``, ``train_seconds`` (cumulative, training only),
    ``seconds`` (wall time since training started) and the epoch's evaluation metrics without
    their ``eval_`` prefix (``span_f1`` for araevent's own loop), the loss on dev as
    ``dev_loss``. Defined on call so that
    importing this module does not import transformers.
    """
    import torch
    from transformers import TrainerCallback

    def sync() -> None:  # CUDA runs ahead of Python: read the clock when the GPU is done
        if torch.cuda.is_initialized():  # type: ignore[no-untyped-call]
            torch.cuda.synchronize()

    class LearningCurve(TrainerCallback):
        def __init__(self) -> None:
            self.points: list[CurvePoint] = []
            self.start_epoch = 0.0
            self._started = 0.0
            self._epoch_started = 0.0
            self._trained = 0.0

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            sync()
            self.start_epoch = float(state.epoch or 0.0)
            self._started = time.perf_counter()

        def on_epoch_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            sync()
            self._epoch_started = time.perf_counter()

        def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            sync()
            now = time.perf_counter()
            self._trained += now - self._epoch_started
            self.points.append(
                {
                    "epoch": float(state.epoch or 0.0),
                    "step": float(state.global_step),
                    "train_seconds": self._trained,
                    "seconds": now - self._started,
                }
            )

        def on_evaluate(
            self,
            args: Any,
            state: Any,
            control: Any,
            metrics: dict[str, Any] | None = None,
            **kwargs: Any,
        ) -> None:
            if not self.points or not metrics:
                return
            self.points[-1].update(
                {
                    ("dev_loss" if key == "eval_loss" else key.removeprefix("eval_")): float(value)
                    for key, value in metrics.items()
                    if isinstance(value, int | float) and key != "epoch"
                }
            )

    return LearningCurve()


def first_reaching(points: Sequence[CurvePoint], key: str, target: float) -> CurvePoint | None:
    """The first point whose ``key`` is at least ``target`` (None if the run never got there)."""
    return next((p for p in points if p.get(key, float("-inf")) >= target), None)
