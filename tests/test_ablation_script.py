"""scripts/ablation.py: the seed rows of the ablation table in docs/benchmarks.md."""

import json
from pathlib import Path

import pytest

from araevent.training import TrainResult
from tests.conftest import load_script

ablation = load_script("ablation")


def test_rows_of_runs_give_mean_sd_interval_and_cost(
    tiny_run: TrainResult, capsys: pytest.CaptureFixture[str]
) -> None:
    run = str(tiny_run.output_dir)
    f1 = tiny_run.metrics["dev"]["strict"]["micro"]["f1"]
    assert ablation.main([f"base={run}", f"twice={run}*", "--samples", "50"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("python scripts/ablation.py")
    base, twice = out[3].split(" | "), out[4].split(" | ")
    assert base[:3] == ["| base", "1", f"{f1:.3f}"] and base[5] == "+0.000"
    low, high = (float(x) for x in base[4].split("–"))
    assert low <= f1 <= high
    assert twice[1] == "1" and twice[2] == f"{f1:.3f}"
    assert base[-1] == f"{tiny_run.metrics['train']['windows']:,} |"


def test_a_row_without_runs_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ablation.main([f"none={tmp_path}/nothing-*"]) == 1
    assert "none: no run folder matches" in capsys.readouterr().err


def test_runs_scored_on_other_labels_get_their_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ANERcorp's runs are scored on LOC, MISC, ORG and PERS, not the project's labels."""
    folder = tmp_path / "aner-ensemble"
    folder.mkdir()
    per_label = {"LOC": {"f1": 0.8}, "PERS": {"f1": 0.6}}
    metrics = {"labels": ["LOC", "PERS"], "strict": {"micro": {"f1": 0.7}, "per_label": per_label}}
    (folder / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    rows = [{"id": str(i), "counts": [[4, 1, 1], [3, 1, 2]]} for i in range(5)]
    counts = "".join(json.dumps(r) + "\n" for r in rows)
    (folder / "document_counts.jsonl").write_text(counts, encoding="utf-8")
    assert ablation.main([f"aner={folder}", "--split", "test", "--samples", "20"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("python scripts/ablation.py --split test --samples 20 ")
    assert out[1].split(" | ")[6:8] == ["LOC", "PERS"]
    assert out[3].split(" | ")[6:8] == ["0.800", "0.600"]
