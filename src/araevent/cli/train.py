"""``araevent train [overrides]``: the hydra entry point for fine-tuning.

The work is in :func:`train`, which takes a composed config and instantiates plain objects from
it; :func:`main` is only the ``@hydra.main`` wrapper. Tests compose the real configs and call
:func:`train` directly.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import InstantiationException
from hydra.types import RunMode
from hydra.utils import instantiate
from omegaconf import DictConfig

from araevent.evaluation.compare import FAILED_RUN
from araevent.modeling import ModelLoadError
from araevent.training import TrainResult, run_training

log = logging.getLogger(__name__)
CONFIG_DIR = str(Path(__file__).resolve().parents[1] / "configs")


def train(cfg: DictConfig) -> TrainResult:
    if not cfg.trainer.progress_bar:  # transformers' own bars too (loading, writing weights)
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    result = run_training(
        data=_plain(cfg.data),
        model=_plain(cfg.model),
        encoding=_plain(cfg.encoding),
        trainer=_plain(cfg.trainer),
        output_dir=cfg.output_dir,
        evaluation=_plain(cfg.evaluation),
    )
    for split in result.evaluations:  # their tables are in the log above
        print(f"{split} report: {result.output_dir / split / 'report.html'}")
    print(f"\nmodel:   {result.model_dir}")
    print(f"metrics: {result.output_dir / 'metrics.json'}")
    print(f"report:  {result.output_dir / 'report.md'}")
    return result


def _plain(node: DictConfig) -> Any:
    """The node's object with plain lists and dicts inside, never omegaconf containers.

    A bad value is the object's own ValueError, not hydra's wrapper around it."""
    try:
        return instantiate(node, _convert_="all")
    except InstantiationException as exc:
        if isinstance(exc.__cause__, ValueError):
            raise exc.__cause__ from None
        raise


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="train")
def main(cfg: DictConfig) -> float | None:
    """Returns dev span F1 so that hydra sweepers can optimise it.

    Errors a user fixes from their message alone (a missing file, bad data, a model that cannot
    be loaded, a bad value) end the run with that message, logged to the run's ``train.log``,
    instead of hydra's traceback; ``HYDRA_FULL_ERROR=1`` gives the traceback back. In a
    multirun the message goes to the run's ``error.txt`` and the other runs go on; the summary
    lists the failed runs and the command exits with 1."""
    Path(cfg.output_dir, FAILED_RUN).unlink(missing_ok=True)  # from an earlier try
    try:
        result = train(cfg)
    except (OSError, ValueError, ModelLoadError) as exc:
        if os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        log.error("%s", exc)
        if HydraConfig.get().mode != RunMode.MULTIRUN:
            sys.exit(1)
        Path(cfg.output_dir, FAILED_RUN).write_text(f"{exc}\n", encoding="utf-8")
        return None
    dev = result.metrics.get("dev")
    return None if dev is None else float(dev["strict"]["micro"]["f1"])
