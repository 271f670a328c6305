"""Training end to end on the tiny offline model, through the real hydra configs."""

import json
from itertools import pairwise
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.utils import instantiate
from omegaconf import DictConfig

from araevent import Document, Span
from araevent.cli.train import CONFIG_DIR, train
from araevent.features import EncodingConfig
from araevent.inference import predict_documents
from araevent.io import load, save
from araevent.training import (
    DataConfig,
    ModelConfig,
    TrainerConfig,
    TrainingDiverged,
    TrainResult,
    run_training,
)
from tests.conftest import REPO, SAMPLE, train_tiny, write

QUIET = ["trainer.progress_bar=false", "trainer.tensorboard=false"]


def compose_train(overrides: list[str]) -> DictConfig:
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose("train", overrides=overrides)


def test_every_config_group_option_composes() -> None:
    """Each option hydra offers (``araevent train --help``) composes to a plain object; shared
    field files and label maps are not offered as options."""
    expected = {
        "data": [
            "anercorp",
            "anercorp-original",
            "aqmar",
            "araevent-news",
            "newsfane",
            "sample",
            "wojood",
        ],
        "encoding": ["default"],
        "evaluation": ["default"],
        "experiment": [
            "anercorp-small-encoder",
            "anercorp-small-encoder-distill",
            "news-small-encoder",
            "news-small-encoder-anercorp",
            "news-small-encoder-anercorp-first",
            "news-small-encoder-anercorp-first-distill",
            "news-small-encoder-anercorp-own-head",
            "news-small-encoder-distill",
            "news-small-encoder-wojood-first",
        ],
        "model": [
            "arabert-v02",
            "camelbert-msa",
            "conflibert-arabic",
            "mbert",
            "small-encoder",
            "tiny",
            "xlmr-base",
        ],
        "pseudo": ["raw-news"],
        "trainer": ["cpu", "ddp", "gpu"],
    }
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        loader = GlobalHydra.instance().config_loader()
        offered = {
            group: loader.get_group_options(group)
            for group in loader.list_groups("")
            if group != "hydra"
        }
    assert offered == expected
    for group in ("data", "model", "trainer"):
        for option in expected[group]:
            cfg = compose_train([f"{group}={option}", "output_dir=x"])
            assert cfg[group]["_target_"].startswith("araevent.")
    cfg = compose_train(["experiment=news-small-encoder", "+pseudo=raw-news", "output_dir=x"])
    assert cfg.model.name.endswith("araevent-small-encoder")
    assert cfg.data.pseudo.path.endswith("raw-news/news-ar.txt.gz")  # any recipe can distil
    assert cfg.trainer.device == "cuda"
    for recipe in expected["experiment"]:  # every recipe is plain objects without hydra
        cfg = compose_train([f"experiment={recipe}", "output_dir=x"])
        for node in ("data", "model", "encoding", "trainer"):
            assert type(instantiate(cfg[node], _convert_="all")).__module__.startswith("araevent.")


