"""R-Drop (``trainer.consistency``): two dropout passes of each batch trained to agree."""

import math
from pathlib import Path

import pytest
import torch

from araevent.features import IGNORE_INDEX, EncodingConfig
from araevent.training import DataConfig, ModelConfig, TrainResult, run_training
from araevent.training.losses import consistency_loss
from tests.conftest import SAMPLE, tiny_trainer

NO_DROPOUT = {"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}


def _run(out: Path, consistency: float) -> TrainResult:
    trainer = tiny_trainer(2)
    trainer.consistency = consistency
    return run_training(
        DataConfig(train=str(SAMPLE / "train.jsonl"), limit=8),
        ModelConfig(config_overrides=NO_DROPOUT),
        EncodingConfig(max_length=64, stride=16),
        trainer,
        out,
    )


def test_the_consistency_loss_is_the_halved_symmetric_kl_over_trained_tokens() -> None:
    """By hand: p = (1/2, 1/2) and q = (3/4, 1/4) on the one trained token; the ignored token's
    disagreement does not count."""
    first = torch.tensor([[[0.0, 0.0], [5.0, 0.0]]])
    second = torch.tensor([[[math.log(3.0), 0.0], [0.0, 5.0]]])
    labels = torch.tensor([[1, IGNORE_INDEX]])
    p, q = (0.5, 0.5), (0.75, 0.25)
    kl_pq = sum(a * math.log(a / b) for a, b in zip(p, q, strict=True))
    kl_qp = sum(b * math.log(b / a) for a, b in zip(p, q, strict=True))
    expected = (kl_pq + kl_qp) / 2
    assert consistency_loss(first, second, labels).item() == pytest.approx(expected, abs=1e-6)
    assert consistency_loss(first, first, labels).item() == pytest.approx(0.0, abs=1e-7)


def test_without_dropout_two_passes_train_exactly_as_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With dropout off both passes agree, so the loss is the plain loss and the run's mean
    loss matches a run without consistency: the doubled batch is the same batch twice."""
    from araevent.training import trainer

    batches: list[int] = []

    def counted(first: torch.Tensor, second: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        batches.append(labels.shape[0])
        assert first.shape == second.shape and first.shape[0] == labels.shape[0]
        return consistency_loss(first, second, labels)

    plain = _run(tmp_path / "plain", 0.0)
    assert not batches
    monkeypatch.setattr(trainer, "consistency_loss", counted)
    both = _run(tmp_path / "both", 1.0)
    assert batches and max(batches) == 8  # every training batch, at its own size
    assert both.metrics["train"]["loss"] == pytest.approx(plain.metrics["train"]["loss"], rel=1e-3)
    assert both.metrics["train"]["loss"] > 0
