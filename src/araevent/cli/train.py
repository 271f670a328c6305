"""``araevent train [overrides]``: the hydra entry point for fine-tuning.

The work is in :func:`train`, which takes a composed config and instantiates plain objects from
it; :func:`main` is only the ``@hydra.main`` wrapper. Tests compose the real configs and call
:func:`train` directly.
"""

from __future__ import annotations

import dataclasses
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
from omegaconf import DictConfig, OmegaConf

from araevent.cli.console import progress_wanted
from araevent.evaluation.compare import FAILED_RUN
from araevent.io.files import package_file
from araevent.modeling import ModelLoadError
from araevent.training import TrainingDiverged, TrainResult, run_training

log = logging.getLogger(__name__)
CONFIG_DIR = str(Path(__file__).resolve().parents[1] / "configs")
# ${araevent_data:sample/train.jsonl}: a file shipped in the package, wherever it is installed
OmegaConf.register_new_resolver("araevent_data", lambda name: str(package_file(name)), replace=True)
SHARED_HINT = "point at the shared folder with ARAEVENT_SHARED=/path/to/shared or shared=/path"


def train(cfg: DictConfig) -> TrainResult:
    trainer = _plain(cfg.trainer)
    if not progress_wanted(trainer.progress_bar):
        # in a log file the bar's updates garble the epoch rows
        trainer = dataclasses.replace(trainer, progress_bar=False)
    if not trainer.progress_bar:  # transformers' own bars too (loading, writing weights)
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    check_required(cfg)
    check_shared_paths(cfg)
    result = run_training(
        data=_plain(cfg.data),
        model=_plain(cfg.model),
        encoding=_plain(cfg.encoding),
        trainer=trainer,
        output_dir=cfg.output_dir,
        evaluation=_plain(cfg.evaluation),
    )
    for split in result.evaluations:  # their tables are in the log above
        print(f"{split} report: {result.output_dir / split / 'report.html'}")
    print(f"\nmodel:   {result.model_dir}")
    print(f"metrics: {result.output_dir / 'metrics.json'}")
    print(f"report:  {result.output_dir / 'report.md'}")
    return result


def check_required(cfg: DictConfig) -> None:
    """A setting a config leaves for the command line (``???``) is named in one line, not
    as omegaconf's traceback when it is first read."""
    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        raise ValueError(
            f"{', '.join(missing)} must be given on the command line ({missing[0]}=...)"
        )


def check_shared_paths(cfg: DictConfig) -> None:
    """A corpus or encoder expected under ``shared`` (``../shared`` unless set) that is not
    there is an error saying how to point at the shared folder, before anything is loaded."""
    shared = str(cfg.shared)
    settings = {f"data.{split}": cfg.data.get(split) for split in ("train", "dev", "test")}
    settings["model.name"] = cfg.model.name
    for i, corpus in enumerate(cfg.data.get("auxiliary") or ()):
        settings[f"data.auxiliary[{i}].path"] = corpus.get("path")
    if cfg.data.get("pseudo"):
        settings["data.pseudo.path"] = cfg.data.pseudo.get("path")
    for key, value in settings.items():
        if isinstance(value, str) and value.startswith(shared) and not Path(value).exists():
            where = "" if Path(shared).is_absolute() else f", read from {Path.cwd()}"
            raise FileNotFoundError(
                f"{key}: {value}: no such file or folder (shared={shared}{where}); {SHARED_HINT}"
            )


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
    be loaded, a bad value) end the run with that message on stderr instead of hydra's
    traceback (``HYDRA_FULL_ERROR=1`` gives the traceback back); a run that fails before
    training starts leaves no folder behind, a later failure keeps its ``train.log``. In a
    multirun the message goes to the run's ``error.txt`` and the other runs go on; the summary
    lists the failed runs and the command exits with 1."""
    Path(cfg.output_dir, FAILED_RUN).unlink(missing_ok=True)  # from an earlier try
    try:
        result = train(cfg)
    except (OSError, ValueError, ModelLoadError, TrainingDiverged) as exc:
        if os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        log.error("%s", exc)
        if HydraConfig.get().mode != RunMode.MULTIRUN:
            _remove_untrained_run(Path(cfg.output_dir))
            sys.exit(1)
        Path(cfg.output_dir, FAILED_RUN).write_text(f"{exc}\n", encoding="utf-8")
        return None
    dev = result.metrics.get("dev")
    return None if dev is None else float(dev["strict"]["micro"]["f1"])


def _remove_untrained_run(folder: Path) -> None:
    """A run that failed before training leaves nothing behind: only what hydra wrote for it
    (``.hydra/`` and the log) is removed, and the folder only if that leaves it empty, so a
    ``hydra.run.dir`` pointing at a folder with other files keeps them. A run that trained
    teachers before it failed keeps its log: theirs is in it."""
    if (folder / "checkpoints").exists() or (folder / "teachers").exists():
        return
    import shutil

    root = logging.getLogger()
    for handler in list(root.handlers):
        ours = isinstance(handler, logging.FileHandler)
        if ours and Path(handler.baseFilename).parent == folder.resolve():  # type: ignore[attr-defined]
            handler.close()
            root.removeHandler(handler)

    shutil.rmtree(folder / ".hydra", ignore_errors=True)
    (folder / "train.log").unlink(missing_ok=True)
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