def test_tiny_model_overfits_eight_sample_documents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The label path is right: a model can learn the gold spans of its own training data."""
    monkeypatch.chdir(REPO)
    train_path = str(SAMPLE / "train.jsonl")
    cfg = compose_train(
        [
            "data.limit=8",
            f"data.dev={train_path}",
            "data.test=null",
            f"output_dir={tmp_path}",
            "trainer.epochs=60",
            "trainer.learning_rate=3e-3",
            "trainer.batch_size=4",
            "trainer.early_stopping_patience=null",
            "trainer.save_total_limit=1",
            *QUIET,
        ]
    )
    result = train(cfg)
    assert result.metrics["dev"]["strict"]["micro"]["f1"] >= 0.95
    assert (tmp_path / "metrics.json").is_file() and (tmp_path / "report.md").is_file()
    # the learning curve: one point per epoch, training time without evaluation, and the loop's
    # dev F1 is the score the user's prediction path gives for the checkpoint it kept
    curve = result.metrics["train"]["history"]
    assert [p["epoch"] for p in curve] == [float(e) for e in range(1, 61)]
    assert all(0 < p["train_seconds"] < p["seconds"] for p in curve)
    assert all(a["train_seconds"] < b["train_seconds"] for a, b in pairwise(curve))
    best = max(p["span_f1"] for p in curve)
    assert best == pytest.approx(result.metrics["dev"]["strict"]["micro"]["f1"])
    assert result.metrics["train"]["tokens_per_second"] > 0
    assert "dev span F1 by epoch: 1: " in (tmp_path / "report.md").read_text()
    config = (result.model_dir / "config.json").read_text()
    assert '"B-TRIGGER"' in config  # id2label travels with the weights


def long_document(min_words: int = 5000) -> Document:
    """Sample training documents joined into one document of at least ``min_words`` words."""
    text, spans = "", []
    pieces = list(load(SAMPLE / "train.jsonl"))
    i = 0
    while len(text.split()) < min_words:
        doc = pieces[i % len(pieces)]
        base = len(text) + (1 if text else 0)
        text += ("\n" if text else "") + doc.text
        spans += [Span(s.start + base, s.end + base, s.label) for s in doc.spans]
        i += 1
    return Document("long", text, tuple(spans))


def test_five_thousand_word_document_is_trained_and_predicted_to_its_end(tmp_path: Path) -> None:
    document = long_document()
    path = tmp_path / "long.jsonl"
    save([document], path)
    encoding = EncodingConfig(max_length=128, stride=32)
    result = train_tiny(path, tmp_path / "run", encoding, epochs=25)
    assert result.metrics["train"]["windows"] > 50  # the document really was windowed
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    model = AutoModelForTokenClassification.from_pretrained(result.model_dir)
    tokenizer = AutoTokenizer.from_pretrained(result.model_dir)
    (predicted,) = predict_documents(
        model, tokenizer, [document], encoding, DataConfig(train="").schema, device="cpu"
    )
    tail = int(len(document.text) * 0.9)
    gold_tail = {(s.start, s.end, s.label) for s in document.spans if s.start >= tail}
    predicted_tail = {(s.start, s.end, s.label) for s in predicted.spans if s.start >= tail}
    assert len(gold_tail) > 20
    assert len(gold_tail & predicted_tail) >= 0.8 * len(gold_tail)
    assert all(
        predicted.text[s.start : s.end].strip() == predicted.span_text(s) for s in predicted.spans
    )


def test_a_resumed_tiny_model_keeps_the_vocabulary_of_its_checkpoint(
    tiny_run: TrainResult, tmp_path: Path
) -> None:
    """The tiny vocabulary is learnt from the training text; resuming on other text must not
    pair the checkpoint's weights with a new vocabulary."""
    import json

    from transformers import AutoTokenizer
    from transformers.trainer_utils import get_last_checkpoint

    from araevent.modeling import train_wordpiece

    checkpoint = Path(get_last_checkpoint(str(tiny_run.output_dir / "checkpoints")))
    state = json.loads((checkpoint / "trainer_state.json").read_text())
    vocabulary = AutoTokenizer.from_pretrained(checkpoint).get_vocab()
    data = DataConfig(train=str(SAMPLE / "train.jsonl"), limit=24)  # 3 steps an epoch
    rebuilt = train_wordpiece([d.text for d in load(data.train)][:24], vocab_size=2000)
    assert rebuilt.get_vocab() != vocabulary  # what a fresh vocabulary would have been
    result = run_training(
        data,
        ModelConfig(),
        EncodingConfig(max_length=64, stride=16),
        TrainerConfig(
            epochs=state["global_step"] // 3 + 2,
            learning_rate=3e-3,
            batch_size=8,
            device="cpu",
            progress_bar=False,
            tensorboard=False,
            resume_from_checkpoint=str(checkpoint),
        ),
        tmp_path,
    )
    assert AutoTokenizer.from_pretrained(result.model_dir).get_vocab() == vocabulary
    assert result.metrics["train"]["history"][0]["step"] > state["global_step"]


def test_the_tiny_vocabulary_is_learnt_from_normalised_text_when_normalising(
    tmp_path: Path,
) -> None:
    """The tokenizer sees normalised text, so its vocabulary must come from normalised text:
    no piece with a diacritic or a tatweel (the sample's training text has 25 of them)."""
    from transformers import AutoTokenizer

    from araevent.data.text import NormalizationConfig

    result = run_training(
        DataConfig(train=str(SAMPLE / "train.jsonl")),
        ModelConfig(),
        EncodingConfig(normalization=NormalizationConfig()),
        TrainerConfig(max_steps=1, device="cpu", progress_bar=False, tensorboard=False),
        tmp_path,
    )
    pieces = AutoTokenizer.from_pretrained(result.model_dir).get_vocab()
    assert not [p for p in pieces if any("\u064b" <= c <= "\u0652" or c == "\u0640" for c in p)]


