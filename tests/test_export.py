"""Exported model folders: round trip, model card, transformers pipeline, atomic writes, ONNX,
pickling for worker processes and event records."""

from __future__ import annotations

import json
import os
import pickle
import stat
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pytest

from araevent import Predictor
from araevent.export import export_model
from araevent.io import load
from araevent.training import TrainResult
from tests.conftest import SAMPLE, model_copy

TEXTS = [d.text for d in load(SAMPLE / "dev.jsonl")]


def spans(predictor: Predictor, texts: list[str] = TEXTS) -> list[list[tuple[int, int, str]]]:
    return [[(e.start, e.end, e.label) for e in ents] for ents in predictor.predict_batch(texts)]


@pytest.fixture(scope="module")
def torch_predictor(exported: Path) -> Predictor:
    """fp32 whatever the CPU: the ONNX file it is compared with computes in fp32."""
    return Predictor.from_pretrained(exported, device="cpu", dtype="float32")


def test_export_round_trip_predicts_what_the_trained_model_predicts(
    tiny_run: TrainResult, exported: Path, torch_predictor: Predictor
) -> None:
    trained = Predictor.from_pretrained(tiny_run.model_dir, device="cpu", dtype="float32")
    assert spans(torch_predictor) == spans(trained)
    # the run scored dev as a default Predictor of its folder predicts (bf16 where native)
    default = Predictor.from_pretrained(tiny_run.model_dir, device="cpu")
    predicted = load(tiny_run.output_dir / "dev" / "predictions.jsonl")
    assert spans(default) == [[(s.start, s.end, s.label) for s in d.spans] for d in predicted]


def test_exported_folder_is_self_describing(tiny_run: TrainResult, exported: Path) -> None:
    from araevent import __version__

    meta = json.loads((exported / "araevent.json").read_text(encoding="utf-8"))
    assert meta["araevent_version"] == __version__
    assert meta["labels"] == ["ACTOR", "PLACE", "DATE", "TRIGGER"] or set(meta["labels"]) == {
        "ACTOR", "PLACE", "DATE", "TRIGGER"
    }  # fmt: skip
    assert len(meta["training"]["data_sha256"]) == 64
    dev_f1 = tiny_run.metrics["dev"]["strict"]["micro"]["f1"]
    assert meta["metrics"]["dev"]["f1"] == dev_f1
    card = (exported / "README.md").read_text(encoding="utf-8")
    assert f"**{dev_f1:.3f}**" in card and "Intended use" in card
    assert not list(exported.glob("*.bin")) and not list(exported.glob("*.pt"))


def test_model_folders_are_readable_by_others_as_the_umask_allows(
    tiny_run: TrainResult, exported: Path
) -> None:
    umask = os.umask(0)
    os.umask(umask)
    for folder in (exported, tiny_run.model_dir):  # an export, and training's own model folder
        assert stat.S_IMODE(folder.stat().st_mode) == 0o777 & ~umask
        for path in folder.iterdir():
            assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path.name


def test_transformers_pipeline_loads_the_export(exported: Path) -> None:
    from transformers import pipeline

    tagger = pipeline("token-classification", model=str(exported), aggregation_strategy="first")
    found = tagger(TEXTS[0][:300])
    assert found and {e["entity_group"] for e in found} <= {"ACTOR", "PLACE", "DATE", "TRIGGER"}


