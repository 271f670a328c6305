"""The Predictor users import: same spans as training's path, exact offsets, robust input."""

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from araevent import Predictor
from araevent.features import EncodingConfig
from araevent.inference import predict_documents
from araevent.io import load
from araevent.training import TrainResult
from tests.conftest import SAMPLE, SCORE_NOISE, model_copy


@pytest.fixture(scope="module")
def model_dir(tiny_run: TrainResult) -> Path:
    return tiny_run.model_dir


@pytest.fixture(scope="module")
def predictor(model_dir: Path) -> Predictor:
    return Predictor.from_pretrained(model_dir, device="cpu", batch_size=4)


def test_loaded_predictor_matches_the_in_memory_path(predictor: Predictor, model_dir: Path) -> None:
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    docs = list(load(SAMPLE / "dev.jsonl"))
    model = AutoModelForTokenClassification.from_pretrained(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    expected = predict_documents(
        model,
        tokenizer,
        docs,
        EncodingConfig(max_length=64, stride=16),
        predictor.schema,
        device="cpu",
        own_weights=True,  # as a run scores its splits
    )
    got = predictor.predict_batch([d.text for d in docs])
    assert [[(e.start, e.end, e.label) for e in ents] for ents in got] == [
        [(s.start, s.end, s.label) for s in d.spans] for d in expected
    ]
    assert sum(map(len, got)) > 50  # the model has learnt something to predict


# a training sentence: the tiny model tags it, so checks on it cannot pass vacuously
KNOWN = load(SAMPLE / "train.jsonl")[0].text.split(".")[0] + "."
HARD_TEXTS = [
    "قَصَفَتْ الطائـــرات التركية مواقعَ في الرقة",
    "\u200fأعلنت\u200e الحكومة \u061cوالروس\u200f انسحاب القوات",
    "للنظام السوري، وبالقوات الأمريكية: «هجوم» في ٣ آذار ٢٠٢٠!",
]


def test_offsets_point_into_the_callers_text(predictor: Predictor) -> None:
    train_texts = [d.text for d in load(SAMPLE / "train.jsonl")]
    for text in [*HARD_TEXTS, *train_texts]:
        for entity in predictor.predict(text):
            assert text[entity.start : entity.end] == entity.text
            assert text[entity.core_start : entity.core_end] in entity.text
            assert 0.0 <= entity.score <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "no Arabic at all",
        "😀🚀 هجوم 🚀",
        "\x00\x07 control \x1b",
        "قصف \ud800 lone \udfff surrogates",
        "\u200e\u200f\u061c",
        "ـــــ",
    ],
)
def test_odd_inputs_give_valid_output(predictor: Predictor, text: str) -> None:
    assert all(text[e.start : e.end] == e.text for e in predictor.predict(text))
    # around a sentence the model tags, so that offsets after the odd characters are checked
    framed = f"{text} {KNOWN} {text}"
    entities = predictor.predict(framed)
    assert entities and all(framed[e.start : e.end] == e.text for e in entities)


