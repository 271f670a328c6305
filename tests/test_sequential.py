"""Sequential transfer: the auxiliary corpora alone first, then the main corpus alone."""

import json
import math
from pathlib import Path

import pytest

from araevent.features import EncodingConfig
from araevent.modeling import load_tokenizer
from araevent.training import DataConfig, encode_split
from araevent.training.sequential import auxiliary_stage
from araevent.training.splits import uniform_columns
from araevent.training.trainer import fit
from tests.conftest import SAMPLE, auxiliary_data, tiny_trainer, train_with_auxiliary


def _data(**options: object) -> DataConfig:
    return auxiliary_data({"fraction": None}, **options)


def test_a_first_fit_on_the_auxiliary_corpus_comes_before_train_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import araevent.training.sequential as sequential

    fits: list[tuple[int, bool, bool]] = []  # (rows, with dev, saved) of each fit, in order

    def recording(net, tokenizer, rows, dev, *args, save=True):  # type: ignore[no-untyped-def]
        fits.append((len(rows), dev is not None, save))
        return fit(net, tokenizer, rows, dev, *args, save=save)

    monkeypatch.setattr(sequential, "fit", recording)
    trainer = tiny_trainer(2)
    result = train_with_auxiliary(_data(auxiliary_first_epochs=1), tmp_path)
    train = json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8"))["train"]
    first = train["auxiliary_first"]
    data = _data()
    windows = encode_split(
        data.load_auxiliary(data.auxiliary[0]).documents,
        load_tokenizer(str(result.model_dir)),
        data.schema,
        EncodingConfig(max_length=64, stride=16),
    ).rows
    assert first["epochs"] == 1 and first["windows"] == len(windows)  # each window once
    assert first["steps"] == math.ceil(len(windows) / trainer.batch_size)
    assert math.isfinite(first["loss"]) and first["seconds"] > 0
    assert train["auxiliary_windows"] == 0  # the main fit saw train alone
    assert fits == [(len(windows), False, False)]  # before it: no dev, no checkpoint written
    assert "dev" in result.evaluations


def test_rows_of_corpora_with_and_without_an_own_head_share_their_columns() -> None:
    shared, own = {"input_ids": [1], "annotated": 3}, {"input_ids": [2], "annotated": 3, "head": 1}
    rows = uniform_columns([shared, own], _data().schema)
    assert [(row["annotated"], row["head"]) for row in rows] == [(3, 0), (3, 1)]


def test_without_the_setting_auxiliary_rows_are_left_to_the_main_fit(tmp_path: Path) -> None:
    rows = [{"input_ids": [1, 2]}]
    net = object()
    kept = auxiliary_stage(
        _data(), net, None, rows, _data().schema, tiny_trainer(1), tmp_path, resumed=False
    )
    assert kept == (net, rows, None)


def test_a_resumed_run_does_not_fit_the_auxiliary_corpus_again(tmp_path: Path) -> None:
    net = object()
    data = _data(auxiliary_first_epochs=2)
    rows = [{"input_ids": [1, 2]}]
    kept = auxiliary_stage(
        data, net, None, rows, data.schema, tiny_trainer(1), tmp_path, resumed=True
    )
    assert kept == (net, [], None)


def test_a_first_fit_needs_an_auxiliary_corpus() -> None:
    with pytest.raises(ValueError, match=r"data\.auxiliary is empty"):
        DataConfig(train=str(SAMPLE / "train.jsonl"), auxiliary_first_epochs=1)
