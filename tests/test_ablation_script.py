"""scripts/ablation.py: the seed rows of the ablation table in docs/benchmarks.md."""

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
