"""scripts/bench_train.py: the frameworks it compares, and how each reference is run."""

from pathlib import Path

import pytest

from tests.conftest import load_script

bench = load_script("bench_train")
DATA = {"train": Path("train.json"), "dev": Path("dev.json")}


def test_run_ner_gets_bf16_on_a_cpu_only_at_its_best() -> None:
    args = bench.parse_args(["--device", "cpu", "--epochs", "2"])
    default = bench.run_ner_arguments(args, "m", Path("out"), DATA)
    best = bench.run_ner_arguments(args, "m", Path("out"), DATA, best=True)
    assert "--bf16=false" in default and "--use_cpu=true" in default
    assert "--bf16=true" in best and "--num_train_epochs=2" in best
    assert [a for a in default if "bf16" not in a] == [a for a in best if "bf16" not in a]


def test_an_unknown_framework_is_refused_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as raised:
        bench.main(["--frameworks", "araevent,run_ner-fp16", "--out", str(tmp_path / "out")])
    assert str(raised.value) == (
        "--frameworks: unknown run_ner-fp16 (known: araevent, araevent-fp32, run_ner, run_ner-bf16)"
    )
    assert not (tmp_path / "out").exists()
