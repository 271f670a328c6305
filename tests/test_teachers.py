"""A student run that trains its own teachers: one command for the whole distillation recipe."""

import json
from pathlib import Path
from typing import Any

import pytest

from araevent.features import EncodingConfig
from araevent.training import (
    DataConfig,
    ModelConfig,
    PseudoConfig,
    TrainerConfig,
    TrainResult,
    run_training,
)
from araevent.training.teachers import teacher_stage
from tests.conftest import SAMPLE, tiny_trainer, unlabelled_file


def _data(teacher: list[str] | None = None, seeds: tuple[int, ...] = (42, 1)) -> DataConfig:
    pseudo = PseudoConfig("raw.txt", teacher, teacher_seeds=seeds)
    return DataConfig(train=str(SAMPLE / "train.jsonl"), pseudo=pseudo)


class FakeTraining:
    """Writes what a finished run leaves (model config, metrics) and records each call."""

    def __init__(self) -> None:
        self.calls: list[tuple[DataConfig, TrainerConfig, Path]] = []

    def __call__(self, data: DataConfig, trainer: TrainerConfig, folder: Path) -> None:
        self.calls.append((data, trainer, folder))
        (folder / "model").mkdir(parents=True)
        (folder / "model" / "config.json").write_text("{}", encoding="utf-8")
        metrics = {"train": {"seconds": 2.5}, "dev": {"strict": {"micro": {"f1": 0.5}}}}
        (folder / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")


def test_teachers_are_the_recipe_without_pseudo_labels_one_per_seed(tmp_path: Path) -> None:
    training = FakeTraining()
    data, teachers = teacher_stage(_data(), tiny_trainer(3), tmp_path, training)
    assert [(d.pseudo, t.seed, t.epochs, f) for d, t, f in training.calls] == [
        (None, 42, 3, tmp_path / "teachers" / "seed-42"),
        (None, 1, 3, tmp_path / "teachers" / "seed-1"),
    ]
    assert data.pseudo is not None and data.pseudo.teacher == [
        str(tmp_path / "teachers" / f"seed-{seed}" / "model") for seed in (42, 1)
    ]
    assert teachers[0].as_dict() == {
        "seed": 42,
        "model": str(tmp_path / "teachers" / "seed-42" / "model"),
        "dev_f1": 0.5,
        "seconds": 2.5,
        "reused": False,
    }


def test_a_finished_teacher_is_reused_and_an_unfinished_one_trained(tmp_path: Path) -> None:
    FakeTraining()(_data(), tiny_trainer(1), tmp_path / "teachers" / "seed-42")
    (tmp_path / "teachers" / "seed-1" / "checkpoints").mkdir(parents=True)  # interrupted
    training = FakeTraining()
    _, teachers = teacher_stage(_data(), tiny_trainer(1), tmp_path, training)
    assert [t.seed for _, t, _ in training.calls] == [1]
    assert [t.reused for t in teachers] == [True, False]


def test_given_teachers_or_no_pseudo_labels_train_nothing(tmp_path: Path) -> None:
    def never(*args: Any) -> None:
        raise AssertionError("no teacher should be trained")

    given = _data(teacher=["a/model"])
    assert teacher_stage(given, tiny_trainer(1), tmp_path, never) == (given, [])
    plain = DataConfig(train=str(SAMPLE / "train.jsonl"))
    assert teacher_stage(plain, tiny_trainer(1), tmp_path, never) == (plain, [])


def test_a_distributed_run_asks_for_its_teachers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(ValueError, match=r"train them first .* data\.pseudo\.teacher="):
        teacher_stage(_data(), tiny_trainer(1), tmp_path, FakeTraining())


@pytest.mark.parametrize(
    ("teacher", "seeds", "message"),
    [
        ([], (42,), "names no model folder"),
        (None, (), "teacher_seeds is empty"),
        (None, (42, 1, 42), r"repeats a seed: \[42, 1, 42\]"),
    ],
)
def test_teacher_settings_are_checked_when_built(
    teacher: list[str] | None, seeds: tuple[int, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        PseudoConfig("raw.txt", teacher, teacher_seeds=seeds)


def test_one_run_trains_its_teacher_then_the_student(tmp_path: Path) -> None:
    pseudo = PseudoConfig(str(unlabelled_file(tmp_path)), teacher_seeds=[7], documents=20)
    data = DataConfig(
        train=str(SAMPLE / "train.jsonl"), dev=str(SAMPLE / "dev.jsonl"), pseudo=pseudo
    )
    result: TrainResult = run_training(
        data,
        ModelConfig(),
        EncodingConfig(max_length=64, stride=16),
        tiny_trainer(2),
        tmp_path / "run",
    )
    teacher = tmp_path / "run" / "teachers" / "seed-7"
    teacher_train = json.loads((teacher / "metrics.json").read_text(encoding="utf-8"))["train"]
    assert teacher_train["pseudo_windows"] == 0  # the teacher learns from gold alone
    train = result.metrics["train"]
    assert [(t["seed"], t["model"], t["reused"]) for t in train["teachers"]] == [
        (7, str(teacher / "model"), False)
    ]
    assert train["pseudo_windows"] >= 20
    assert str(teacher / "model") in (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