def test_a_megabyte_document(predictor: Predictor) -> None:
    sentence = KNOWN + " "
    text = sentence * (1_000_000 // len(sentence))
    entities = predictor.predict(text)
    assert all(text[e.start : e.end] == e.text for e in entities)
    assert entities and entities[-1].start > len(text) * 0.99  # predicted up to the end


def test_non_strings_are_a_type_error(predictor: Predictor) -> None:
    with pytest.raises(TypeError, match="text 1 is bytes"):
        predictor.predict_batch(["نص", b"bytes"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="not one str"):
        predictor.predict_batch("نص")
    with pytest.raises(TypeError, match="text 5 is int"):  # counted over the whole stream
        list(predictor.pipe(["نص"] * 5 + [1], batch_size=2))  # type: ignore[list-item]
    # iterables that are not texts: a dict's keys were predicted, silently
    with pytest.raises(TypeError, match="not a dict"):
        predictor.predict_batch({"text": "نص"})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not a bytes"):
        list(predictor.pipe(b"abc"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="predict takes one str, not list; for several texts"):
        predictor.predict(["نص"])  # type: ignore[arg-type]


def test_empty_batches_and_iterables(predictor: Predictor) -> None:
    assert predictor.predict_batch([]) == [] and list(predictor.pipe([])) == []
    texts = [KNOWN, "نص"]
    assert predictor.predict_batch(t for t in texts) == predictor.predict_batch(texts)


def test_a_device_torch_cannot_use_is_a_clear_error(model_dir: Path) -> None:
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU: use cpu"):
            Predictor.from_pretrained(model_dir, device="cuda")
    with pytest.raises(ValueError, match="unknown device 'gpu0'"):
        Predictor.from_pretrained(model_dir, device="gpu0")


def test_pipe_streams_in_order(predictor: Predictor) -> None:
    texts = [d.text for d in load(SAMPLE / "dev.jsonl")]
    streamed = list(predictor.pipe(iter(texts), batch_size=3))

    batched = predictor.predict_batch(texts)
    assert [[(e.start, e.end, e.label) for e in ents] for ents in streamed] == [
        [(e.start, e.end, e.label) for e in ents] for ents in batched
    ]
    # batches pad differently, which moves scores in the last digits of the precision
    scores = [e.score for ents in batched for e in ents]
    assert [e.score for ents in streamed for e in ents] == pytest.approx(scores, abs=SCORE_NOISE)


def test_a_folder_that_is_not_a_model(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(
        FileNotFoundError,
        match=r"missing tokenizer\.json, tokenizer_config\.json, araevent\.json, "
        r"model\.safetensors",
    ):
        Predictor.from_pretrained(tmp_path)
    with pytest.raises(FileNotFoundError, match="is a file: give the model folder"):
        Predictor.from_pretrained(tmp_path / "config.json")


def test_a_model_folder_with_a_broken_settings_file_is_named(
    model_dir: Path, tmp_path: Path
) -> None:
    folder = model_copy(model_dir, tmp_path / "model", lambda s: s.pop("encoding"))
    with pytest.raises(ValueError, match=r"araevent\.json: not a valid araevent settings file"):
        Predictor.from_pretrained(folder)
    (folder / "tokenizer_config.json").unlink()  # would load, and split words differently
    with pytest.raises(FileNotFoundError, match=r"missing tokenizer_config\.json"):
        Predictor.from_pretrained(folder)


def test_batch_sizes_below_one_are_refused(model_dir: Path, predictor: Predictor) -> None:
    """A negative batch size used to return no entity at all, silently."""
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got -3"):
        Predictor.from_pretrained(model_dir, device="cpu", batch_size=-3)
    with pytest.raises(ValueError, match="got 0"):
        list(predictor.pipe(["نص"], batch_size=0))
    with pytest.raises(TypeError, match="not one str"):
        list(predictor.pipe("نص"))


def test_importing_the_predictor_pulls_in_neither_hydra_nor_datasets() -> None:
    code = (
        "import sys; from araevent import Predictor; import araevent.predictor; "
        "import araevent.inference; "
        "print(sorted(m for m in ('hydra', 'datasets', 'omegaconf') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_entities_serialise(predictor: Predictor) -> None:
    import json

    entities: list[Any] = predictor.predict(KNOWN + " " + HARD_TEXTS[2])
    records = json.loads(json.dumps([e.to_dict() for e in entities], ensure_ascii=False))
    assert entities and records == [e.to_dict() for e in entities]


def test_loading_and_predicting_print_nothing(
    model_dir: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """No "Loading weights" bar, no load report: a library prints nothing unless asked."""
    capfd.readouterr()
    predictor = Predictor.from_pretrained(model_dir, device="cpu")
    assert predictor.predict(KNOWN)
    assert capfd.readouterr() == ("", "")


@pytest.mark.parametrize(("flags", "dtype"), [({}, "float32"), ({"amx_bf16": True}, "bfloat16")])
def test_auto_dtype_is_bf16_only_where_the_cpu_has_it(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch, flags: dict[str, bool], dtype: str
) -> None:
    import torch

    from araevent.torch_runner import TorchRunner

    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"avx2": True, **flags})
    predictor = Predictor.from_pretrained(model_dir, device="cpu")
    assert predictor.precision.dtype == dtype
    assert predictor.precision.reason.startswith("auto: cpu with")
    assert isinstance(predictor.runner, TorchRunner)
    assert predictor.runner.dtype == getattr(torch, dtype)


def test_bf16_prediction_gives_valid_spans(model_dir: Path, predictor: Predictor) -> None:
    import pickle

    bf16 = Predictor.from_pretrained(model_dir, device="cpu", dtype="bfloat16", batch_size=4)
    assert pickle.loads(pickle.dumps(bf16)).precision == bf16.precision
    texts = [KNOWN, *HARD_TEXTS, *(d.text for d in load(SAMPLE / "dev.jsonl"))]
    got = bf16.predict_batch(texts)
    for text, entities in zip(texts, got, strict=True):
        assert all(text[e.start : e.end] == e.text and 0 <= e.score <= 1 for e in entities)
    # bf16 rounds the logits, it does not change what the model predicts
    reference = predictor.predict_batch(texts)
    same = sum(
        len({(e.start, e.end, e.label) for e in a} & {(e.start, e.end, e.label) for e in b})
        for a, b in zip(got, reference, strict=True)
    )
    assert same >= 0.9 * sum(map(len, reference)) > 0


def test_a_bf16_predictor_stores_its_weights_in_bf16_once(model_dir: Path) -> None:
    import torch

    from araevent.torch_runner import TorchRunner

    bf16 = Predictor.from_pretrained(model_dir, device="cpu", dtype="bfloat16")
    assert isinstance(bf16.runner, TorchRunner) and not bf16.runner.autocast
    assert {p.dtype for p in bf16.runner.model.parameters()} == {torch.bfloat16}
    assert all(KNOWN[e.start : e.end] == e.text for e in bf16.predict(KNOWN))


def test_bf16_evaluation_of_a_model_in_training_keeps_its_fp32_weights(model_dir: Path) -> None:
    import torch
    from transformers import AutoModelForTokenClassification

    predictor = Predictor.from_pretrained(model_dir, device="cpu")
    model = AutoModelForTokenClassification.from_pretrained(model_dir)
    documents = list(load(SAMPLE / "dev.jsonl"))[:2]
    tokenizer, encoding, schema = predictor.tokenizer, predictor.encoding, predictor.schema
    predict_documents(model, tokenizer, documents, encoding, schema, device="cpu", dtype="bfloat16")
    assert {p.dtype for p in model.parameters()} == {torch.float32}


def test_a_runs_evaluation_computes_bf16_logits_exactly_as_the_predictor(
    model_dir: Path,
) -> None:
    """A run scores its splits with ``own_weights=True`` on a copy of the model: bitwise the
    Predictor's bf16 logits, which autocast over fp32 weights is not."""
    import torch
    from transformers import AutoModelForTokenClassification

    from araevent.torch_runner import TorchRunner

    predictor = Predictor.from_pretrained(model_dir, device="cpu", dtype="bfloat16")
    model = AutoModelForTokenClassification.from_pretrained(model_dir)
    ids = np.random.default_rng(0).integers(5, 200, size=(2, 24))
    mask = np.ones_like(ids)
    own = TorchRunner(copy.deepcopy(model), "cpu", "bfloat16", own_weights=True)
    autocast = TorchRunner(model, "cpu", "bfloat16")
    assert np.array_equal(own(ids, mask), predictor.runner(ids, mask))
    assert not np.array_equal(autocast(ids, mask), predictor.runner(ids, mask))
    assert {p.dtype for p in model.parameters()} == {torch.float32}


def test_the_onnx_backend_takes_no_dtype(model_dir: Path) -> None:
    with pytest.raises(ValueError, match="applies to the torch backend; the onnx backend runs"):
        Predictor.from_pretrained(model_dir, backend="onnx", dtype="bfloat16")


def test_evaluate_records_the_precision_in_its_metadata(model_dir: Path, tmp_path: Path) -> None:
    import json

    from araevent.cli.main import main

    out = tmp_path / "eval"
    command = ["evaluate", "--model", str(model_dir), str(SAMPLE / "dev.jsonl")]
    assert main([*command, "--dtype", "float32", "--bootstrap", "0", "--out", str(out)]) == 0
    meta = json.loads((out / "metrics.json").read_text(encoding="utf-8"))["meta"]
    assert (meta["dtype"], meta["dtype_reason"]) == ("float32", "float32 asked for")


def test_threads_sets_torchs_intra_op_threads(model_dir: Path) -> None:
    import torch

    with pytest.raises(ValueError, match="threads must be a positive integer, got 0"):
        Predictor.from_pretrained(model_dir, device="cpu", threads=0)
    before = torch.get_num_threads()
    try:
        predictor = Predictor.from_pretrained(model_dir, device="cpu", threads=1)
        assert torch.get_num_threads() == 1 and predictor.predict(KNOWN)
    finally:
        torch.set_num_threads(before)
