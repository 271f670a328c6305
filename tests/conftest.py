"""Shared fixtures. Corpora under ``../shared/data`` are used when present and skipped when not."""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import settings

from araevent.export import export_model
from araevent.features import EncodingConfig
from araevent.io import load
from araevent.precision import resolve_dtype
from araevent.training import DataConfig, ModelConfig, TrainerConfig, TrainResult, run_training

# CI runs the property tests with a fixed seed (a red CI must be reproducible); locally they
# explore new examples on every run.
settings.register_profile("ci", derandomize=True, max_examples=200, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ARAEVENT_SHARED", REPO.parent / "shared"))
SAMPLE = REPO / "data" / "sample"

# What `dtype="auto"` computes in on this machine (bf16 where the CPU has it natively, else
# fp32), and how far a score may then move between batch shapes, thread counts or processes:
# the third decimal in bf16, far less in fp32. Spans, offsets and labels never move.
AUTO_PRECISION = str(resolve_dtype("auto", "cpu")[0]).removeprefix("torch.")
SCORE_NOISE = 1e-2 if AUTO_PRECISION == "bfloat16" else 1e-5


def load_script(name: str) -> ModuleType:
    """A module of ``scripts/`` (not a package), imported by path for its tests."""
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def shared_data() -> Path:
    folder = SHARED / "data"
    if not folder.is_dir():
        pytest.skip(f"shared corpora not found at {folder} (set ARAEVENT_SHARED)")
    return folder


def tiny_trainer(epochs: float) -> TrainerConfig:
    """The settings the tiny offline model learns with, quietly on CPU."""
    return TrainerConfig(
        epochs=epochs,
        learning_rate=3e-3,
        batch_size=8,
        device="cpu",
        progress_bar=False,
        tensorboard=False,
    )


def train_tiny(
    train: Path, out: Path, encoding: EncodingConfig, epochs: int, dev: Path | None = None
) -> TrainResult:
    """The tiny offline model trained quietly on CPU, as several tests need one."""
    return run_training(
        DataConfig(train=str(train), dev=str(dev) if dev else None),
        ModelConfig(),
        encoding,
        tiny_trainer(epochs),
        out,
    )


#: The sample's test documents as a corpus that marks ACTOR and PLACE only, as hydra hands it.
SAMPLE_AUXILIARY: dict[str, Any] = {
    "path": str(SAMPLE / "test.jsonl"),
    "annotates": ["ACTOR", "PLACE"],
    "label_map": "ACTOR=ACTOR,PLACE=PLACE,DATE=,TRIGGER=",
}


def auxiliary_data(auxiliary: dict[str, Any] | None = None, **options: Any) -> DataConfig:
    """Four sample training documents beside :data:`SAMPLE_AUXILIARY` (with ``auxiliary``'s
    settings), dev-scored."""
    return DataConfig(
        train=str(SAMPLE / "train.jsonl"),
        dev=str(SAMPLE / "dev.jsonl"),
        limit=4,
        auxiliary=[{**SAMPLE_AUXILIARY, **(auxiliary or {})}],
        **options,
    )


def train_with_auxiliary(data: DataConfig, out: Path) -> TrainResult:
    """The tiny model trained two epochs on ``data``."""
    return run_training(
        data, ModelConfig(), EncodingConfig(max_length=64, stride=16), tiny_trainer(2), out
    )


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    """One tiny model trained on the sample data (dev-selected), shared by the tests that
    predict, evaluate and export."""
    out = tmp_path_factory.mktemp("tiny-run")
    return train_tiny(
        SAMPLE / "train.jsonl",
        out,
        EncodingConfig(max_length=64, stride=16),
        15,
        SAMPLE / "dev.jsonl",
    )


@pytest.fixture(scope="session")
def exported(tiny_run: TrainResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny run exported with ONNX and int8 weights, shared by the export tests and the
    README's ONNX example."""
    out = tmp_path_factory.mktemp("export") / "model"
    return export_model(tiny_run.output_dir, out, onnx=True, quantize="int8")


def write(path: Path, content: str | bytes) -> Path:
    """Write a fixture file, bytes as they are and text as UTF-8 with no newline translation."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def model_copy(source: Path, dest: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of the model folder ``source`` whose ``araevent.json`` ``edit`` has changed."""
    shutil.copytree(source, dest)
    settings = json.loads((dest / "araevent.json").read_text(encoding="utf-8"))
    edit(settings)
    (dest / "araevent.json").write_text(json.dumps(settings), encoding="utf-8")
    return dest


def raw_text_file(path: Path, lines: list[str]) -> Path:
    """Unlabelled text as data.pseudo reads it: gzip, one paragraph a line."""
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    return path


def unlabelled_file(tmp_path: Path) -> Path:
    """Sentences of the sample's test split: Arabic news the run never sees labelled."""
    lines = [
        sentence.strip()
        for document in load(SAMPLE / "test.jsonl").documents
        for sentence in document.text.replace("\n", ".").split(".")
        if len(sentence.split()) >= 6
    ]
    return raw_text_file(tmp_path / "unlabelled.txt.gz", lines)
