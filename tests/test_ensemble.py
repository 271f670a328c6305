"""Ensembles: the members' probabilities averaged before the decoder, through Predictor and CLI."""

from __future__ import annotations

import json
import pickle
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from araevent import Predictor
from araevent.cli.main import main
from araevent.decoding import log_softmax
from araevent.ensemble import EnsembleRunner, mean_log_probs
from araevent.features import EncodingConfig
from araevent.io import load
from araevent.training import TrainResult
from tests.conftest import SAMPLE, model_copy, train_tiny

TEXTS = [
    *(doc.text for doc in load(SAMPLE / "dev.jsonl")),
    "قَصَفَتْ الطائـــرات التركية مواقعَ في الرقة",
    "\u200fأعلنت\u200e الحكومة \u061cوالروس\u200f انسحاب القوات",
    "",
]


def direct_mean(logits: list[np.ndarray]) -> np.ndarray:
    """``log(mean(softmax))`` as written, in float64: right wherever nothing overflows."""
    probs = [np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True) for x in logits]
    result: np.ndarray = np.log(np.mean(probs, axis=0))
    return result


@given(
    st.integers(1, 4).flatmap(
        lambda k: st.lists(
            arrays(np.float64, (3, 5), elements=st.floats(-30, 30)), min_size=k, max_size=k
        )
    )
)
def test_the_ensemble_is_the_log_of_the_mean_probability(logits: list[np.ndarray]) -> None:
    got = mean_log_probs(logits)
    np.testing.assert_allclose(got, direct_mean(logits), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(np.exp(got).sum(axis=-1), 1.0, rtol=1e-9)


def test_extreme_logits_stay_finite() -> None:
    sure_a = np.array([[1e4, -1e4, 0.0]], dtype=np.float32)
    sure_b = np.array([[-1e4, 1e4, 0.0]], dtype=np.float32)
    got = mean_log_probs([sure_a, sure_b])
    assert got.dtype == np.float32 and np.isfinite(got).all()
    np.testing.assert_allclose(got[0, :2], np.log([0.5, 0.5]), rtol=1e-6)
    # a tag both members find unlikely keeps its log-probability; softmax then log: log(0)
    assert got[0, 2] == pytest.approx(-1e4, rel=1e-6)
    np.testing.assert_allclose(mean_log_probs([sure_a, sure_a]), log_softmax(sure_a))


def test_identical_members_give_the_members_log_probabilities() -> None:
    logits = np.random.default_rng(0).normal(0, 5, (2, 7, 9)).astype(np.float32)
    got = mean_log_probs([logits, logits, logits])
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, log_softmax(logits), rtol=1e-6, atol=1e-6)
    # what the decoder does with it: log_softmax leaves log-probabilities as they are
    np.testing.assert_allclose(log_softmax(got), got, rtol=1e-6, atol=1e-6)


