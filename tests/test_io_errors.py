"""Every kind of malformed input fails with its file, line and reason, or is counted if lenient."""

import io
import json
from pathlib import Path

import pytest

from araevent import DataFormatError, Document, LabelSchema, Span
from araevent.io import ConllOptions, load, save
from tests.conftest import write

TEXT = "قصفت الطائرات التركية الرقة"


def jsonl(tmp_path: Path, *records: object) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    return write(tmp_path / "docs.jsonl", "\n".join(lines) + "\n")


def good(doc_id: str = "a") -> dict[str, object]:
    return {"id": doc_id, "text": TEXT, "spans": [{"start": 0, "end": 4, "label": "TRIGGER"}]}


def error_of(path: Path, **kwargs: object) -> DataFormatError:
    with pytest.raises(DataFormatError) as info:
        load(path, **kwargs)  # type: ignore[arg-type]
    return info.value


def test_invalid_json_names_file_and_line(tmp_path: Path) -> None:
    path = jsonl(tmp_path, good(), '{"id": "b", "text": ')
    error = error_of(path)
    assert (error.path, error.line) == (str(path), 2)
    assert "invalid JSON" in str(error) and f"{path}:2" in str(error)


def test_non_utf8_bytes_name_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.conll", "قصف O\n".encode() + b"\xff\xfe O\n")
    error = error_of(path)
    assert error.line == 2 and "not UTF-8" in error.reason