def test_export_is_atomic(
    tiny_run: TrainResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import araevent.export as export

    out = tmp_path / "model"

    def crash(meta: object) -> str:
        raise OSError("disk full")

    monkeypatch.setattr(export, "model_card", crash)
    with pytest.raises(OSError, match="disk full"):
        export_model(tiny_run.output_dir, out)
    assert list(tmp_path.iterdir()) == []  # nothing half-written left behind
    monkeypatch.undo()
    export_model(tiny_run.output_dir, out)
    with pytest.raises(FileExistsError, match="--force"):
        export_model(tiny_run.output_dir, out)
    assert (out / "README.md").is_file()


def test_onnx_logits_match_torch(exported: Path, torch_predictor: Predictor) -> None:
    onnx = Predictor.from_pretrained(exported, backend="onnx")
    rng = np.random.default_rng(0)
    ids = rng.integers(5, 500, size=(3, 40))
    mask = np.ones_like(ids)
    mask[1, 30:] = 0
    expected = torch_predictor.runner(ids, mask)
    got = onnx.runner(ids, mask)
    assert np.abs(expected - got).max() < 1e-4
    assert spans(onnx) == spans(torch_predictor)


def test_int8_model_runs_and_keeps_offsets(exported: Path) -> None:
    int8 = Predictor.from_pretrained(exported, backend="onnx", onnx_file="model.int8.onnx")
    assert (exported / "model.int8.onnx").stat().st_size < (exported / "model.onnx").stat().st_size
    for text, entities in zip(TEXTS, int8.predict_batch(TEXTS), strict=True):
        assert all(text[e.start : e.end] == e.text for e in entities)


def test_onnx_backend_does_not_import_torch(exported: Path, torch_predictor: Predictor) -> None:
    code = (
        "import sys; from araevent import Predictor; "
        f"p = Predictor.from_pretrained({str(exported)!r}, backend='onnx'); "
        f"print(len(p.predict({TEXTS[0]!r})), 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    found, torch_imported = out.stdout.split()
    assert int(found) == len(spans(torch_predictor)[0]) > 0
    assert torch_imported == "False"


def test_onnx_labels_that_disagree_with_the_settings_are_refused_at_load(
    exported: Path, tmp_path: Path
) -> None:
    folder = model_copy(exported, tmp_path / "model", lambda s: s.update(labels=["ACTOR", "PLACE"]))
    with pytest.raises(ValueError, match=r"model\.onnx scores 9 tags, araevent\.json names 5"):
        Predictor.from_pretrained(folder, backend="onnx")


def test_a_folder_without_onnx_says_what_is_missing(tiny_run: TrainResult) -> None:
    with pytest.raises(FileNotFoundError, match=r"missing model\.onnx.*araevent export"):
        Predictor.from_pretrained(tiny_run.model_dir, backend="onnx")


def _predict_in_worker(args: tuple[Predictor, str]) -> list[tuple[int, int, str]]:
    predictor, text = args
    return [(e.start, e.end, e.label) for e in predictor.predict(text)]


def test_predictor_goes_to_worker_processes(torch_predictor: Predictor) -> None:
    clone = pickle.loads(pickle.dumps(torch_predictor))
    assert spans(clone, TEXTS[:2]) == spans(torch_predictor, TEXTS[:2])
    # spawn, not fork: a forked child inherits torch's thread pool in a state it can hang on
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        got = list(pool.map(_predict_in_worker, [(torch_predictor, t) for t in TEXTS[:4]]))
    assert got == spans(torch_predictor, TEXTS[:4])


def test_a_hand_built_predictor_refuses_to_pickle(torch_predictor: Predictor) -> None:
    bare = Predictor(
        torch_predictor.runner,
        torch_predictor.tokenizer,
        torch_predictor.schema,
        torch_predictor.encoding,
    )
    with pytest.raises(TypeError, match="from_pretrained"):
        pickle.dumps(bare)


def test_predict_events_links_triggers_to_their_sentence(torch_predictor: Predictor) -> None:
    text = TEXTS[0]
    records = torch_predictor.predict_events(text)
    triggers = [e for e in torch_predictor.predict(text) if e.label == "TRIGGER"]
    assert len(records) == len(triggers) > 0
    for record in records:
        data = record.to_dict()
        json.dumps(data, ensure_ascii=False)
        sentence = data["sentence"]
        for argument in data["actors"] + data["places"] + data["dates"]:
            assert sentence["start"] <= argument["start"] < sentence["end"]
            assert text[argument["start"] : argument["end"]] == argument["text"]
