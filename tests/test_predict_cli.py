"""``araevent predict`` on stdin and files, in JSONL, CoNLL and brat."""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path

import pytest

from araevent import DataFormatError
from araevent.cli.main import main
from araevent.cli.predict import iter_records
from araevent.io import load
from araevent.training import TrainResult
from tests.conftest import SAMPLE, write

LINES = [
    "قصفت الطائرات التركية مواقع في الرقة يوم الأحد. وفي دمشق، اعتقلت قوات الأمن ناشطين.",
    "",
    "أعلنت وزارة الدفاع الروسية أن قواتها دخلت مدينة تدمر.",
]


def run(args: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(args)


def test_stdin_lines_to_jsonl_with_events(
    tiny_run: TrainResult, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["predict", "--model", str(tiny_run.model_dir), "--events", "--device", "cpu"]
    assert run(args, "\n".join(LINES) + "\n", monkeypatch) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in records] == ["stdin:1", "stdin:3"]  # blank lines are skipped
    for record in records:
        assert set(record) == {"id", "text", "entities", "events"}
        for entity in record["entities"]:
            assert record["text"][entity["start"] : entity["end"]] == entity["text"]
        triggers = [e for e in record["entities"] if e["label"] == "TRIGGER"]
        assert len(record["events"]) == len(triggers)


def test_jsonl_file_to_file_keeps_ids(tiny_run: TrainResult, tmp_path: Path) -> None:
    source = write(
        tmp_path / "in.jsonl",
        "".join(json.dumps({"id": f"n{i}", "text": t}, ensure_ascii=False) + "\n"
                for i, t in enumerate(LINES) if t),
    )  # fmt: skip
    out = tmp_path / "out.jsonl"
    args = ["predict", "--model", str(tiny_run.model_dir), str(source), "-o", str(out)]
    assert main(args) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == ["n0", "n2"]


def test_predictions_are_scored_against_gold_as_written(
    tiny_run: TrainResult,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    gold = SAMPLE / "dev.jsonl"
    out = tmp_path / "pred.jsonl"
    assert main(["predict", "--model", str(tiny_run.model_dir), str(gold), "-o", str(out)]) == 0
    predicted = load(out)
    assert sum(len(d.spans) for d in predicted) > 0
    capsys.readouterr()
    assert main(["score", str(gold), str(out), "--out", str(tmp_path / "eval")]) == 0
    # the same predictions piped: araevent predict ... | araevent score GOLD -
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(out.read_bytes())))
    assert main(["score", str(gold), "-", "--out", str(tmp_path / "piped")]) == 0
    for folder in ("eval", "piped"):
        scores = json.loads((tmp_path / folder / "metrics.json").read_text(encoding="utf-8"))
        assert scores["strict"]["micro"]["f1"] == pytest.approx(
            tiny_run.metrics["dev"]["strict"]["micro"]["f1"]
        )


