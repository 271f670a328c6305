"""scripts/error_sources.py: error kinds per label, and what training taught of each error."""

import json
from pathlib import Path

import pytest

from tests.conftest import load_script, write

sources = load_script("error_sources")


def _jsonl(path: Path, docs: list[dict]) -> Path:
    """Documents with spans given as [start, end, label]."""
    records = [
        {**d, "spans": [dict(zip(("start", "end", "label"), s, strict=True)) for s in d["spans"]]}
        for d in docs
    ]
    return write(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def test_errors_are_counted_by_kind_and_looked_up_in_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "قصفت الطائرات مدينة حلب وهاجمت القوات الرقة"
    #       0    5        14    20  24     31     38
    gold = {
        "id": "d",
        "text": text,
        "spans": [[0, 4, "TRIGGER"], [20, 23, "PLACE"], [24, 30, "TRIGGER"]],
    }
    predicted = {
        "id": "d",
        "text": text,
        "spans": [[0, 4, "TRIGGER"], [14, 23, "PLACE"], [31, 37, "ACTOR"]],
    }
    train = [  # "وهاجمت" twice, a trigger once; "القوات" an ACTOR once, in one twice outside
        {"id": "t1", "text": "وهاجمت القوات البلدة", "spans": [[0, 6, "TRIGGER"]]},
        {"id": "t2", "text": "وهاجمت القوات", "spans": []},
        {"id": "t3", "text": "القوات الأمريكية", "spans": [[0, 16, "ACTOR"]]},
        {"id": "t4", "text": "انسحبت القوات", "spans": [[7, 13, "ACTOR"]]},
        {"id": "t5", "text": "بدأ الهجوم", "spans": [[4, 10, "TRIGGER"]]},
        {"id": "t6", "text": "اجتمع مجلس الأمن", "spans": [[6, 16, "ACTOR"]]},
    ]
    # "بالهجوم" and "لمجلس الأمن" never occur in train, but their cores do, as the trigger
    # "الهجوم" and the ACTOR "مجلس الأمن"; "وصادرت" is untaught either way
    inflected = {
        "id": "e",
        "text": "وبدأ بالهجوم وصادرت لمجلس الأمن",
        "spans": [[5, 12, "TRIGGER"], [13, 19, "TRIGGER"], [20, 31, "ACTOR"]],
    }
    gold_file = _jsonl(tmp_path / "dev.jsonl", [gold, inflected])
    train_file = _jsonl(tmp_path / "train.jsonl", train)
    _jsonl(tmp_path / "run" / "dev" / "predictions.jsonl", [predicted, {**inflected, "spans": []}])
    args = [str(tmp_path / "run"), "--gold", str(gold_file), "--train", str(train_file)]
    assert sources.main(args) == 0
    out = capsys.readouterr().out
    assert "| PLACE | 0.0 | 0.0 | 0.0 | 1.0 | 0.0 |" in out  # حلب predicted as مدينة حلب
    assert "| TRIGGER | 3.0 | 0.0 | 0.0 | 0.0 | 0.0 |" in out  # وهاجمت, بالهجوم, وصادرت
    missed = (
        "| TRIGGER | missed | 3.0 | 0.67 | 0.33 | 0.50 (1 spans) | `وهاجمت`, `بالهجوم`, `وصادرت` |"
    )
    assert missed in out
    assert "| ACTOR | missed | 1.0 | 1.00 | 0.00 |  | `لمجلس الأمن` |" in out
    # inside the longer ACTOR of t3 it is neither annotated alone nor left out: 1 of 3
    assert "| ACTOR | spurious | 1.0 | 0.00 | 0.00 | 0.33 (1 spans) | `القوات` |" in out
