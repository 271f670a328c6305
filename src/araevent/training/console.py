"""What a training run shows a person: one table row per epoch, and why and where it stopped.

The Hugging Face Trainer prints its raw log dicts (numbers as quoted strings) and ends silently
when early stopping fires, which looks like a crash; these callbacks replace that with a table
and a closing line, and :class:`BarOnly` keeps the progress bar without the dicts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("araevent.training")

HEADER = f"{'epoch':>5}  {'train loss':>10}  {'dev loss':>8}  {'dev span F1':>11}  best"
HEADER_WITHOUT_DEV = f"{'epoch':>5}  {'train loss':>10}"


@dataclass
class StopNote:
    """How training ended: after which epoch, whether early stopping ended it, which was kept."""

    last_epoch: float
    early: bool
    kept_epoch: float | None
    kept_f1: float | None
    patience: int | None

    def sentence(self) -> str:
        if self.early:
            said = (
                f"early stopping after epoch {self.last_epoch:g}: dev span F1 did not improve "
                f"for {self.patience} epochs"
            )
        else:
            said = f"trained all {self.last_epoch:g} epochs"
        if self.kept_epoch is None:
            return said + "; the last weights are kept (no dev split to choose by)"
        return f"{said}; kept epoch {self.kept_epoch:g} (dev span F1 {self.kept_f1:.4f})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "last_epoch": self.last_epoch,
            "early_stopping": self.early,
            "kept_epoch": self.kept_epoch,
            "kept_dev_span_f1": self.kept_f1,
            "patience": self.patience,
        }

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> StopNote:
        return cls(
            stored["last_epoch"],
            stored["early_stopping"],
            stored["kept_epoch"],
            stored["kept_dev_span_f1"],
            stored["patience"],
        )


def console_callbacks(
    patience: int | None, epoch_loss: Callable[[], float | None], has_dev: bool = True
) -> tuple[Any, Any]:
    """``(table, bar)``: the epoch table (its ``stop`` is set when training ends) and the
    progress bar that replaces transformers' own. ``epoch_loss`` gives the mean training loss
    of the epoch just ended. Without a dev split a row is shown when each epoch ends (its
    training loss alone), so that a long run without a progress bar is not silent until it
    finishes. Defined on call: importing this module does not import transformers."""
    from transformers import ProgressCallback, TrainerCallback

    class EpochTable(TrainerCallback):
        def __init__(self) -> None:
            self.best: float | None = None
            self.best_epoch: float | None = None
            self.stop: StopNote | None = None
            self._header_shown = False
            self._pending_loss: float | None = None

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            # A resumed run's state holds the evaluations before its checkpoint; the Trainer
            # keeps the best of all of them, so the table must start from them too.
            for entry in state.log_history:
                if "eval_span_f1" in entry:
                    self._track(float(entry["eval_span_f1"]), float(entry.get("epoch") or 0))

        def _track(self, f1: float, epoch: float) -> None:
            if self.best is None or f1 > self.best:
                self.best, self.best_epoch = f1, epoch

        def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self._pending_loss = epoch_loss()
            if has_dev or not state.is_world_process_zero:
                return  # the row waits for the epoch's dev scores
            if not self._header_shown:
                log.info("%s", HEADER_WITHOUT_DEV)
                self._header_shown = True
            loss = "-" if self._pending_loss is None else f"{self._pending_loss:.4f}"
            log.info("%5g  %10s", float(state.epoch or 0), loss)

        def on_evaluate(
            self,
            args: Any,
            state: Any,
            control: Any,
            metrics: dict[str, Any] | None = None,
            **kwargs: Any,
        ) -> None:
            if not metrics or not state.is_world_process_zero:
                return
            f1 = float(metrics.get("eval_span_f1", float("nan")))
            self._track(f1, float(state.epoch or 0))
            if not self._header_shown:
                log.info("%s", HEADER)
                self._header_shown = True
            log.info(
                "%5g  %10s  %8.4f  %11.4f  %.4f%s",
                float(state.epoch or 0),
                "-" if self._pending_loss is None else f"{self._pending_loss:.4f}",
                float(metrics.get("eval_loss", float("nan"))),
                f1,
                self.best,
                "  *" if self.best_epoch == float(state.epoch or 0) else "",
            )

        def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            early = bool(patience) and state.global_step < state.max_steps
            self.stop = StopNote(
                last_epoch=float(state.epoch or 0),
                early=early,
                kept_epoch=self.best_epoch,
                kept_f1=self.best,
                patience=patience,
            )
            if state.is_world_process_zero:
                log.info("%s", self.stop.sentence())

    class BarOnly(ProgressCallback):
        """transformers' training bar without the log dicts and the per-evaluation bar."""

        def on_log(self, *args: Any, **kwargs: Any) -> None:
            return None

        def on_prediction_step(self, *args: Any, **kwargs: Any) -> None:
            return None

        def on_evaluate(self, *args: Any, **kwargs: Any) -> None:
            return None

    return EpochTable(), BarOnly()
