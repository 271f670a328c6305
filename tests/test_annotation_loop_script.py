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


def test_the_learning_curve_is_fitted_as_a_power_law_in_the_error(tmp_path: Path) -> None:
    """1 - F1 = 0.5 / sqrt(documents) on every point: each doubling removes 1 - 2 ** -0.5 of
    the errors, and 0.88 comes at (0.5 / 0.12) ** 2 documents."""
    results = loop.Results(tmp_path / "results.jsonl")
    for n in (20, 40, 80):
        f1 = 1 - 0.5 * n**-0.5
        per_label = {"ACTOR": f1, "PLACE": f1, "DATE": f1, "TRIGGER": 0.6}  # TRIGGER flat
        results.add(loop.Round(1, "random", n, 100 * n, [], f1, per_label, 0.0, ""))
    a, b = loop.power_law(loop.curves(results)["random"], lambda r: r.f1)
    assert (a, b) == (pytest.approx(0.5), pytest.approx(0.5))
    assert loop.documents_for(0.88, a, b) == pytest.approx((0.5 / 0.12) ** 2)

    rows = {
        line.split(" | ")[0].strip("| "): line
        for line in loop.scaling(
            results, {"micro": 0.96, "ACTOR": 0.9, "TRIGGER": 0.85}
        ).splitlines()
    }
    assert rows["micro"].endswith("| 29% | 0.96: 156 |")  # (0.5 / 0.04) ** 2
    assert rows["ACTOR"].endswith("| 29% | 0.90: reached |")  # 0.944 at 80 documents
    assert rows["TRIGGER"].endswith("| 0% | 0.85: never (no gain) |")
    assert rows["PLACE"].endswith("| 29% |  |")  # no target asked for
