"""scripts/lexicon_coverage.py: how many untaught missed triggers a lexicon reaches, and how
precise its matches are on the training text."""

import json
from pathlib import Path

import pytest

from tests.conftest import load_script, write

coverage = load_script("lexicon_coverage")

CAMEO_SAMPLE = """\
--- هاجم [190] ---
هاجم                  [190]     # attack
اضرم+نار+في           [139]     # set fire
- * على [190] # a pattern: its words are no verbs
&CURRENCY
+دينار_
--- قال [010] ---
قال                             # say
"""


def _jsonl(path: Path, docs: list[dict]) -> Path:
    records = [
        {**d, "spans": [dict(zip(("start", "end", "label"), s, strict=True)) for s in d["spans"]]}
        for d in docs
    ]
    return write(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def test_the_verbs_of_entry_lines_are_the_lexicon(tmp_path: Path) -> None:
    lexicon = coverage.cameo_words(write(tmp_path / "cameo.txt", CAMEO_SAMPLE))
    assert lexicon == {"هاجم", "اضرم", "قال"}  # not على (a pattern), not دينار (a synonym set)


def test_inflected_verbs_match_generously_and_only_bare_forms_strictly() -> None:
    lexicon = {"هاجم", "قال"}
    assert coverage.matches("وهاجمت", lexicon) and coverage.matches("ستهاجم", lexicon)
    assert coverage.matches_strictly("وهاجم", lexicon)
    assert not coverage.matches_strictly("وهاجمت", lexicon)
    assert not coverage.matches("وقصفت", lexicon)


def test_coverage_of_untaught_misses_and_precision_on_train(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "وهاجمت القوات البلدة وقصفت المدينة"
    #       0      7      14     21    27
    gold = {"id": "d", "text": text, "spans": [[0, 6, "TRIGGER"], [21, 26, "TRIGGER"]]}
    train = [  # قال twice outside any trigger, هاجم once inside one: precision 1/3
        {"id": "t1", "text": "قال الوزير إن القوات هاجم البلدة", "spans": [[21, 25, "TRIGGER"]]},
        {"id": "t2", "text": "وقال الشاهد", "spans": []},
    ]
    gold_file = _jsonl(tmp_path / "dev.jsonl", [gold])
    train_file = _jsonl(tmp_path / "train.jsonl", train)
    _jsonl(tmp_path / "run" / "dev" / "predictions.jsonl", [{**gold, "spans": []}])
    lexicon = write(tmp_path / "cameo.txt", CAMEO_SAMPLE)
    args = [str(tmp_path / "run"), "--gold", str(gold_file), "--train", str(train_file)]
    assert coverage.main([*args, "--lexicon", str(lexicon)]) == 0
    out = capsys.readouterr().out
    # both misses are untaught (وهاجمت is not هاجم: only proclitics and the article are
    # stripped for that), and the lexicon reaches وهاجمت, not وقصفت
    assert "| 2.0 | 2.0 | 1.0 | 0.50 |" in out
    assert "| 8 | 1 | 3 | 1 | 0.333 | 1.000 |" in out  # 8 words; قال, وقال, هاجم matched
    assert "`قال` 1, `وقال` 1" in out