def test_conll_and_brat_outputs_load_back(
    tiny_run: TrainResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(tmp_path / "in.txt", "\n".join(d.text for d in load(SAMPLE / "dev.jsonl")))
    model = ["--model", str(tiny_run.model_dir)]
    assert main(["predict", *model, str(source), "--format", "conll"]) == 0
    conll = write(tmp_path / "out.conll", capsys.readouterr().out)
    brat = tmp_path / "brat"
    assert main(["predict", *model, str(source), "--format", "brat", "-o", str(brat)]) == 0
    assert main(["predict", *model, str(source), "-o", str(tmp_path / "out.jsonl")]) == 0
    from_jsonl = [
        [(e["label"], e["text"]) for e in json.loads(line)["entities"]]
        for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    from_brat = [[(s.label, d.span_text(s)) for s in d.spans] for d in load(brat)]
    from_conll = [[(s.label, d.span_text(s)) for s in d.spans] for d in load(conll)]
    assert sorted(map(tuple, from_brat)) == sorted(map(tuple, from_jsonl))
    assert from_conll == from_jsonl


def test_bad_jsonl_names_the_line(
    tiny_run: TrainResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(tmp_path / "in.jsonl", '{"text": "نص"}\n{"id": 3}\n')
    assert main(["predict", "--model", str(tiny_run.model_dir), str(source)]) == 1
    assert f"error: {source}:2: not a JSON object with 'text'" in capsys.readouterr().err


def test_bytes_that_are_not_utf8_name_file_and_line(
    tiny_run: TrainResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(tmp_path / "in.txt", LINES[0].encode() + b"\n\xff\xfe\n")
    assert main(["predict", "--model", str(tiny_run.model_dir), str(source)]) == 1
    assert f"error: {source}:2: bytes that are not UTF-8" in capsys.readouterr().err


def test_lone_surrogates_in_jsonl_are_replaced_and_reported(
    tiny_run: TrainResult,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = json.dumps({"id": "s", "text": LINES[0] + " \ud800"})  # ASCII: the escape survives
    assert run(["predict", "--model", str(tiny_run.model_dir)], line + "\n", monkeypatch) == 0
    out, err = capsys.readouterr()
    record = json.loads(out)
    assert record["text"] == LINES[0] + " \ufffd" and record["entities"]
    assert "warning: stdin:1: 1 lone surrogates replaced by U+FFFD" in err


def test_events_with_a_format_that_cannot_hold_them_are_refused(
    tiny_run: TrainResult, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["predict", "--model", str(tiny_run.model_dir), "--events", "--format", "conll"]
    assert run(args, LINES[0] + "\n", monkeypatch) == 1
    assert "--events adds records to JSONL output only" in capsys.readouterr().err


def test_a_null_id_is_replaced_by_where_the_record_came_from(
    tiny_run: TrainResult, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    line = json.dumps({"id": None, "text": LINES[0]}, ensure_ascii=False)
    assert run(["predict", "--model", str(tiny_run.model_dir)], line + "\n", monkeypatch) == 0
    assert json.loads(capsys.readouterr().out)["id"] == "stdin:1"


def test_export_command_refuses_to_overwrite_without_force(
    tiny_run: TrainResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "exported"
    assert main(["export", str(tiny_run.output_dir), str(out)]) == 0
    assert (out / "README.md").is_file() and (out / "model.safetensors").is_file()
    assert main(["export", str(tiny_run.output_dir), str(out)]) == 1
    assert "--force" in capsys.readouterr().err
    assert main(["export", str(tiny_run.output_dir), str(out), "--force"]) == 0


def test_a_json_line_in_plain_text_input_is_an_error_naming_it(
    tiny_run: TrainResult, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first line decides the format: a JSONL record further down is not tagged as text."""
    record = json.dumps({"id": "n", "text": LINES[2]}, ensure_ascii=False)
    args = ["predict", "--model", str(tiny_run.model_dir)]
    assert run(args, f"{LINES[0]}\n\n{record}\n", monkeypatch) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: stdin:3: a JSON object with 'text' in input read")
    assert "--input-format" in err and err.count("\n") == 1
    # said to be lines, every line is text
    assert run([*args, "--input-format", "lines"], f"{LINES[0]}\n{record}\n", monkeypatch) == 0
    assert [json.loads(line)["id"] for line in capsys.readouterr().out.splitlines()] == [
        "stdin:1",
        "stdin:2",
    ]


def test_text_that_begins_with_a_brace_is_text(
    tiny_run: TrainResult, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A headline such as ``{عاجل} ...`` is not a JSON object: auto reads the input as lines."""
    text = "{عاجل} " + LINES[2]
    args = ["predict", "--model", str(tiny_run.model_dir)]
    assert run(args, f"{text}\n{LINES[0]}\n", monkeypatch) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["id"], r["text"]) for r in records] == [("stdin:1", text), ("stdin:2", LINES[0])]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"id": "a"}', "missing field 'text'"),
        ("[1]", "an array, not an object"),
        ('{"text": 5}', "field 'text' is a number, not a string"),
    ],
)
def test_a_jsonl_record_without_a_text_string_says_why(line: str, reason: str) -> None:
    with pytest.raises(DataFormatError) as info:
        list(iter_records([line], "in.jsonl", jsonl=True))
    assert str(info.value).startswith(f"in.jsonl:1: not a JSON object with 'text' ({reason}); ")


def test_a_text_line_in_jsonl_input_is_an_error_naming_it(
    tiny_run: TrainResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file is JSONL by its name or, as stdin, by its first line; a text line in it names
    the file and line."""
    record = json.dumps({"id": "n", "text": LINES[2]}, ensure_ascii=False)
    source = write(tmp_path / "in.txt", f"{record}\n{LINES[0]}\n")
    assert main(["predict", "--model", str(tiny_run.model_dir), str(source)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"error: {source}:2: not a JSON object with 'text'")


def test_an_empty_input_is_said_on_stderr(
    tiny_run: TrainResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = write(tmp_path / "empty.txt", "\n\n")
    source = write(tmp_path / "in.txt", LINES[0] + "\n")
    assert main(["predict", "--model", str(tiny_run.model_dir), str(empty), str(source)]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 1 and err.startswith(f"warning: no documents in {empty}\n")


@pytest.mark.parametrize("format", ["jsonl", "brat"])
def test_an_output_under_a_file_is_one_line_before_the_model_is_loaded(
    tiny_run: TrainResult, tmp_path: Path, capsys: pytest.CaptureFixture[str], format: str
) -> None:
    blocker = write(tmp_path / "file", "")
    source = write(tmp_path / "in.txt", LINES[0] + "\n")
    args = ["predict", "--model", str(tiny_run.model_dir), str(source), "--format", format]
    assert main([*args, "-o", str(blocker / "x")]) == 1
    err = capsys.readouterr().err
    assert err == f"error: cannot write {blocker / 'x'}: {blocker} is a file, not a folder\n"


def test_the_onnx_backend_without_onnxruntime_names_the_extra(
    tiny_run: TrainResult,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    model = shutil.copytree(tiny_run.model_dir, tmp_path / "model")
    write(model / "model.onnx", b"")  # never read: the import fails first
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if the extra were not installed
    source = write(tmp_path / "in.txt", LINES[0] + "\n")
    for command in (["predict", str(source)], ["evaluate", str(SAMPLE / "dev.jsonl")]):
        assert main([*command, "--model", str(model), "--backend", "onnx"]) == 1
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1, err
        assert 'pip install "araevent[onnx]"' in err


def test_quantizing_without_onnxruntime_names_the_extra_before_any_work(
    tiny_run: TrainResult,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    out = tmp_path / "exported"
    assert main(["export", str(tiny_run.output_dir), str(out), "--quantize", "int8"]) == 1
    assert 'pip install "araevent[onnx]"' in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # neither OUT nor a staging folder was made


def test_a_missing_input_or_model_folder_is_named_first_in_its_error_line(
    tiny_run: TrainResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not ``[Errno 2] No such file or directory: '...'``: the path, then the reason."""
    missing = tmp_path / "nosuch.txt"
    assert main(["predict", "--model", str(tiny_run.model_dir), str(missing)]) == 1
    assert capsys.readouterr().err == f"error: {missing}: no such file\n"
    assert main(["labelstudio-config", "--model", str(tmp_path / "no-model")]) == 1
    assert capsys.readouterr().err == f"error: {tmp_path / 'no-model'}: no such model folder\n"
    assert main(["labelstudio-config", "--model", str(tmp_path)]) == 1
    assert "missing araevent.json" in capsys.readouterr().err