def test_the_runner_gives_every_member_the_same_batch() -> None:
    seen: list[tuple[np.ndarray, np.ndarray]] = []

    def member(scale: float) -> Any:
        def run(input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
            seen.append((input_ids, attention_mask))
            return scale * np.stack([input_ids, attention_mask, -input_ids], axis=-1)

        return run

    ids = np.array([[5, 6, 7], [8, 9, 0]], dtype=np.int64)
    mask = np.array([[1, 1, 1], [1, 1, 0]], dtype=np.int64)
    got = EnsembleRunner([member(1.0), member(0.5)])(ids, mask)
    assert [(a is ids, b is mask) for a, b in seen] == [(True, True), (True, True)]
    expected = direct_mean([s * np.stack([ids, mask, -ids], axis=-1) for s in (1.0, 0.5)])
    np.testing.assert_allclose(got, expected, rtol=1e-9)


def test_an_ensemble_needs_members_of_one_shape() -> None:
    with pytest.raises(ValueError, match="at least one member"):
        EnsembleRunner([])
    with pytest.raises(ValueError, match="different shapes"):
        mean_log_probs([np.zeros((2, 3)), np.zeros((2, 4))])


@pytest.fixture(scope="module")
def model_dir(tiny_run: TrainResult) -> Path:
    return tiny_run.model_dir


@pytest.fixture(scope="module")
def single(model_dir: Path) -> Predictor:
    return Predictor.from_pretrained(model_dir, device="cpu", batch_size=4)


@pytest.fixture(scope="module")
def other_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second tiny model, different weights (fewer epochs, no dev selection), same
    tokenizer and encoding as ``tiny_run``."""
    out = tmp_path_factory.mktemp("other-run")
    return train_tiny(
        SAMPLE / "train.jsonl", out, EncodingConfig(max_length=64, stride=16), 4
    ).model_dir


def spans(entities: list[list[Any]]) -> list[list[tuple[int, int, str]]]:
    return [[(e.start, e.end, e.label) for e in ents] for ents in entities]


def test_identical_members_give_exactly_the_models_entities(
    single: Predictor, model_dir: Path, tmp_path: Path
) -> None:
    copy = shutil.copytree(model_dir, tmp_path / "copy")
    expected = single.predict_batch(TEXTS)
    assert sum(map(len, expected)) > 20  # the model predicts: the check is not vacuous
    for folders in ([model_dir, model_dir], [model_dir, copy, model_dir]):
        got = Predictor.ensemble(folders, device="cpu", batch_size=4).predict_batch(TEXTS)
        assert spans(got) == spans(expected)
        scores = [e.score for ents in got for e in ents]
        assert scores == pytest.approx([e.score for ents in expected for e in ents], abs=1e-5)


def test_two_models_average_their_probabilities(
    single: Predictor, model_dir: Path, other_dir: Path
) -> None:
    ensemble = Predictor.ensemble([model_dir, other_dir], device="cpu", batch_size=4)
    assert isinstance(ensemble.runner, EnsembleRunner)
    assert ensemble.precision == single.precision
    first, second = ensemble.runner.members
    encoded = ensemble.tokenizer(TEXTS[:3], add_special_tokens=True, padding=True)
    ids = np.array(encoded["input_ids"], dtype=np.int64)
    mask = np.array(encoded["attention_mask"], dtype=np.int64)
    a, b = first(ids, mask), second(ids, mask)
    assert not np.allclose(a, b)  # two different models, not one twice
    np.testing.assert_allclose(
        ensemble.runner(ids, mask), direct_mean([a, b]), rtol=1e-5, atol=1e-5
    )
    got = ensemble.predict_batch(TEXTS)
    assert sum(map(len, got)) > 0
    for text, entities in zip(TEXTS, got, strict=True):
        assert all(text[e.start : e.end] == e.text and 0 <= e.score <= 1 for e in entities)


def edited(source: Path, dest: Path, name: str, edit: Any) -> Path:
    """A copy of the model folder ``source`` whose JSON file ``name`` ``edit`` has changed."""
    shutil.copytree(source, dest)
    content = json.loads((dest / name).read_text(encoding="utf-8"))
    edit(content)
    (dest / name).write_text(json.dumps(content), encoding="utf-8")
    return dest


def _rename_a_token(tokenizer: dict[str, Any]) -> None:
    vocab = tokenizer["model"]["vocab"]
    token = next(t for t in vocab if not t.startswith("["))
    vocab["zz" + token] = vocab.pop(token)


@pytest.mark.parametrize(
    ("name", "edit", "what"),
    [
        ("araevent.json", lambda s: s.update(labels=["ACTOR", "PLACE"]), "labels ACTOR, PLACE"),
        (
            "araevent.json",
            lambda s: s["encoding"].update(max_length=128),
            "encoding max_length 128 (first: 64)",
        ),
        ("tokenizer.json", _rename_a_token, "tokenizer.json"),
        (
            "tokenizer_config.json",
            lambda s: s.update(cls_token="[SEP]"),
            "special tokens cls_token '[SEP]'",
        ),
    ],
)
def test_members_that_differ_are_refused_naming_the_folder(
    model_dir: Path, tmp_path: Path, name: str, edit: Any, what: str
) -> None:
    other = edited(model_dir, tmp_path / "other", name, edit)
    with pytest.raises(ValueError) as raised:
        Predictor.ensemble([model_dir, other], device="cpu")
    message = str(raised.value)
    assert message.startswith(f"{other} differs from the first member {model_dir}: ")
    assert what in message and "\n" not in message


def test_an_ensemble_takes_a_list_of_folders(model_dir: Path) -> None:
    with pytest.raises(TypeError, match="list of model folders"):
        Predictor.ensemble(str(model_dir))
    with pytest.raises(ValueError, match="at least one model folder"):
        Predictor.ensemble([])


def test_an_ensemble_pickles_as_its_folders(
    model_dir: Path, other_dir: Path, tmp_path: Path
) -> None:
    ensemble = Predictor.ensemble([model_dir, other_dir], device="cpu", batch_size=4)
    payload = pickle.dumps(ensemble)
    assert len(payload) < 2_000  # folders and settings, not weights
    clone = pickle.loads(payload)
    assert isinstance(clone.runner, EnsembleRunner) and len(clone.runner.members) == 2
    assert clone.batch_size == 4
    assert spans(clone.predict_batch(TEXTS)) == spans(ensemble.predict_batch(TEXTS))


def test_onnx_members(exported: Path) -> None:
    single = Predictor.from_pretrained(exported, backend="onnx")
    ensemble = Predictor.ensemble([exported, exported], backend="onnx")
    assert ensemble.precision == single.precision
    assert spans(ensemble.predict_batch(TEXTS)) == spans(single.predict_batch(TEXTS))


def micro_f1(folder: Path) -> tuple[float, dict[str, Any]]:
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    return metrics["strict"]["micro"]["f1"], metrics["meta"]


def test_evaluate_with_the_same_model_twice_scores_as_the_model(
    model_dir: Path, tmp_path: Path
) -> None:
    quick = ["--bootstrap", "0", "--no-seqeval", str(SAMPLE / "dev.jsonl")]
    model = ["--model", str(model_dir)]
    assert main(["evaluate", *model, *quick, "--out", str(tmp_path / "one")]) == 0
    assert main(["evaluate", *model, *model, *quick, "--out", str(tmp_path / "two")]) == 0
    f1, meta = micro_f1(tmp_path / "one")
    f1_twice, meta_twice = micro_f1(tmp_path / "two")
    assert f1_twice == f1 > 0
    assert meta["model"] == str(model_dir) and "members" not in meta
    assert meta_twice["members"] == [str(model_dir), str(model_dir)]
    assert meta_twice["model"] == f"{model_dir} + {model_dir}"


def test_predict_with_two_models(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.jsonl"
    shutil.copy(SAMPLE / "dev.jsonl", source)
    model = ["--model", str(model_dir)]
    assert main(["predict", *model, str(source), "--no-progress"]) == 0
    once = capsys.readouterr().out
    assert main(["predict", *model, *model, str(source), "--no-progress"]) == 0
    twice = capsys.readouterr().out

    def read(out: str) -> list[Any]:
        records = [json.loads(line) for line in out.splitlines()]
        return [[(e["start"], e["end"], e["label"]) for e in r["entities"]] for r in records]

    assert read(twice) == read(once) and any(read(once))


def test_evaluate_refuses_members_that_differ_in_one_line(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = model_copy(model_dir, tmp_path / "other", lambda s: s.update(labels=["ACTOR"]))
    args = ["evaluate", "--model", str(model_dir), "--model", str(other)]
    assert main([*args, str(SAMPLE / "dev.jsonl")]) == 1
    err = capsys.readouterr().err
    assert re.fullmatch(rf"error: {re.escape(str(other))} differs .*labels ACTOR.*\n", err)