def test_a_pretrained_model_at_the_tiny_models_learning_rate_is_warned_about(
    tiny_run: TrainResult, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """trainer=cpu's 2e-3 suits a random tiny BERT and would wreck a pretrained encoder."""
    with caplog.at_level("WARNING", logger="araevent.training"):
        run_training(
            DataConfig(train=str(SAMPLE / "train.jsonl"), limit=8),
            ModelConfig(name=str(tiny_run.model_dir)),  # a local pretrained model
            EncodingConfig(max_length=64, stride=16),
            TrainerConfig(
                max_steps=1, learning_rate=2e-3, device="cpu", progress_bar=False, tensorboard=False
            ),
            tmp_path,
        )
    assert "learning rate 0.002 is high for fine-tuning a pretrained encoder" in caplog.text


def test_default_run_finds_the_packaged_sample_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`araevent train` with the default data config works outside the checkout: the sample
    corpus ships in the package and is found through it, not through the working folder."""
    from araevent.cli.main import main

    monkeypatch.chdir(tmp_path)
    assert main(["train", "hydra.run.dir=run", "data.limit=2", "trainer.max_steps=1", *QUIET]) == 0
    metrics = (tmp_path / "run" / "metrics.json").read_text(encoding="utf-8")
    assert '"dev"' in metrics and '"test"' in metrics
    assert "araevent/sample/train.jsonl" in (tmp_path / "run" / "report.md").read_text("utf-8")


def test_an_explicit_relative_path_still_means_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """One line on stderr naming the setting, the path and the folder it was read from; no
    traceback, nothing on stdout, and no run folder left behind."""
    from araevent.cli.main import main

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "hydra.run.dir=run", "data.train=data/train.jsonl", *QUIET])
    assert exit_info.value.code == 1
    out, err = capsys.readouterr()
    message = f"error: data.train: data/train.jsonl: no such file or folder (read from {tmp_path})"
    assert err.strip() == message
    assert out == ""
    assert not (tmp_path / "run").exists()


def test_a_run_folder_given_by_the_user_keeps_its_other_files_when_a_run_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from araevent.cli.main import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["train", "hydra.run.dir=.", "data.train=missing.jsonl", *QUIET])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_missing_shared_corpus_says_how_to_point_at_the_shared_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from araevent.cli.main import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ARAEVENT_SHARED", raising=False)
    with pytest.raises(SystemExit):
        main(["train", "data=araevent-news", "hydra.run.dir=run", *QUIET])
    err = capsys.readouterr().err
    assert "data.train: ../shared/data/araevent-news/train.jsonl: no such file" in err
    assert "ARAEVENT_SHARED=/path/to/shared or shared=/path" in err
    assert len(err.strip().splitlines()) == 1


def test_a_setting_left_to_the_command_line_is_named_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A config of the user's that leaves a value open (``???``): one line naming the
    setting, no run folder."""
    from araevent.cli.main import main

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit):
        main(["train", "data.dev=???", "hydra.run.dir=run", *QUIET])
    err = capsys.readouterr().err.strip()
    assert err.endswith("data.dev must be given on the command line (data.dev=...)")
    assert len(err.splitlines()) == 1 and not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("override", "suggestion"),
    [
        ("trainer.epoch=3", "trainer.epoch is not a setting; did you mean trainer.epochs?"),
        ("trainr.epochs=3", "did you mean trainer.epochs?"),
        ("data.lmit=3", "did you mean data.limit?"),
    ],
)
def test_a_mistyped_override_is_answered_with_the_setting_it_was_meant_to_be(
    override: str, suggestion: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from araevent.cli.main import main

    assert main(["train", override, f"hydra.run.dir={tmp_path / 'run'}"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and suggestion in err
    assert not (tmp_path / "run").exists()


def test_an_unset_setting_is_a_setting() -> None:
    """The distillation recipe's teacher (unset in its config) is known to the typo check."""
    from araevent.cli.overrides import unknown_setting
    from araevent.cli.train import CONFIG_DIR as TRAIN_CONFIGS

    recipe = "experiment=news-small-encoder-distill"
    assert unknown_setting(TRAIN_CONFIGS, "train", [recipe, "data.pseudo.teacher=[m]"]) is None
    typo = unknown_setting(TRAIN_CONFIGS, "train", [recipe, "data.pseudo.teachr=[m]"])
    assert typo is not None and typo.endswith("did you mean data.pseudo.teacher?")
    # a group no default selects is left to hydra (which says to write +pseudo=raw-news)
    assert unknown_setting(TRAIN_CONFIGS, "train", ["pseudo=raw-news"]) is None


def test_every_field_of_a_config_object_is_in_its_fields_file() -> None:
    """A field missing from the YAML a config group starts from cannot be overridden: the
    README's 'data.pseudo.require=[TRIGGER]' after +pseudo=raw-news was refused as unknown."""
    from dataclasses import fields

    from omegaconf import OmegaConf

    from araevent.cli.overrides import unknown_setting
    from araevent.training import PseudoConfig

    for name, config in {
        "data": DataConfig,
        "model": ModelConfig,
        "pseudo": PseudoConfig,
        "trainer": TrainerConfig,
    }.items():
        written = set(OmegaConf.load(Path(CONFIG_DIR) / f"{name}_fields.yaml")) - {"_target_"}
        assert written == {field.name for field in fields(config)}, name
    every = [f"data.pseudo.{field.name}=1" for field in fields(PseudoConfig)]
    assert unknown_setting(CONFIG_DIR, "train", ["+pseudo=raw-news", *every]) is None


def test_the_console_shows_an_epoch_table_and_says_which_epoch_was_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Early stopping is announced with the epoch kept, on the console and in report.md;
    the epochs are table rows, not transformers' log dicts."""
    from araevent.cli.main import main

    monkeypatch.chdir(REPO)
    run = tmp_path / "run"
    args = ["data.limit=4", "trainer.epochs=30", "trainer.early_stopping_patience=1"]
    assert main(["train", *args, f"hydra.run.dir={run}", *QUIET]) == 0
    out, err = capsys.readouterr()
    assert "epoch  train loss  dev loss  dev span F1  best" in err
    assert "{'eval_loss'" not in out + err and "\x1b[" not in out + err
    stop = next(line for line in err.splitlines() if line.startswith("early stopping after"))
    assert "dev span F1 did not improve for 1 epochs; kept epoch" in stop
    assert stop in (run / "report.md").read_text(encoding="utf-8")
    stopped = json.loads((run / "metrics.json").read_text(encoding="utf-8"))["train"]["stopped"]
    assert stopped["early_stopping"] is True and stopped["last_epoch"] < 30
    best = max(
        p["span_f1"] for p in json.loads((run / "metrics.json").read_text())["train"]["history"]
    )
    assert stopped["kept_dev_span_f1"] == best


def test_a_resumed_run_says_it_kept_the_best_epoch_from_before_its_checkpoint() -> None:
    """The Trainer keeps the best evaluation of the whole run, the checkpoint's history
    included; the table said "kept epoch 9" while epoch 8's better model was the one saved."""
    from transformers import TrainerControl, TrainerState, TrainingArguments

    from araevent.training.console import console_callbacks

    table, _ = console_callbacks(3, lambda: 0.5)
    state = TrainerState(epoch=8.0, global_step=80, max_steps=100, log_history=[])
    state.log_history = [
        {"epoch": 7.0, "step": 70, "eval_span_f1": 0.52},
        {"epoch": 8.0, "step": 80, "eval_span_f1": 0.55},  # the best, before the checkpoint
        {"epoch": 8.0, "step": 80, "loss": 0.3},
    ]
    args, control = TrainingArguments(output_dir="unused", report_to=[]), TrainerControl()
    table.on_train_begin(args, state, control)
    for epoch in (9.0, 10.0):
        state.epoch, state.global_step = epoch, int(epoch * 10)
        table.on_evaluate(args, state, control, metrics={"eval_span_f1": 0.53})
    table.on_train_end(args, state, control)
    assert (table.stop.kept_epoch, table.stop.kept_f1) == (8.0, 0.55)


def test_the_progress_bar_is_left_out_when_stderr_is_not_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run logged to a file (nohup, CI) got the bar's carriage-return updates with the
    epoch rows in the middle of its lines."""
    from araevent.cli.main import main

    monkeypatch.chdir(REPO)
    args = ["data.limit=4", "trainer.epochs=2", "trainer.tensorboard=false"]
    assert main(["train", *args, f"hydra.run.dir={tmp_path}"]) == 0
    err = capsys.readouterr().err
    assert "it/s" not in err and "\r" not in err
    assert any(line.startswith("    2  ") for line in err.splitlines())


def test_a_run_without_dev_shows_each_epochs_training_loss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """ANERcorp has no dev split: its epochs are rows too, not 15 silent minutes."""
    from araevent.cli.main import main

    monkeypatch.chdir(REPO)
    args = ["data.limit=4", "data.dev=null", "trainer.epochs=2", f"hydra.run.dir={tmp_path}"]
    assert main(["train", *args, *QUIET]) == 0
    lines = capsys.readouterr().err.splitlines()
    table = lines.index("epoch  train loss")
    assert [line.split()[0] for line in lines[table + 1 : table + 3]] == ["1", "2"]
    assert all(float(line.split()[1]) > 0 for line in lines[table + 1 : table + 3])
    assert "trained all 2 epochs; the last weights are kept" in lines[table + 3]


def test_the_random_tiny_model_at_a_pretrained_encoders_rate_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The README's old sweep (1e-4, 5e-5) left the tiny model near F1 0 without a word."""
    with caplog.at_level("WARNING", logger="araevent.training"):
        run_training(
            DataConfig(train=str(SAMPLE / "train.jsonl"), limit=4),
            ModelConfig(),
            EncodingConfig(max_length=64, stride=16),
            TrainerConfig(
                max_steps=1, learning_rate=1e-4, device="cpu", progress_bar=False, tensorboard=False
            ),
            tmp_path,
        )
    assert "learning rate 0.0001 is low for the random tiny model" in caplog.text


def test_bad_settings_are_refused_before_training_with_the_setting_named() -> None:
    cases = {
        "trainer.epochs=0": "trainer.epochs must be more than 0",
        "trainer.warmup_ratio=1.0": "trainer.warmup_ratio is a share of the steps",
        "trainer.bf16=no": "trainer.bf16 must be true, false or auto",
        "trainer.max_steps=abc": "trainer.max_steps must be an integer: 'abc'",
        "trainer.warmup_ratio=abc": "trainer.warmup_ratio must be a number: 'abc'",
        "trainer.gradient_accumulation_steps=0": "must be at least 1",
        "data.limit=-1": "data.limit must be at least 1",
        "encoding.stride=-1": "stride must be in",
    }
    for override, message in cases.items():
        cfg = compose_train([override, "output_dir=x"])
        with pytest.raises(ValueError, match=message):
            train(cfg)


def test_a_train_split_without_text_is_refused_before_training(tmp_path: Path) -> None:
    empty = write(tmp_path / "empty.jsonl", '{"id": "x", "text": "", "spans": []}\n')
    cfg = compose_train([f"data.train={empty}", f"output_dir={tmp_path / 'run'}", *QUIET])
    with pytest.raises(ValueError, match=r"empty\.jsonl: no text to train on \(its 1 documents"):
        train(cfg)
    assert not (tmp_path / "run" / "model").exists()


def test_model_config_overrides_are_given_as_one_mapping_on_the_command_line() -> None:
    cfg = compose_train(["model.config_overrides={hidden_dropout_prob:0.2,classifier_dropout:0.3}"])
    model = instantiate(cfg.model, _convert_="all")
    assert model.config_overrides == {"hidden_dropout_prob": 0.2, "classifier_dropout": 0.3}
    assert instantiate(compose_train([]).model, _convert_="all").config_overrides is None


def test_a_run_whose_dev_loss_turns_nan_stops_with_the_learning_rate_named(
    tmp_path: Path,
) -> None:
    """At a learning rate of 1e9 the weights were nan by the first evaluation; the run went on,
    kept that checkpoint and exported a model that tags nothing, with exit status 0."""
    overrides = ["trainer.learning_rate=1e9", "trainer.epochs=2", "data.limit=8", *QUIET]
    cfg = compose_train([*overrides, f"output_dir={tmp_path}"])
    with pytest.raises(TrainingDiverged, match=r"the dev loss is nan after epoch 1, .*now 1e\+09"):
        train(cfg)
    assert not (tmp_path / "model").exists()


def test_a_run_without_dev_stops_when_its_training_loss_turns_nan(tmp_path: Path) -> None:
    """Without dev the epoch's training loss is the signal; transformers drops nan losses from
    the mean it reports, so ``metrics.json`` gave a loss of 0.0 or 1.8 for such runs."""
    with pytest.raises(TrainingDiverged, match="the training loss is nan after epoch 1"):
        run_training(
            DataConfig(train=str(SAMPLE / "train.jsonl"), limit=8),
            ModelConfig(),
            EncodingConfig(max_length=64, stride=16),
            TrainerConfig(
                epochs=2, learning_rate=1e9, device="cpu", progress_bar=False, tensorboard=False
            ),
            tmp_path,
        )
    assert not (tmp_path / "model").exists()


def test_a_window_longer_than_the_models_positions_is_refused(tmp_path: Path) -> None:
    cfg = compose_train(["encoding.max_length=600", f"output_dir={tmp_path}", *QUIET])
    with pytest.raises(ValueError, match="max_length=600 is more than the 512 positions"):
        train(cfg)


def test_a_sweep_goes_on_past_a_failed_run_and_lists_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from araevent.cli.main import main

    monkeypatch.chdir(REPO)
    sweep = tmp_path / "sweep"
    with pytest.raises(SystemExit) as exit_info:
        main(
            ["train", "-m", "trainer.warmup_ratio=1.5,0.1", "data.limit=4", "trainer.max_steps=2",
             f"hydra.sweep.dir={sweep}", *QUIET]
        )  # fmt: skip
    assert exit_info.value.code == 1
    assert (sweep / "1" / "metrics.json").is_file()  # the run after the failed one ran
    summary = (sweep / "summary.md").read_text(encoding="utf-8")
    assert "| trainer.warmup_ratio=0.1 | tiny |" in summary
    assert (
        "## failed\n\n- `0` (trainer.warmup_ratio=1.5): trainer.warmup_ratio is a share" in summary
    )
    # the same sweep fixed and run again in its folder: the old failure is gone
    assert main(
        ["train", "-m", "trainer.warmup_ratio=0.2,0.1", "data.limit=4", "trainer.max_steps=2",
         f"hydra.sweep.dir={sweep}", *QUIET]
    ) == 0  # fmt: skip
    assert "failed" not in (sweep / "summary.md").read_text(encoding="utf-8")


OWN_HEAD_FIRST = [
    "data.auxiliary=[{path: data/sample/test.jsonl, annotates: [ACTOR, PLACE], head: own,"
    " label_map: 'ACTOR=ACTOR,PLACE=PLACE,DATE=,TRIGGER='}]",
    "data.auxiliary_first_epochs=1",
]


@pytest.mark.slow
@pytest.mark.parametrize("recipe", [[], OWN_HEAD_FIRST], ids=["plain", "own-head-first"])
def test_two_process_distributed_training_on_cpu(tmp_path: Path, recipe: list[str]) -> None:
    """The same command under torchrun: two CPU processes (gloo) train a few steps together,
    also with an auxiliary corpus fitted first through a head of its own (its heads run inside
    the model's forward, as DDP requires)."""
    import json
    import subprocess
    import sys

    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",  # its own free port: no clash with another run on 29500
        "--nproc_per_node",
        "2",
        "-m",
        "araevent.cli.main",
        "train",
        "data.limit=8",
        "data.test=null",
        "trainer.max_steps=4",
        "trainer.device=cpu",
        f"hydra.run.dir={tmp_path}",
        *QUIET,
        *recipe,
    ]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]  # what went wrong, not only that it did
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["train"]["processes"] == 2
    assert metrics["train"]["steps"] == 4
    if recipe:  # max_steps bounds the first fit too
        assert metrics["train"]["auxiliary_first"]["steps"] == 4
    assert (tmp_path / "model" / "model.safetensors").is_file()
