"""scripts/annotation_loop.py: the simulated annotation loop of docs/benchmarks.md."""

import json
from pathlib import Path

import pytest

from tests.conftest import SAMPLE, load_script

loop = load_script("annotation_loop")
TINY = [
    f"data.train={SAMPLE / 'train.jsonl'}",
    f"data.dev={SAMPLE / 'dev.jsonl'}",
    "data.test=null",
    "trainer.epochs=1",
]


def _rows(out: Path) -> list[dict]:
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_curves_grow_by_batches_of_new_documents_and_resume(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--out", str(tmp_path), "--start", "4", "--batch", "4", "--seeds", "1"]
    assert loop.main([*common, "--until", "8", "--", *TINY]) == 0
    rows = {(r["strategy"], r["documents"]): r for r in _rows(tmp_path)}
    assert set(rows) == {(s, n) for s in ("least-confidence", "random") for n in (4, 8)}
    start = rows["random", 4]
    assert rows["least-confidence", 4] == {**start, "strategy": "least-confidence"}  # trained once
    for strategy in ("least-confidence", "random"):
        annotated = rows[strategy, 8]["annotated"]
        assert annotated[:4] == start["annotated"] and len(set(annotated)) == 8

    # a larger --until continues the curve from its last model, without training again
    assert (
        loop.main([*common, "--until", "12", "--strategies", "least-confidence", "--", *TINY]) == 0
    )
    rows_after = _rows(tmp_path)
    assert [(r["strategy"], r["documents"]) for r in rows_after[4:]] == [("least-confidence", 12)]
    assert rows_after[4]["annotated"][:8] == rows["least-confidence", 8]["annotated"]
    assert not (Path(rows["least-confidence", 8]["run"]) / "model").exists()  # superseded
    assert (Path(rows_after[4]["run"]) / "model").is_dir()  # the next round starts from it

    plot = tmp_path / "loop.png"
    assert loop.main(["--out", str(tmp_path), "--report", str(plot), "--reference", "0.5"]) == 0
    table = capsys.readouterr().out
    assert "| 12 | " in table and "least-confidence F1 (1 seeds)" in table
    assert plot.stat().st_size > 0


def test_random_documents_needed_for_a_score_are_read_between_its_points() -> None:
    def rounds(documents: int, f1: float, words: int) -> list:
        return [loop.Round(1, "random", documents, words, [], f1, {}, 0.0, "")]

    curve = {
        n: rounds(n, f1, w) for n, f1, w in [(20, 0.5, 1000), (40, 0.6, 2000), (60, 0.7, 4000)]
    }
    assert loop.amount_to_reach(0.65, curve) == pytest.approx(50)
    assert loop.amount_to_reach(0.65, curve, "words") == pytest.approx(3000)
    assert loop.amount_to_reach(0.45, curve) == 20
    assert loop.amount_to_reach(0.8, curve) is None


def test_a_report_without_results_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert loop.main(["--out", str(tmp_path), "--report", str(tmp_path / "x.png")]) == 1
    assert "no rounds yet" in capsys.readouterr().err