def test_wrong_column_count(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.conll", "قصفت O\nالطائرات B-ACTOR extra\n")
    error = error_of(path)
    assert error.line == 2 and "expected 2 columns, found 3" in error.reason


def test_unknown_tag(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.conll", "قصفت O\nالطائرات X-ACTOR\n")
    error = error_of(path)
    assert error.line == 2 and "malformed tag: 'X-ACTOR'" in error.reason


def test_i_after_o_in_strict_mode(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.conll", "قصفت B-TRIGGER\nمن O\nالطائرات I-ACTOR\n")
    error = error_of(path, conll=ConllOptions(scheme=None))
    assert error.line == 3 and "I-ACTOR after O" in error.reason


def test_i_after_o_is_repaired_and_counted_in_lenient_mode(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.conll", "قصفت B-TRIGGER\nمن O\nالطائرات I-ACTOR\n")
    corpus = load(path, mode="lenient")
    assert [corpus[0].span_text(s) for s in corpus[0].spans] == ["قصفت", "الطائرات"]
    assert corpus.report.problems["tag sequence repaired"] == 1


def test_offsets_outside_the_text(tmp_path: Path) -> None:
    record = good()
    record["spans"] = [{"start": 20, "end": 99, "label": "PLACE"}]
    error = error_of(jsonl(tmp_path, record))
    assert error.line == 1 and error.doc_id == "a" and "offsets out of range" in error.reason


def test_span_text_that_disagrees_with_offsets(tmp_path: Path) -> None:
    record = good()
    record["spans"] = [{"start": 22, "end": 27, "label": "PLACE", "text": "الرقه"}]
    error = error_of(jsonl(tmp_path, record))
    assert "span text mismatch" in error.reason and "'الرقة'" in error.reason


def test_span_text_mismatch_is_relocated_in_lenient_mode(tmp_path: Path) -> None:
    record = good()
    record["spans"] = [{"start": 21, "end": 26, "label": "PLACE", "text": "الرقة"}]
    corpus = load(jsonl(tmp_path, record), mode="lenient")
    assert corpus[0].span_text(corpus[0].spans[0]) == "الرقة"
    assert corpus.report.problems["span text mismatch"] == 1


def test_overlapping_spans(tmp_path: Path) -> None:
    record = good()
    record["spans"] = [
        {"start": 5, "end": 21, "label": "ACTOR"},
        {"start": 14, "end": 27, "label": "PLACE"},
    ]
    error = error_of(jsonl(tmp_path, record))
    assert "overlapping spans" in error.reason and error.doc_id == "a"
    corpus = load(jsonl(tmp_path, record), mode="lenient")
    assert [s.label for s in corpus[0].spans] == ["ACTOR"]
    assert corpus.report.problems["overlapping spans"] == 1


def test_unknown_label_against_the_schema(tmp_path: Path) -> None:
    record = good()
    record["spans"] = [{"start": 0, "end": 4, "label": "EVENT"}]
    error = error_of(jsonl(tmp_path, record), schema=LabelSchema())
    assert "unknown label" in error.reason and "'EVENT'" in error.reason


def test_an_unknown_label_without_a_label_map_points_to_the_label_maps(tmp_path: Path) -> None:
    """PER in a corpus read without a map: the error names the setting and the built-in maps."""
    path = write(tmp_path / "x.conll", "بوتين B-PER\nزار O\n")
    error = error_of(path, schema=LabelSchema())
    assert "'PER'" in error.reason
    assert "data.label_map=NAME (araevent train) or --label-map NAME" in error.reason
    assert "(anercorp, anercorp-original, aqmar, newsfane, wojood)" in error.reason


def test_unknown_label_against_the_label_map(tmp_path: Path) -> None:
    path = write(tmp_path / "x.conll", "روسيا B-GPE\n")
    error = error_of(path, label_map="PERS=ACTOR")
    assert error.line == 1 and "'GPE' is not in the label map" in error.reason


def test_span_cutting_a_word_is_an_error_or_snapped(tmp_path: Path) -> None:
    text = "طلب الكرد من والروس"
    record = {"id": "a", "text": text, "spans": [{"start": 14, "end": 19, "label": "ACTOR"}]}
    error = error_of(jsonl(tmp_path, record))
    assert "not aligned to words" in error.reason
    corpus = load(jsonl(tmp_path, record), mode="lenient")
    assert corpus[0].span_text(corpus[0].spans[0]) == "والروس"
    assert load(jsonl(tmp_path, record), word_aligned=False)[0].spans[0].start == 14


def test_missing_text_field(tmp_path: Path) -> None:
    error = error_of(jsonl(tmp_path, {"id": "a", "spans": []}))
    assert "missing field 'text'" in error.reason


@pytest.mark.parametrize(
    ("value", "kind"), [(5, "a number"), (None, "null"), (["نص"], "an array"), (True, "a boolean")]
)
def test_a_text_field_that_is_not_a_string_says_what_it_is(
    tmp_path: Path, value: object, kind: str
) -> None:
    error = error_of(jsonl(tmp_path, {"id": "a", "text": value}))
    assert (
        error.line == 1 and error.reason == f"invalid record: field 'text' is {kind}, not a string"
    )


def test_lenient_mode_never_drops_silently(tmp_path: Path) -> None:
    path = jsonl(tmp_path, good("a"), "not json", good("b"))
    corpus = load(path, mode="lenient")
    assert [d.id for d in corpus] == ["a", "b"]
    assert corpus.report.problems == {"invalid JSON": 1}
    assert any(f"{path}:2" in e for e in corpus.report.examples["invalid JSON"])


def test_a_span_cut_at_a_joiner_inside_a_word_takes_the_whole_word(tmp_path: Path) -> None:
    # a ZWNJ inside a word does not end it: the span must reach the word's end, as the
    # tokenizer's word unit (and so training) reads it
    text = "قصفت الر\u200cقة"
    record = {"id": "a", "text": text, "spans": [{"start": 5, "end": 8, "label": "PLACE"}]}
    assert "not aligned to words" in error_of(jsonl(tmp_path, record)).reason
    corpus = load(jsonl(tmp_path, record), mode="lenient")
    assert corpus[0].span_text(corpus[0].spans[0]) == "الر\u200cقة"


def test_lone_surrogates_are_an_error_or_replaced_and_counted(tmp_path: Path) -> None:
    path = jsonl(tmp_path, good("a"), '{"id": "b", "text": "قصف \\ud800 الرقة"}')
    error = error_of(path)
    assert (error.line, error.doc_id) == (2, "b") and "lone surrogates" in error.reason
    corpus = load(path, mode="lenient")
    assert corpus[1].text == "قصف \ufffd الرقة"
    assert corpus.report.problems == {"lone surrogates": 1}
    save_path = tmp_path / "out.jsonl"
    save(corpus, save_path)  # what was loaded can be written: nothing unencodable is left
    assert load(save_path)[1].text == corpus[1].text


def test_empty_token_names_the_line(tmp_path: Path) -> None:
    error = error_of(write(tmp_path / "a.conll", "قصفت\tB-TRIGGER\n\tB-PLACE\n"))
    assert error.line == 2 and "empty token" in error.reason


def test_a_tag_column_the_file_does_not_have_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "a.conll", "قصفت B-TRIGGER\n")
    error = error_of(path, conll=ConllOptions(tag_col=3))
    assert error.line == 1 and "the line has 2" in error.reason


def test_standard_input_is_read_as_jsonl_or_the_given_format_and_named_in_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def stdin(data: str) -> None:
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data.encode())))

    stdin(json.dumps(good(), ensure_ascii=False) + "\n")
    document = load("-")[0]
    assert [document.text[s.start : s.end] for s in document.spans] == ["قصفت"]
    stdin("قصفت B-TRIGGER\nالطائرات B-ACTOR\n")
    assert [s.label for s in load("-", "conll")[0].spans] == ["TRIGGER", "ACTOR"]
    stdin("قصفت B-TRIGGER\nالطائرات I-ACTOR\n")
    with pytest.raises(DataFormatError, match=r"^stdin:2 .*I-ACTOR after a TRIGGER"):
        load("-", "conll")
    with pytest.raises(ValueError, match="cannot come on stdin"):
        load("-", "brat")


