"""Shared fixtures. Corpora under ``../shared/data`` are used when present and skipped when not."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from araevent.features import EncodingConfig
from araevent.training import DataConfig, ModelConfig, TrainerConfig, TrainResult, run_training

# CI runs the property tests with a fixed seed (a red CI must be reproducible); locally they
# explore new examples on every run.
settings.register_profile("ci", derandomize=True, max_examples=200, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ARAEVENT_SHARED", REPO.parent / "shared"))
SAMPLE = REPO / "data" / "sample"


@pytest.fixture
def shared_data() -> Path:
    folder = SHARED / "data"
    if not folder.is_dir():
        pytest.skip(f"shared corpora not found at {folder} (set ARAEVENT_SHARED)")
    return folder


def train_tiny(train: Path, out: Path, encoding: EncodingConfig, epochs: int) -> TrainResult:
    """The tiny offline model trained quietly on CPU, as several tests need one."""
    return run_training(
        DataConfig(train=str(train)),
        ModelConfig(),
        encoding,
        TrainerConfig(
            epochs=epochs,
            learning_rate=3e-3,
            batch_size=8,
            device="cpu",
            progress_bar=False,
            tensorboard=False,
        ),
        out,
    )


def write(path: Path, content: str | bytes) -> Path:
    """Write a fixture file, bytes as they are and text as UTF-8 with no newline translation."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path
