"""scripts/decision_bias.py: dev F1 of a model when one label's tags are favoured at decoding."""

import numpy as np
import pytest

from araevent.training import TrainResult
from tests.conftest import SAMPLE, load_script

bias = load_script("decision_bias")


def test_the_bias_raises_only_the_label_columns() -> None:
    logits = np.arange(2 * 3 * 5, dtype=np.float32).reshape(2, 3, 5)
    runner = bias.BiasedRunner(lambda ids, mask: logits, [1, 2], 1.5)
    out = runner(np.zeros((2, 3), dtype=np.int64), np.ones((2, 3), dtype=np.int64))
    assert np.array_equal(out[..., [0, 3, 4]], logits[..., [0, 3, 4]])
    assert np.array_equal(out[..., [1, 2]], logits[..., [1, 2]] + 1.5)
    assert np.array_equal(logits, np.arange(30, dtype=np.float32).reshape(2, 3, 5))  # a copy


def test_no_bias_scores_what_the_run_reported_and_a_large_one_silences_the_label(
    tiny_run: TrainResult, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tiny_run.output_dir
    args = [str(run), "--gold", str(SAMPLE / "dev.jsonl"), "--label", "PLACE", "--bias", "-50", "0"]
    assert bias.main(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("python scripts/decision_bias.py")
    silenced, neutral = out[-2].split(" | "), out[-1].split(" | ")
    assert silenced[0] == "| -50.0" and silenced[2:5] == ["0.000", "0.000", "0.000"]
    dev = tiny_run.metrics["dev"]["strict"]
    assert neutral[1] == f"{dev['micro']['f1']:.3f}"
    assert neutral[4] == f"{dev['per_label']['PLACE']['f1']:.3f}"


def test_a_label_the_model_lacks_is_an_error(
    tiny_run: TrainResult, capsys: pytest.CaptureFixture[str]
) -> None:
    gold = str(SAMPLE / "dev.jsonl")
    assert bias.main([str(tiny_run.output_dir), "--gold", gold, "--label", "LOC"]) == 1
    assert "no label LOC" in capsys.readouterr().err
