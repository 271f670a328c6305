"""Self-training and distillation: the loss against a teacher's distribution, how unlabelled
paragraphs are drawn (never a gold text), and a teacher-student run end to end on the tiny
model."""

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from araevent.data.document import Document
from araevent.features import IGNORE_INDEX, EncodingConfig
from araevent.io import load
from araevent.training import (
    DataConfig,
    ModelConfig,
    PseudoConfig,
    TrainResult,
    run_training,
)
from araevent.training.losses import mixed_loss
from araevent.training.pseudo import Overlap, draw_paragraphs, targets
from tests.conftest import (
    SAMPLE,
    SAMPLE_AUXILIARY,
    raw_text_file,
    tiny_trainer,
    unlabelled_file,
)

LOGITS = torch.tensor([[[0.0, 1.0, 0.0, 0.5, 0.0, 0.0, 0.0, 2.0, 0.0], [1.0] + [0.0] * 8]])


def _log_probs(row: torch.Tensor) -> list[float]:
    return torch.log_softmax(row, dim=-1).tolist()


def test_a_soft_target_is_the_cross_entropy_to_the_teacher_distribution() -> None:
    """By hand: -(q . log p) on the token that has a target, plain cross-entropy on the other,
    weighted: the pseudo row counts half."""
    soft = torch.zeros(2, 2, 9)
    soft[1, 0, 0], soft[1, 0, 7] = 0.25, 0.75  # row 1: the teacher's O 0.25, B-TRIGGER 0.75
    logits = torch.cat([LOGITS, LOGITS])
    labels = torch.tensor([[7, IGNORE_INDEX], [0, IGNORE_INDEX]])
    loss = mixed_loss(logits, labels, soft=soft, weight=torch.tensor([1.0, 0.5]))
    log_p = _log_probs(LOGITS[0, 0])
    gold = -log_p[7]
    pseudo = -(0.25 * log_p[0] + 0.75 * log_p[7])
    assert loss.item() == pytest.approx((gold + 0.5 * pseudo) / 1.5, abs=1e-6)


def test_without_extra_columns_the_loss_is_plain_cross_entropy() -> None:
    labels = torch.tensor([[3, 0]])
    expected = torch.nn.functional.cross_entropy(LOGITS[0], labels[0])
    assert mixed_loss(LOGITS, labels).item() == pytest.approx(expected.item(), abs=1e-6)


def test_a_batch_with_no_token_to_train_on_is_a_loss_of_zero_without_gradient() -> None:
    """Every token under ``min_confidence``, or only rows of weight 0: the loss was 0/0, a nan
    that now stops the run as diverged."""
    logits = LOGITS.clone().requires_grad_(True)
    nothing = torch.full((1, 2), IGNORE_INDEX)
    for loss in (
        mixed_loss(logits, nothing, soft=torch.zeros(1, 2, 9)),
        mixed_loss(logits, torch.tensor([[3, 0]]), weight=torch.tensor([0.0])),
    ):
        loss.backward()
        assert loss.item() == 0.0
        assert logits.grad is not None and not logits.grad.any()


def _row(n: int) -> dict[str, list[int]]:
    labels = [IGNORE_INDEX] + [0] * (n - 2) + [IGNORE_INDEX]
    labels[2] = IGNORE_INDEX  # a continuation sub-token
    return {"input_ids": list(range(n)), "labels": labels}


def _teacher(n: int) -> np.ndarray:
    probs = np.full((n, 9), 0.02)
    probs[:, 0] = 0.84
    probs[1] = [0.1, 0.6, 0.02, 0.2, 0.02, 0.02, 0.02, 0.01, 0.01]  # unsure: B-ACTOR 0.6
    return np.log(probs / probs.sum(axis=1, keepdims=True))


