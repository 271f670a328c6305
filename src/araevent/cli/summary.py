"""The hydra callback that turns a multirun over models and datasets into one summary table."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from araevent.evaluation.compare import sweep_summary

log = logging.getLogger(__name__)


class MultirunSummary(Callback):
    """Writes ``summary.md`` in the sweep folder once every job of a multirun has finished."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        folder = Path(config.hydra.sweep.dir)
        summary = sweep_summary(folder)
        (folder / "summary.md").write_text(summary, encoding="utf-8")
        print(summary)
        log.info("summary written to %s", folder / "summary.md")
