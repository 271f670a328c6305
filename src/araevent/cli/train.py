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
from hydra.utils import instantiate
from omegaconf import DictConfig

from araevent.modeling import ModelLoadError
from araevent.training import TrainResult, run_training

log = logging.getLogger(__name__)
CONFIG_DIR = str(Path(__file__).resolve().parents[1] / "configs")


def train(cfg: DictConfig) -> TrainResult:
    result = run_training(
        data=_plain(cfg.data),
        model=_plain(cfg.model),
        encoding=_plain(cfg.encoding),
        trainer=_plain(cfg.trainer),
        output_dir=cfg.output_dir,
        evaluation=_plain(cfg.evaluation),
    )
    for split, evaluation in result.evaluations.items():
        print(f"\n{split} (strict span scores)\n{evaluation.strict.table()}")
        print(f"report:  {result.output_dir / split / 'report.html'}")
    print(f"\nmodel:   {result.model_dir}")
    print(f"metrics: {result.output_dir / 'metrics.json'}")
    print(f"report:  {result.output_dir / 'report.md'}")
    return result


def _plain(node: DictConfig) -> Any:
    """The node's object with plain lists and dicts inside, never omegaconf containers."""
    return instantiate(node, _convert_="all")


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="train")
def main(cfg: DictConfig) -> float | None:
    """Returns dev span F1 so that hydra sweepers can optimise it.

    Errors a user fixes from their message alone (a missing file, bad data, a model that cannot
    be loaded, a bad value) end the run with that message, logged to the run's ``train.log``,
    instead of hydra's traceback; ``HYDRA_FULL_ERROR=1`` gives the traceback back."""
    try:
        result = train(cfg)
    except (OSError, ValueError, ModelLoadError) as exc:
        if os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        log.error("%s", exc)
        sys.exit(1)
    dev = result.metrics.get("dev")
    return None if dev is None else float(dev["strict"]["micro"]["f1"])