def test_targets_follow_the_teacher_only_where_gold_labels_would_be() -> None:
    row = targets(_row(5), _teacher(5), PseudoConfig("x.txt", ["t"], weight=0.3))
    assert row["labels"] == [IGNORE_INDEX, 1, IGNORE_INDEX, 0, IGNORE_INDEX]
    soft = np.array(row["soft"])
    assert soft.shape == (5, 9)
    assert soft[[0, 2, 4]].sum() == 0  # specials and continuations: no target
    assert soft[1] == pytest.approx(np.exp(_teacher(5)[1]), abs=1e-6)
    assert row["weight"] == 0.3


def test_temperature_softens_and_confidence_drops_unsure_words() -> None:
    teacher = _teacher(5)
    warm = targets(_row(5), teacher, PseudoConfig("x.txt", ["t"], temperature=2.0))
    assert max(warm["soft"][1]) < math.exp(teacher[1].max())  # flatter than the teacher
    assert sum(warm["soft"][1]) == pytest.approx(1.0, abs=1e-6)
    sure = targets(_row(5), teacher, PseudoConfig("x.txt", ["t"], min_confidence=0.7))
    assert sure["labels"][1] == IGNORE_INDEX and sum(sure["soft"][1]) == 0
    hard = targets(_row(5), teacher, PseudoConfig("x.txt", ["t"], targets="hard"))
    assert hard["soft"] == [] and hard["labels"][1] == 1


FILLER = [f"قال المتحدث باسم الوزارة في بيان رقم {i} إن الاجتماع عقد في العاصمة" for i in range(60)]


def test_no_drawn_paragraph_repeats_a_gold_passage(tmp_path: Path) -> None:
    """A train text with its diacritics changed, inside a longer line, is still refused."""
    gold = load(SAMPLE / "train.jsonl").documents[0].text
    words = gold.split()
    copied = " ".join(["خبر", "عاجل", *words[:12]]).replace("ة", "ةً")
    raw = raw_text_file(tmp_path / "raw.txt.gz", [*FILLER, copied, "قصير جدا", FILLER[3]])
    drawn = draw_paragraphs(raw, 100, 8, Overlap([gold], 8), seed=0)
    texts = [d.text for d in drawn.documents]
    assert copied not in texts
    assert (drawn.lines, drawn.short, drawn.overlapping, drawn.repeated) == (63, 1, 1, 1)
    assert len(texts) == len(set(texts)) == 60


def test_paragraphs_are_drawn_from_the_whole_file_reproducibly(tmp_path: Path) -> None:
    raw = raw_text_file(tmp_path / "raw.txt.gz", FILLER)
    first = [d.id for d in draw_paragraphs(raw, 5, 8, Overlap([], 8), seed=1).documents]
    again = [d.id for d in draw_paragraphs(raw, 5, 8, Overlap([], 8), seed=1).documents]
    other = [d.id for d in draw_paragraphs(raw, 5, 8, Overlap([], 8), seed=2).documents]
    assert first == again and first != other
    assert max(int(i.split(":")[1]) for i in first + other) > 5  # not the file's first lines


def test_pseudo_settings_are_checked_when_built() -> None:
    pseudo = {"path": "r.txt", "teacher": ["m"], "require": ["EVENT"]}
    with pytest.raises(ValueError, match=r"require names labels outside data\.labels: EVENT"):
        DataConfig(train="t.jsonl", pseudo=pseudo)
    with pytest.raises(ValueError, match="temperature must be more than 0"):
        PseudoConfig("r.txt", ["m"], temperature=0)


def _student(
    tmp_path: Path, teacher: Path, data: dict[str, Any] | None = None, **model: int
) -> TrainResult:
    pseudo = PseudoConfig(str(unlabelled_file(tmp_path)), [str(teacher)], documents=20)
    return run_training(
        DataConfig(
            train=str(SAMPLE / "train.jsonl"),
            dev=str(SAMPLE / "dev.jsonl"),
            pseudo=pseudo,
            **(data or {}),
        ),
        ModelConfig(**model),
        EncodingConfig(max_length=64, stride=16),
        tiny_trainer(2),
        tmp_path / "student",
    )


