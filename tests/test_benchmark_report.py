"""scripts/benchmark_report.py on a small suite built in ``tmp_path``.

The fixtures have the shapes ``araevent train``, ``scripts/bench_train.py`` and
``scripts/bench_predict.py --json`` write, with figures chosen so that every formatted number
in report.md can be checked exactly.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import load_script

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

NEWS_COMMAND = "araevent train experiment=news-small-encoder trainer.device=cpu"
ANERCORP_COMMAND = "araevent train data=anercorp model=small-encoder"
TRAIN_COMMAND = "python scripts/bench_train.py --run-ner run_ner.py --model random-bert-base"
ARAEVENT_COMMAND = "python -m araevent.cli.main train data=araevent-news trainer=gpu"
RUN_NER_COMMAND = "python run_ner.py --model_name_or_path=random-bert-base --do_train"
PREDICT_COMMAND = "python scripts/bench_predict.py --model m --data dev.jsonl --json p.json"


br = load_script("benchmark_report")


def _counts(precision: float, recall: float, f1: float, support: int) -> dict[str, Any]:
    tp = round(recall * support)
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "tp": tp,
        "fp": round(tp / precision) - tp,
        "fn": support - tp,
        "support": support,
    }


def _seqeval_report(per_label: dict[str, dict[str, Any]], micro_f1: float) -> dict[str, Any]:
    def entry(c: dict[str, Any]) -> dict[str, Any]:
        return {
            "precision": c["precision"],
            "recall": c["recall"],
            "f1-score": c["f1"],
            "support": float(c["support"]),
        }

    report = {label: entry(c) for label, c in per_label.items()}
    average = {"precision": 0.8, "recall": 0.8, "f1-score": micro_f1, "support": 750.0}
    report.update({"micro avg": average, "macro avg": average, "weighted avg": average})
    return report


def _split(
    labels: dict[str, dict[str, Any]],
    micro: dict[str, Any],
    split: str,
    bootstrap: dict[str, Any] | None = None,
    seqeval: dict[str, Any] | None = None,
) -> dict[str, Any]:
    scores: dict[str, Any] = {
        "araevent_version": "0.1.0",
        "documents": 72,
        "labels": list(labels),
        "strict": {"micro": micro, "macro_f1": 0.8289, "per_label": labels},
        "meta": {
            "split": split,
            "gold": f"../shared/data/corpus/{split}.jsonl",
            "model": "../shared/models/araevent-small-encoder",
            "gold_sha256": "0" * 64,
        },
    }
    if bootstrap is not None:
        scores["bootstrap"] = bootstrap
    if seqeval is not None:
        scores["seqeval"] = seqeval
    return scores


def _news_metrics() -> dict[str, Any]:
    """Dev only, with bootstrap intervals and seqeval, as a run with those options writes."""
    labels = {
        "ACTOR": _counts(0.7636, 0.8294, 0.7952, 475),
        "PLACE": _counts(0.8796, 0.8359, 0.8571, 262),
    }
    micro = _counts(0.8101, 0.8101, 0.8100775, 737)
    bootstrap = {
        "samples": 1000,
        "seed": 0,
        "confidence": 0.95,
        "micro": {
            "precision": {"low": 0.7848, "high": 0.8328},
            "recall": {"low": 0.7885, "high": 0.8326},
            "f1": {"low": 0.7897, "high": 0.8298},
        },
        "per_label_f1": {
            "ACTOR": {"low": 0.7600, "high": 0.8269},
            "PLACE": {"low": 0.8064, "high": 0.9050},
        },
    }
    seqeval = {
        "strict": {"report": _seqeval_report(labels, 0.8043), "unaligned_spans": 0},
        "conlleval": {"report": _seqeval_report(labels, 0.8121), "unaligned_spans": 0},
    }
    train: dict[str, Any] = {"seconds": 810.54, "documents": 360, "steps": 180}
    train.update({"tokens_per_second": 1234.4, "history": [], "peak_gpu_memory_bytes": None})
    return {"train": train, "dev": _split(labels, micro, "dev", bootstrap, seqeval)}


def _anercorp_metrics() -> dict[str, Any]:
    """Dev and test, no bootstrap (zero samples): the test split must be the one reported."""
    test_labels = {
        "PERS": _counts(0.9301, 0.9102, 0.9200, 500),
        "LOC": _counts(0.8899, 0.9003, 0.8950, 400),
    }
    dev_labels = {label: _counts(0.5, 0.5, 0.5, 100) for label in test_labels}
    no_samples = {"samples": 0, "seed": 0, "confidence": 0.95}
    return {
        "train": {"seconds": 42.0, "documents": 4000, "steps": 500},
        "dev": _split(dev_labels, _counts(0.5, 0.5, 0.5, 200), "dev", no_samples),
        "test": _split(test_labels, _counts(0.9111, 0.9066, 0.9088, 900), "test", no_samples),
    }


def _framework(command: str, f1s: list[float], tokens_per_second: float) -> dict[str, Any]:
    curve = [
        {"epoch": i + 1, "step": 10 * (i + 1), "train_seconds": 12.5 * (i + 1), "span_f1": f1}
        for i, f1 in enumerate(f1s)
    ]
    for point in curve:
        point["seconds"] = point["train_seconds"] + 2.0
    summary = {
        "train_seconds": 37.5,
        "wall_seconds": 43.5,
        "tokens_per_second": tokens_per_second,
        "words_per_second": tokens_per_second / 3,
        "mean_sequence_length": 250.0,
        "peak_gpu_memory_gib": 3.25,
        "mfu": 0.2143,
        "best_f1": max(f1s),
        "final_f1": f1s[-1],
    }
    return {
        "command": command,
        "curve": curve,
        "tokens_per_epoch": 90_000,
        "examples": 361,
        "truncated": 0 if command.startswith("python -m") else 12,
        "peak_gpu_memory_bytes": int(3.25 * 2**30),
        "summary": summary,
    }


def _train_speed() -> dict[str, Any]:
    return {
        "command": TRAIN_COMMAND,
        "date": "2026-11-25",
        "versions": {"python": "3.11.7", "torch": "2.13.0", "transformers": "5.24.0"},
        "model": "models/bench/train-speed/random-bert-base",
        "train_documents": 360,
        "train_words": 30412,
        "target_f1": 0.78,
        "frameworks": {
            "araevent": _framework(ARAEVENT_COMMAND, [0.61, 0.79, 0.80], 55_200.4),
            "run_ner": _framework(RUN_NER_COMMAND, [0.55, 0.70, 0.76], 48_100.0),
        },
    }


def _predict() -> dict[str, Any]:
    figures: list[tuple[str, float, float, float | None]] = [
        ("torch", 33.61, 2861.2, 0.668),
        ("onnx-int8", 72.44, 6166.0, 0.669),
        ("pipeline", 27.6, 2348.0, None),
    ]
    rows = [
        {"backend": b, "device": "cpu", "docs_per_second": d, "words_per_second": w, "f1": f1}
        for b, d, w, f1 in figures
    ]
    return {
        "command": PREDICT_COMMAND,
        "machine": "x86_64",
        "documents": 72,
        "words": 6134,
        "rows": rows,
    }


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    folder = tmp_path / "suite"
    runs = {
        "news-small-encoder": (_news_metrics(), NEWS_COMMAND),
        "anercorp-small-encoder": (_anercorp_metrics(), ANERCORP_COMMAND),
    }
    for name, (metrics, command) in runs.items():
        _write(folder / "quality" / name / "metrics.json", metrics)
        (folder / "quality" / name / "command.txt").write_text(command + "\n", encoding="utf-8")
    reference = {
        "label": "plain first-subword fine-tune (../shared README)",
        "micro_f1": 0.831,
        "metric": "seqeval conlleval",
        "per_label": {"ACTOR": 0.813},
    }
    _write(folder / "quality" / "references.json", {"news-small-encoder": reference})
    _write(folder / "train-speed" / "random-bert-base" / "results.json", _train_speed())
    _write(folder / "predict-cpu.json", _predict())
    return folder


def _report(suite: Path, *args: str) -> str:
    assert br.main([str(suite), *args]) == 0
    out = Path(args[-1]) if args else suite
    return (out / "report.md").read_text(encoding="utf-8")


def test_quality_tables(suite: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = _report(suite)
    assert "### news-small-encoder: dev split (72 documents)" in report
    assert "| label | P | R | F1 [95% interval] | support | reference F1 (quoted) |" in report
    assert "| ACTOR | 0.764 | 0.829 | 0.795 [0.760, 0.827] | 475 | 0.813 |" in report
    assert "| PLACE | 0.880 | 0.836 | 0.857 [0.806, 0.905] | 262 | - |" in report
    assert "| micro | 0.810 | 0.810 | 0.810 [0.790, 0.830] | 737 | 0.831 |" in report
    assert "seqeval strict micro F1 0.804; conlleval micro F1 0.812." in report
    assert "Training: 810.5 s, 180 steps, 360 documents, 1,234 sub-tokens/s." in report
    assert "Reference (quoted, not measured here): plain first-subword fine-tune" in report
    assert f"Command: `{NEWS_COMMAND}`" in report

    # test is preferred over dev, and a run without intervals has a plain F1 column
    assert "### anercorp-small-encoder: test split (72 documents)" in report
    assert "| label | P | R | F1 | support |" in report
    assert "| PERS | 0.930 | 0.910 | 0.920 | 500 |" in report
    assert "| micro | 0.911 | 0.907 | 0.909 | 900 |" in report
    assert "| PERS | 0.500 |" not in report
    assert f"Command: `{ANERCORP_COMMAND}`" in report
    assert "not run" not in report
    assert capsys.readouterr().err == ""


def test_speed_tables(suite: Path) -> None:
    report = _report(suite)
    assert "| framework | train s | sub-tokens/s | words/s | peak GPU GiB | MFU % " in report
    assert "| train s to F1 0.780 | truncated examples |" in report
    assert "| araevent | 37.5 | 55,200 | 18,400 | 3.25 | 21.4 | 0.800 | 25.0 | 0 of 361 |" in report
    assert "| run_ner | 37.5 | 48,100 | 16,033 | 3.25 | 21.4 | 0.760 | - | 12 of 361 |" in report
    assert "Versions: python 3.11.7, torch 2.13.0, transformers 5.24.0." in report
    for command in (TRAIN_COMMAND, ARAEVENT_COMMAND, RUN_NER_COMMAND, PREDICT_COMMAND):
        assert f"`{command}`" in report
    assert "### Inference speed: predict-cpu.json" in report
    assert "72 documents (6,134 words) on x86_64." in report
    assert "| torch | cpu | 33.6 | 2,861 | 0.668 |" in report
    assert "| onnx-int8 | cpu | 72.4 | 6,166 | 0.669 |" in report
    assert "| pipeline | cpu | 27.6 | 2,348 | - |" in report


def test_plots_written_and_deterministic(suite: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    first, second = tmp_path / "first", tmp_path / "second"
    _report(suite, "--out", str(first))
    _report(suite, "--out", str(second))
    for name in ("f1_per_label.png", "throughput.png"):
        data = (first / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert data == (second / name).read_bytes()
    assert not (suite / "report.md").exists()  # --out, not SUITE_DIR


def test_only_predictions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    _write(tmp_path / "predict-cpu.json", _predict())
    report = _report(tmp_path)
    assert "not run: quality" in report
    assert "not run: training speed" in report
    assert "### Inference speed: predict-cpu.json" in report
    assert not (tmp_path / "f1_per_label.png").exists()
    assert (tmp_path / "throughput.png").read_bytes().startswith(PNG_SIGNATURE)
    printed = capsys.readouterr().out.splitlines()
    assert printed == [str(tmp_path / "report.md"), str(tmp_path / "throughput.png")]


def test_empty_suite_writes_no_plot(tmp_path: Path) -> None:
    report = _report(tmp_path)
    assert report.count("not run: ") == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]


def test_without_matplotlib(
    suite: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    report = _report(suite)
    assert "| micro | 0.810 | 0.810 | 0.810 [0.790, 0.830] | 737 | 0.831 |" in report
    assert capsys.readouterr().err == br.NO_MATPLOTLIB + "\n"
    assert not list(suite.glob("*.png"))


def test_run_without_command_is_left_out(suite: Path) -> None:
    (suite / "quality" / "anercorp-small-encoder" / "command.txt").unlink()
    report = _report(suite)
    assert "anercorp-small-encoder: test split" not in report
    assert "Note: left out: quality/anercorp-small-encoder (no command in command.txt)" in report
    assert "### news-small-encoder: dev split" in report


def test_the_prediction_benchmark_prints_the_default_predictors_ratios(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The speed targets are ratios measured in one run, so the script prints them itself."""
    bench = load_script("bench_predict")
    rows: list[dict[str, object]] = [
        {"backend": "torch-fp32", "docs_per_second": 80.0},
        {"backend": "torch", "docs_per_second": 300.0},
        {"backend": "pipeline", "docs_per_second": 60.0},
        {"backend": "pipeline-bf16", "docs_per_second": 120.0},
    ]
    bench.print_ratios(rows)
    assert capsys.readouterr().out.splitlines() == [
        "default Predictor (torch): 5.00x pipeline",
        "default Predictor (torch): 2.50x pipeline-bf16",
    ]
    bench.print_ratios(rows[:2])  # no reference measured: nothing to compare
    assert capsys.readouterr().out == ""