@pytest.mark.parametrize("name", ["IOB", "BIO", "iob 2", ""])
def test_a_name_that_is_not_a_scheme_is_refused_with_the_valid_ones(
    tmp_path: Path, name: str
) -> None:
    """A typo once fell through to BILOU and wrote L-/U- tags without a word."""
    valid = "expected one of IOB1, IOB2, IOBES, BILOU"
    with pytest.raises(ValueError, match=f"unknown tag scheme {name!r}; {valid}"):
        save([Document("a", TEXT, (Span(0, 4, "TRIGGER"),))], tmp_path / "out.conll", scheme=name)
    assert not (tmp_path / "out.conll").exists()  # refused before the file is opened
    with pytest.raises(ValueError, match=valid):
        ConllOptions(scheme=name)


def test_a_brat_ann_without_its_txt_is_an_error_or_skipped_and_counted(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "قصفت")
    write(tmp_path / "a.ann", "T1\tTRIGGER 0 4\tقصفت\n")
    orphan = write(tmp_path / "b.ann", "T1\tPLACE 0 5\tالرقة\n")
    error = error_of(tmp_path)
    assert error.path == str(orphan) and "no b.txt beside it" in error.reason
    corpus = load(tmp_path, mode="lenient")
    assert [d.id for d in corpus] == ["a"]
    assert corpus.report.problems == {"brat file without its pair": 1}
    assert corpus.report.examples["brat file without its pair"] == [f"{orphan}: no b.txt beside it"]


