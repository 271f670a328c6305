"""The hydra callback that turns a multirun over models and datasets into one summary table."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from araevent.evaluation.compare import failed_runs, sweep_summary

log = logging.getLogger(__name__)


class MultirunSummary(Callback):
    """Writes ``summary.md`` in the sweep folder once every job of a multirun has finished, and
    makes the command fail (exit status 1) if any run ended on an error."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        folder = Path(config.hydra.sweep.dir)
        summary = sweep_summary(folder)
        (folder / "summary.md").write_text(summary, encoding="utf-8")
        print(summary)
        log.info("summary written to %s", folder / "summary.md")
        failed = failed_runs(folder)
        if failed:
            log.error("%d of the sweep's runs failed: %s", len(failed), ", ".join(failed))
            sys.exit(1)
