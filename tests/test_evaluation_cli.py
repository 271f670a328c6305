"""``araevent score``, ``evaluate`` and ``compare`` on the sample data, reports and the offline
``evaluate`` metric."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from araevent.cli.main import main
from araevent.data.document import Span
from araevent.evaluation.compare import sweep_summary
from araevent.io import load, save
from araevent.training import TrainResult
from tests.conftest import REPO, SAMPLE, write


def test_score_two_formats_of_the_same_annotations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "eval"
    assert (
        main(["score", str(SAMPLE / "test.jsonl"), str(SAMPLE / "test-brat"), "--out", str(out)])
        == 0
    )
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["strict"]["micro"]["f1"] == 1.0
    assert metrics["documents"] == len(load(SAMPLE / "test.jsonl"))
    page = (out / "report.html").read_text(encoding="utf-8")
    assert 'dir="rtl"' in page and "https://" not in page
    assert "micro" in capsys.readouterr().out


def test_score_finds_the_errors_of_a_degraded_prediction(tmp_path: Path) -> None:
    gold = list(load(SAMPLE / "dev.jsonl"))
    degraded = [
        doc.with_spans(
            Span(s.start, s.end, "PLACE") if s.label == "DATE" else s
            for i, s in enumerate(doc.spans)
            if i % 5  # every fifth span missed
        )
        for doc in gold
    ]
    save(degraded, tmp_path / "pred.jsonl")
    out = tmp_path / "eval"
    assert (
        main(
            [
                "score",
                str(SAMPLE / "dev.jsonl"),
                str(tmp_path / "pred.jsonl"),
                "--out",
                str(out),
                "--bootstrap",
                "50",
            ]
        )
        == 0
    )
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["strict"]["per_label"]["DATE"]["tp"] == 0
    assert metrics["errors"]["label"] == metrics["confusion"]["matrix"][1][2]  # DATE -> PLACE
    assert metrics["errors"]["missed"] == sum(len(d.spans[::5]) for d in gold)
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "| DATE |" in report and "label" in report


def test_score_reports_a_text_mismatch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["score", str(SAMPLE / "test.jsonl"), str(SAMPLE / "test.conll")])
    assert code == 1
    err = capsys.readouterr().err
    assert f"{SAMPLE / 'test.jsonl'} against {SAMPLE / 'test.conll'}" in err
    assert "predicted text differs" in err


def score_one(
    tmp_path: Path, text: str, gold: list[dict[str, object]], predicted: list[dict[str, object]]
) -> dict[str, Any]:
    """``araevent score --lenient`` of one JSONL document, gold against predicted spans."""
    for name, spans in (("gold", gold), ("pred", predicted)):
        record = {"id": "a", "text": text, "spans": spans}
        write(tmp_path / f"{name}.jsonl", json.dumps(record, ensure_ascii=False) + "\n")
    out = tmp_path / "eval"
    command = ["score", str(tmp_path / "gold.jsonl"), str(tmp_path / "pred.jsonl"), "--lenient"]
    assert main([*command, "--out", str(out)]) == 0
    metrics: dict[str, Any] = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    return metrics


def test_predictions_are_scored_as_written_even_when_the_gold_is_repaired(
    tmp_path: Path,
) -> None:
    """--lenient snaps a gold span to its word, but a predicted span that takes in a bracket,
    or holds only punctuation, is scored as the system wrote it: wrong."""
    text = "قصفت الطائرات ( الرقة ) ، أمس"
    at = text.index
    # "الرقة )" is not aligned to words: lenient loading snaps it to "الرقة"
    gold = [{"start": at("الرقة"), "end": at(")") + 1, "label": "PLACE"}]
    predicted = [
        {"start": at("("), "end": at("الرقة") + 5, "label": "PLACE"},
        {"start": at("،"), "end": at("،") + 1, "label": "PLACE"},
    ]
    metrics = score_one(tmp_path, text, gold, predicted)
    assert metrics["strict"]["micro"]["tp"] == 0 and metrics["strict"]["micro"]["fp"] == 2
    assert metrics["meta"]["gold_loading"] == "span not aligned to words: 1"
    assert metrics["meta"]["predictions_loading"] == "nothing skipped, repaired or mapped"
    report = (tmp_path / "eval" / "report.md").read_text(encoding="utf-8")
    assert "gold_loading: `span not aligned to words: 1`" in report


def test_a_predicted_span_whose_text_disagrees_is_skipped_not_moved(tmp_path: Path) -> None:
    """Lenient gold loading moves such a span to where its text is; a prediction is never
    moved to a place the system did not name."""
    text = "قصفت الطائرات الرقة ثم الرقة"
    second = text.rindex("الرقة")
    gold = [{"start": second, "end": second + 5, "label": "PLACE"}]
    predicted = [{"start": second - 3, "end": second + 2, "label": "PLACE", "text": "الرقة"}]
    metrics = score_one(tmp_path, text, gold, predicted)
    assert (metrics["strict"]["micro"]["tp"], metrics["strict"]["micro"]["fn"]) == (0, 1)
    assert metrics["meta"]["predictions_loading"] == (
        "span skipped (predictions are not moved): 1; span text mismatch: 1"
    )


def test_project_labels_pass_through_the_label_map_of_the_gold(tmp_path: Path) -> None:
    """A system's output in ACTOR/PLACE scores against ANERcorp-style gold mapped with
    --label-map anercorp; the map's own source labels are still mapped."""
    gold = write(tmp_path / "gold.conll", "قصف O\nالجيش B-ORG\nبغداد B-LOC\nأمس O\n")
    mapped = list(load(gold, label_map="anercorp"))
    assert [s.label for s in mapped[0].spans] == ["ACTOR", "PLACE"]
    save(mapped, tmp_path / "pred.conll")
    out = tmp_path / "eval"
    command = ["score", str(gold), str(tmp_path / "pred.conll"), "--label-map", "anercorp"]
    assert main([*command, "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["strict"]["micro"]["f1"] == 1.0
    assert metrics["meta"]["gold_loading"] == (
        "label mapped LOC -> PLACE: 1; label mapped ORG -> ACTOR: 1"
    )


def test_a_negative_number_of_resamples_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    gold = str(SAMPLE / "test.jsonl")
    with pytest.raises(SystemExit):
        main(["score", gold, gold, "--bootstrap", "-5"])
    assert "--bootstrap: must be at least 0, got -5" in capsys.readouterr().err


def test_data_stats_fails_when_nothing_could_be_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conll = write(tmp_path / "test.conll", "قصف O\nالجيش B-ORG\n")
    assert main(["data", "stats", str(conll), "--format", "jsonl"]) == 1
    err = capsys.readouterr().err
    assert f"{conll}: no document could be read (2 problems, first {conll}:1:" in err


def test_output_into_a_pipe_nobody_reads_ends_quietly() -> None:
    """``araevent data stats x | head -1`` printed a BrokenPipeError traceback; a closed pipe
    ends the command as it ends a Unix tool: no output, SIGPIPE's status."""
    command = [
        sys.executable,
        "-m",
        "araevent.cli.main",
        "data",
        "stats",
        str(SAMPLE / "dev.jsonl"),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # before the command writes: every write finds no reader
    err = process.stderr.read().decode()
    assert process.wait() == 141 and err == ""


def test_data_stats_on_tasks_not_annotated_yet_says_so_not_that_the_format_is_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``select``'s tasks hold predictions only; "is --format right?" sent users astray, and
    the report's lines said ``<input>`` for the file."""
    task = {"id": 3, "data": {"text": "قصفت"}, "predictions": [{"result": []}]}
    tasks = write(tmp_path / "tasks.json", json.dumps([task, {**task, "id": 4}]))
    assert main(["data", "stats", str(tasks)]) == 1
    assert capsys.readouterr().err == (
        f"error: {tasks}: no task is annotated yet (2 tasks without annotation: not done, "
        "cancelled, or predictions only)\n"
    )
    done = {**task, "annotations": [{"result": []}, {"result": []}]}
    assert main(["data", "stats", write(tmp_path / "x.json", json.dumps([done])).as_posix()]) == 0
    assert f"{tmp_path / 'x.json'} (document '3'): 1 more" in capsys.readouterr().out


def test_data_stats_checks_labels_as_training_would_when_given_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--strict`` passed a ``trigger`` label that training then refused."""
    record = {
        "id": "a",
        "text": "قصفت الرقة",
        "spans": [{"start": 0, "end": 4, "label": "trigger"}],
    }
    gold = write(tmp_path / "gold.jsonl", json.dumps(record, ensure_ascii=False) + "\n")
    assert main(["data", "stats", str(gold), "--strict"]) == 0
    capsys.readouterr()
    labels = "ACTOR,PLACE,DATE,TRIGGER"
    assert main(["data", "stats", str(gold), "--strict", "--labels", labels]) == 1
    assert "unknown label: 'trigger' (expected one of" in capsys.readouterr().err


def test_data_stats_on_an_empty_file_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Zero documents would otherwise print a table of zeros and "problems: none"."""
    empty = write(tmp_path / "empty.jsonl", "")
    assert main(["data", "stats", str(empty)]) == 1
    assert capsys.readouterr().err == f"error: no documents in {empty}\n"


def test_data_stats_reports_what_a_load_would_otherwise_pass_over(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A repeated document id and a brat .ann without its text: errors with --strict,
    counted without it."""
    record = {"id": "a", "text": "قصفت الرقة"}
    repeated = write(tmp_path / "docs.jsonl", (json.dumps(record, ensure_ascii=False) + "\n") * 2)
    assert main(["data", "stats", str(repeated), "--strict"]) == 1
    err = capsys.readouterr().err
    where = f"{repeated}:2 (document 'a')"
    assert err == f"error: {where}: duplicate document id: 'a' was read at {repeated}:1\n"
    assert main(["data", "stats", str(repeated)]) == 0
    assert "  duplicate document id: 1\n" in capsys.readouterr().out
    brat = tmp_path / "brat"
    write(brat / "a.txt", "قصفت")
    write(brat / "a.ann", "T1\tTRIGGER 0 4\tقصفت\n")
    orphan = write(brat / "b.ann", "T1\tPLACE 0 5\tالرقة\n")
    assert main(["data", "stats", str(brat), "--strict"]) == 1
    assert f"error: {orphan}: brat file without its pair: no b.txt" in capsys.readouterr().err
    assert main(["data", "stats", str(brat)]) == 0
    out = capsys.readouterr().out
    assert "problems: none" not in out and "  brat file without its pair: 1\n" in out


def test_the_scheme_option_takes_any_case_and_lists_the_names_on_a_typo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conll = write(tmp_path / "x.conll", "قوات B-ACTOR\nالنظام E-ACTOR\nفي O\nحلب S-PLACE\n")
    assert main(["data", "stats", str(conll), "--scheme", "iobes", "--strict"]) == 0
    assert "problems: none" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["data", "stats", str(conll), "--scheme", "IOE"])
    assert "expected one of IOB1, IOB2, IOBES, BILOU" in capsys.readouterr().err


def test_an_out_that_is_a_file_is_refused_before_scoring(
    tiny_run: TrainResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not a traceback after the whole evaluation: one line, and nothing run."""
    taken = write(tmp_path / "taken", "")
    gold = str(SAMPLE / "dev.jsonl")
    commands = [["evaluate", "--model", str(tiny_run.model_dir), gold], ["score", gold, gold]]
    for command in commands:
        assert main([*command, "--out", str(taken)]) == 1
        out, err = capsys.readouterr()
        assert out == "" and err == f"error: {taken} is a file; the output here is a folder\n"


def test_training_writes_an_evaluation_folder_per_split(tiny_run: TrainResult) -> None:
    folder = tiny_run.output_dir / "dev"
    for name in ("metrics.json", "report.md", "report.html", "predictions.jsonl"):
        assert (folder / name).is_file(), name
    assert len(load(folder / "predictions.jsonl")) == len(load(SAMPLE / "dev.jsonl"))
    # Gold that loaded cleanly: worded so it does not read as a note about predictions.
    meta = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))["meta"]
    assert meta["gold_loading"] == "nothing skipped, repaired or mapped"
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert '<dt>gold_loading</dt><dd><bdi dir="auto">nothing skipped, repaired or mapped' in page


def test_evaluate_gives_the_training_runs_figures_and_compare_tests_them(
    tiny_run: TrainResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "eval"
    args = ["evaluate", "--model", str(tiny_run.model_dir), str(SAMPLE / "dev.jsonl")]
    assert main([*args, "--out", str(out), "--device", "cpu"]) == 0
    assert "predicting" not in capsys.readouterr().err  # no progress bar into a log file
    ours = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert ours["strict"] == tiny_run.metrics["dev"]["strict"]
    capsys.readouterr()
    assert main(["compare", str(tiny_run.output_dir), str(out), "--bootstrap", "100"]) == 0
    table = capsys.readouterr().out
    assert "baseline" in table and "+0.000 (p=1.000)" in table


def test_evaluate_checks_gold_labels_against_the_models(
    tiny_run: TrainResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = {"id": "a", "text": "قصفت الرقة", "spans": [{"start": 5, "end": 10, "label": "CITY"}]}
    gold = write(tmp_path / "gold.jsonl", json.dumps(record, ensure_ascii=False) + "\n")
    assert main(["evaluate", "--model", str(tiny_run.model_dir), str(gold)]) == 1
    assert f"{gold}:1 (document 'a'): unknown label: 'CITY'" in capsys.readouterr().err
    empty = write(tmp_path / "empty.jsonl", "")
    assert main(["evaluate", "--model", str(tiny_run.model_dir), str(empty)]) == 1
    assert "no documents to evaluate on" in capsys.readouterr().err


def test_evaluate_refuses_bad_gold_before_loading_weights_and_names_unreadable_ones(
    tiny_run: TrainResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Loading a real encoder takes seconds; a bad gold file must not wait for it. The
    weights here cannot load, so an error about the gold shows they were not read."""
    import shutil

    model = tmp_path / "model"
    shutil.copytree(tiny_run.model_dir, model)
    for weights in model.glob("*.safetensors"):
        weights.write_bytes(b"not safetensors")
    bad = write(tmp_path / "gold.jsonl", '{"id": "a", "text": "x", "spans": [[0, 9, "ACTOR"]]}\n')
    assert main(["evaluate", "--model", str(model), str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {bad}:1") and len(err.splitlines()) == 1
    good = SAMPLE / "test.jsonl"
    assert main(["evaluate", "--model", str(model), str(good)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {model}: its weights cannot be read (")
    assert len(err.splitlines()) == 1


def test_compare_refuses_different_gold_data(
    tiny_run: TrainResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "eval"
    assert (
        main(["score", str(SAMPLE / "test.jsonl"), str(SAMPLE / "test.jsonl"), "--out", str(out)])
        == 0
    )
    assert main(["compare", str(tiny_run.output_dir), str(out)]) == 1
    assert "different gold data" in capsys.readouterr().err


def test_the_shipped_metric_loads_with_evaluate_offline(tmp_path: Path) -> None:
    code = (
        "import evaluate; from araevent.evaluation import hf_metric_path; "
        "m = evaluate.load(hf_metric_path()); "
        "r = m.compute(predictions=[['B-ACTOR', 'I-ACTOR', 'O', 'B-PLACE']], "
        "references=[['B-ACTOR', 'I-ACTOR', 'O', 'B-DATE']], mode='strict', scheme='IOB2', "
        "zero_division=0); "
        "print(r['overall_f1'], r['ACTOR']['f1'], r['DATE']['number'])"
    )
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_HOME": str(tmp_path),  # an empty cache: nothing downloaded before can help
    }
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0.5", "1.0", "1"]


@pytest.mark.slow
def test_a_multirun_writes_one_summary_table(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    command = [
        sys.executable, "-m", "araevent.cli.main", "train", "-m", "trainer.seed=1,2",
        "trainer.max_steps=3", "trainer.progress_bar=false", "trainer.tensorboard=false",
        f"data.train={SAMPLE / 'train.jsonl'}", f"data.dev={SAMPLE / 'dev.jsonl'}",
        f"hydra.sweep.dir={sweep}",
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, cwd=REPO)
    summary = (sweep / "summary.md").read_text(encoding="utf-8")
    assert summary == sweep_summary(sweep)
    rows = [line for line in summary.splitlines() if line.startswith("| trainer.seed=")]
    # one table for dev, one for test (the sample config has both), a row per run in each
    assert "## dev" in summary and "## test" in summary
    assert [row.split(" | ")[0] for row in rows] == ["| trainer.seed=1", "| trainer.seed=2"] * 2