def repeated_ids(path: Path) -> tuple[Path, int | None]:
    """A file in ``path``'s format whose third document reuses the first one's id, and the
    line that document starts on (None where the format has no lines to name)."""
    docs = [Document("a", TEXT), Document("b", TEXT), Document("a", "الرقة")]
    if path.suffix == ".json":  # Label Studio
        tasks = [{"id": d.id, "data": {"text": d.text}, "annotations": [{"result": []}]}
                 for d in docs]  # fmt: skip
        write(path, json.dumps(tasks, ensure_ascii=False))
        return path, None
    save(docs, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    starts = [n for n, line in enumerate(lines, 1) if line.startswith(("{", "-DOCSTART-"))]
    return path, starts[2]


@pytest.mark.parametrize("name", ["docs.jsonl", "docs.conll", "tasks.json"])
def test_a_repeated_document_id_names_the_second_one_or_is_counted(
    tmp_path: Path, name: str
) -> None:
    """Gold and predictions pair up by id: a repeated one would pair the wrong documents."""
    path, line = repeated_ids(tmp_path / name)
    error = error_of(path)
    assert (error.path, error.line, error.doc_id) == (str(path), line, "a")
    assert error.reason.startswith("duplicate document id: 'a' was read at ")
    corpus = load(path, mode="lenient")
    assert [d.id for d in corpus] == ["a", "b", "a"]  # kept: only the id is wrong
    assert corpus.report.problems == {"duplicate document id": 1}


def test_one_bad_span_is_skipped_alone_not_with_its_document(tmp_path: Path) -> None:
    """A lenient load dropped the whole document, its good spans and its text, for one bad
    span, and counted it as a span problem; ``[start, end, label]`` lists are spans too."""
    listed = {"id": "a", "text": TEXT, "spans": [[0, 4, "TRIGGER"], [22, 27, "PLACE"]]}
    bad = good("b")
    bad["spans"] = [{"start": 0, "end": 4, "label": "TRIGGER"}, {"start": "x", "end": 9}]
    corpus = load(jsonl(tmp_path, listed, bad), mode="lenient")
    assert [[(s.start, s.end, s.label) for s in d.spans] for d in corpus] == [
        [(0, 4, "TRIGGER"), (22, 27, "PLACE")],
        [(0, 4, "TRIGGER")],
    ]
    assert corpus.report.problems == {"invalid span": 1}
    assert error_of(jsonl(tmp_path, listed, bad)).line == 2


def test_strict_errors_offer_the_repair_that_lenient_mode_reports_done(tmp_path: Path) -> None:
    """Strict mode repairs nothing, so its error must not say that it snapped a span."""
    text = "طلب الكرد من والروس"
    record = {"id": "a", "text": text, "spans": [{"start": 14, "end": 19, "label": "ACTOR"}]}
    path = jsonl(tmp_path, record)
    assert error_of(path).reason.endswith("(in lenient mode: snapped to 'والروس')")
    examples = load(path, mode="lenient").report.examples["span not aligned to words"]
    assert examples[0].endswith("[14, 19) 'الروس'; snapped to 'والروس'")


def test_a_relocated_span_says_where_it_went_and_an_empty_one_is_not_out_of_range(
    tmp_path: Path,
) -> None:
    far = "قصفت " + "كلمة " * 100 + "الرقة"
    record = {"id": "a", "text": far, "spans": [{"start": 0, "end": 4, "label": "PLACE"}]}
    record["spans"][0]["text"] = "الرقة"  # type: ignore[index]
    corpus = load(jsonl(tmp_path, record), mode="lenient")
    assert corpus.report.examples["span text mismatch"][0].endswith(
        "moved to [505, 510), 505 characters away"
    )
    empty = good()
    empty["spans"] = [{"start": 4, "end": 4, "label": "ACTOR"}]
    assert error_of(jsonl(tmp_path, empty)).reason == "empty span: [4, 4) ACTOR holds no character"
    empty["spans"] = [{"start": 5, "end": 3, "label": "ACTOR"}]
    assert error_of(jsonl(tmp_path, empty)).reason.startswith("offsets out of range: [5, 3)")


def test_a_readme_beside_brat_files_is_not_a_document_without_annotations(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "قصفت")
    write(tmp_path / "a.ann", "T1\tTRIGGER 0 4\tقصفت\n")
    write(tmp_path / "README.txt", "A corpus.")
    corpus = load(tmp_path)  # strict, as training loads
    assert [d.id for d in corpus] == ["a"]
    assert corpus.report.problems == {"files that are not brat data skipped": 1}


def test_a_label_studio_project_whose_text_field_has_another_name_loads(tmp_path: Path) -> None:
    """A labelling config with ``<Text value="$passage">`` exports ``data.passage``."""
    result = {"type": "labels", "value": {"start": 0, "end": 4, "labels": ["TRIGGER"]}}
    task = {"id": 7, "data": {"passage": TEXT}, "annotations": [{"result": [result]}]}
    path = write(tmp_path / "export.json", json.dumps([task], ensure_ascii=False))
    corpus = load(path)
    assert corpus[0].text == TEXT and list(corpus[0].spans) == [Span(0, 4, "TRIGGER")]
    assert corpus.report.problems == {
        "text read from the one string field of data, not data.text": 1
    }
    task["data"] = {"passage": TEXT, "title": "x"}  # two strings: no guess, the fields named
    path.write_text(json.dumps([task], ensure_ascii=False), encoding="utf-8")
    assert error_of(path).reason.endswith("(its string fields: passage, title)")


def test_an_error_under_a_detected_scheme_names_the_tag_it_was_detected_from(
    tmp_path: Path,
) -> None:
    """One stray ``S-`` makes a BIO file IOBES; the error then names a correct line, so it
    must also name the tag that decided."""
    body = "قصفت B-TRIGGER\nالطائرات B-ACTOR\nالتركية I-ACTOR\n\nفي O\nدمشق S-PLACE\n"
    error = error_of(write(tmp_path / "stray.conll", body))
    assert "invalid tag sequence (IOBES, detected from S-PLACE at line 6)" in error.reason
    assert (
        "detected"
        not in error_of(
            write(tmp_path / "stray.conll", body), conll=ConllOptions(scheme="IOBES")
        ).reason
    )
