"""A student run that trains its own teachers: one command for the whole distillation recipe."""

import json
from dataclasses import replace
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
from araevent.training.teachers import Teacher, teacher_recipe, teacher_stage
from tests.conftest import SAMPLE, raw_text_file, tiny_trainer, unlabelled_file

ENCODING = EncodingConfig(max_length=64, stride=16)


def _data(teacher: list[str] | None = None, seeds: tuple[int, ...] = (42, 1)) -> DataConfig:
    pseudo = PseudoConfig("raw.txt", teacher, teacher_seeds=seeds)
    return DataConfig(train=str(SAMPLE / "train.jsonl"), pseudo=pseudo)


def _recipe(trainer: TrainerConfig, data: DataConfig | None = None) -> dict[str, Any]:
    return teacher_recipe(data or _data(), ModelConfig(), ENCODING, trainer)


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


def _stage(
    folder: Path, trainer: TrainerConfig, training: Any, data: DataConfig | None = None
) -> tuple[DataConfig, list[Teacher]]:
    data = data or _data()
    return teacher_stage(data, ModelConfig(), ENCODING, trainer, folder, training)


def test_teachers_are_the_recipe_without_pseudo_labels_one_per_seed(tmp_path: Path) -> None:
    training = FakeTraining()
    resumed = TrainerConfig(epochs=3, resume_from_checkpoint=True)  # the student's, not theirs
    data, teachers = _stage(tmp_path, resumed, training)
    assert [
        (d.pseudo, t.seed, t.epochs, t.resume_from_checkpoint, f) for d, t, f in training.calls
    ] == [
        (None, 42, 3, None, tmp_path / "teachers" / "seed-42"),
        (None, 1, 3, None, tmp_path / "teachers" / "seed-1"),
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


def test_a_finished_teacher_is_reused_and_an_unfinished_one_trained_again(tmp_path: Path) -> None:
    _stage(tmp_path, tiny_trainer(1), FakeTraining(), _data(seeds=(42,)))
    stale = tmp_path / "teachers" / "seed-1" / "checkpoints" / "checkpoint-900"
    stale.mkdir(parents=True)  # an interrupted run's checkpoint
    training = FakeTraining()
    _, teachers = _stage(tmp_path, tiny_trainer(1), training)
    assert [t.seed for _, t, _ in training.calls] == [1]
    assert [t.reused for t in teachers] == [True, False]
    assert not stale.exists()  # trained again from the start, no stale checkpoint left


def test_a_teacher_of_another_recipe_is_an_error_before_any_training(tmp_path: Path) -> None:
    _stage(tmp_path, tiny_trainer(1), FakeTraining(), _data(seeds=(1,)))
    training = FakeTraining()
    with pytest.raises(
        ValueError,
        match=r"seed-1: a teacher trained with another recipe \(trainer\.epochs differ\)",
    ):
        _stage(tmp_path, tiny_trainer(2), training)  # before seed 42 would train
    assert training.calls == []
    watched = replace(tiny_trainer(1), seed=5, progress_bar=True)
    assert _recipe(tiny_trainer(1)) == _recipe(watched)  # how a run is watched is no recipe


def test_given_teachers_or_no_pseudo_labels_train_nothing(tmp_path: Path) -> None:
    def never(*args: Any) -> None:
        raise AssertionError("no teacher should be trained")

    given = _data(teacher=["a/model"])
    assert _stage(tmp_path, tiny_trainer(1), never, given) == (given, [])
    plain = DataConfig(train=str(SAMPLE / "train.jsonl"))
    assert _stage(tmp_path, tiny_trainer(1), never, plain) == (plain, [])


def test_a_distributed_run_trains_no_teacher_but_uses_finished_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stage(tmp_path, tiny_trainer(1), FakeTraining(), _data(seeds=(42,)))
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(ValueError, match=r"seeds \[1\] are not trained: a distributed run"):
        _stage(tmp_path, tiny_trainer(1), FakeTraining())
    data, _ = _stage(tmp_path, tiny_trainer(1), FakeTraining(), _data(seeds=(42,)))
    assert data.pseudo is not None and len(data.pseudo.teacher or ()) == 1


@pytest.mark.parametrize(
    ("teacher", "seeds", "message"),
    [
        ([], (42,), "names no model folder"),
        (None, (), "teacher_seeds is empty"),
        (None, (42, 1, 42), r"repeats a seed: \[42, 1, 42\]"),
        (None, ("1", 1), "teacher_seeds must be an integer: '1'"),
    ],
)
def test_teacher_settings_are_checked_when_built(
    teacher: list[str] | None, seeds: tuple[Any, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        PseudoConfig("raw.txt", teacher, teacher_seeds=seeds)


def test_a_single_seed_is_a_list_of_one() -> None:
    assert PseudoConfig("raw.txt", teacher_seeds=7).teacher_seeds == [7]  # type: ignore[arg-type]


def test_one_run_trains_its_teacher_then_the_student(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pseudo = PseudoConfig(str(unlabelled_file(tmp_path)), teacher_seeds=[7], documents=20)
    data = DataConfig(
        train=str(SAMPLE / "train.jsonl"), dev=str(SAMPLE / "dev.jsonl"), pseudo=pseudo, limit=6
    )
    with caplog.at_level("INFO"):
        result: TrainResult = run_training(
            data, ModelConfig(), ENCODING, tiny_trainer(2), tmp_path / "run"
        )
    # the teacher learns from the documents the run read: one loader report, not one a run
    assert sum("train: first 6 of" in r.getMessage() for r in caplog.records) == 1
    teacher = tmp_path / "run" / "teachers" / "seed-7"
    teacher_train = json.loads((teacher / "metrics.json").read_text(encoding="utf-8"))["train"]
    assert teacher_train["pseudo_windows"] == 0  # the teacher learns from gold alone
    train = result.metrics["train"]
    assert [(t["seed"], t["model"], t["reused"]) for t in train["teachers"]] == [
        (7, str(teacher / "model"), False)
    ]
    assert train["pseudo_windows"] >= 20
    assert str(teacher / "model") in (tmp_path / "run" / "report.md").read_text(encoding="utf-8")


def test_a_file_with_nothing_to_draw_fails_before_any_teacher_trains(tmp_path: Path) -> None:
    gold = SAMPLE / "train.jsonl"
    raw = raw_text_file(tmp_path / "raw.txt.gz", ["قصير جدا"])  # too short to draw
    data = DataConfig(train=str(gold), pseudo=PseudoConfig(str(raw), teacher_seeds=[7]))
    with pytest.raises(ValueError, match="no paragraph to label: 1 read, 1 shorter than 8 words"):
        run_training(data, ModelConfig(), ENCODING, tiny_trainer(1), tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_a_cli_run_that_fails_after_its_teachers_keeps_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import araevent.training.run
    from araevent.cli.main import main

    def failing(config: PseudoConfig | None, *args: Any) -> None:
        if config is not None:  # the student's call, not its teacher's
            raise ValueError("the student could not start")

    monkeypatch.setattr(araevent.training.run, "with_teacher", failing)
    monkeypatch.chdir(tmp_path)
    raw = unlabelled_file(tmp_path)
    with pytest.raises(SystemExit):
        main(
            [
                "train",
                "hydra.run.dir=run",
                "data.limit=2",
                "trainer.max_steps=1",
                f"+data.pseudo={{path: {raw}, teacher_seeds: [3], documents: 5}}",
                "trainer.progress_bar=false",
                "trainer.tensorboard=false",
            ]
        )
    assert (tmp_path / "run" / "teachers" / "seed-3" / "model").is_dir()
    assert "the student could not start" in (tmp_path / "run" / "train.log").read_text("utf-8")