def test_a_student_learns_from_the_teacher_end_to_end(
    tiny_run: TrainResult, tmp_path: Path
) -> None:
    result = _student(tmp_path, tiny_run.model_dir)
    metrics = json.loads((result.output_dir / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["train"]["pseudo_windows"] >= 20
    assert metrics["train"]["auxiliary_windows"] == 0
    assert (result.model_dir / "model.safetensors").is_file()
    from araevent import Predictor

    assert isinstance(Predictor.from_pretrained(result.model_dir).predict("قال الرئيس"), list)


def test_words_left_out_for_the_teachers_doubt_are_counted_in_the_log(
    tiny_run: TrainResult, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``min_confidence`` takes tokens out of training; the log says how many, of how many."""
    pseudo = PseudoConfig(
        str(unlabelled_file(tmp_path)), [str(tiny_run.model_dir)], documents=20, min_confidence=0.9
    )
    data = DataConfig(train=str(SAMPLE / "train.jsonl"), pseudo=pseudo)
    with caplog.at_level("INFO", logger="araevent.training.pseudo"):
        run_training(
            data, ModelConfig(), EncodingConfig(max_length=64, stride=16), tiny_trainer(1), tmp_path
        )
    line = next(r.message for r in caplog.records if "labelled tokens not trained on" in r.message)
    left_out, labelled = (int(n) for n in line.split()[1:4:2])
    assert 0 < left_out <= labelled and "min_confidence 0.9" in line


def test_a_student_can_first_learn_from_an_auxiliary_corpus(
    tiny_run: TrainResult, tmp_path: Path
) -> None:
    """The sequential and distillation recipes compose: auxiliary corpus alone first, then
    gold and pseudo-labelled windows together."""
    corpus = {**SAMPLE_AUXILIARY, "path": str(SAMPLE / "train.jsonl"), "fraction": None}
    auxiliary = {"auxiliary": [corpus], "auxiliary_first_epochs": 1}
    result = _student(tmp_path, tiny_run.model_dir, auxiliary)
    train = json.loads((result.output_dir / "metrics.json").read_text(encoding="utf-8"))["train"]
    assert train["auxiliary_first"]["epochs"] == 1 and train["auxiliary_first"]["windows"] > 0
    assert train["pseudo_windows"] >= 20  # the main fit: gold and pseudo-labelled windows
    assert train["auxiliary_windows"] == 0  # and no auxiliary window again


def test_a_file_with_nothing_to_draw_fails_before_training(
    tiny_run: TrainResult, tmp_path: Path
) -> None:
    """Every paragraph of the raw file is a gold text (here the auxiliary corpus's)."""
    drawn = r"no paragraph to label: \d+ read, 0 shorter than 8 words; of those sampled, \d+ share"
    with pytest.raises(ValueError, match=drawn):
        _student(tmp_path, tiny_run.model_dir, {"auxiliary": [SAMPLE_AUXILIARY]})
    assert not (tmp_path / "student").exists()


def test_a_teacher_with_another_tokenizer_is_refused(tiny_run: TrainResult, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="another tokenizer than the student"):
        _student(tmp_path, tiny_run.model_dir, tiny_vocab_size=500)


def test_no_training_document_reaches_the_pseudo_labelled_rows(tmp_path: Path) -> None:
    gold = load(SAMPLE / "train.jsonl").documents + load(SAMPLE / "dev.jsonl").documents
    lines = [*FILLER[:10], *(d.text.replace("\n", " ") for d in gold)]
    raw = raw_text_file(tmp_path / "raw.txt.gz", lines)
    drawn = draw_paragraphs(raw, 100, 8, Overlap([d.text for d in gold], 8), seed=0)
    assert {d.text for d in drawn.documents} == set(FILLER[:10])
    assert drawn.overlapping == sum(len(d.text.split()) >= 8 for d in gold)
    assert all(isinstance(d, Document) for d in drawn.documents)
