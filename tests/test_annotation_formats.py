"""Pre-annotations for Label Studio, doccano and brat: what each tool reads back, offsets
exact across diacritics, astral characters (emoji) and bidi marks; the labelling config; and
``araevent predict --format labelstudio|doccano``."""

from __future__ import annotations

import gzip
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from araevent import DataFormatError, Document, Span
from araevent.annotation.tasks import labelstudio_config, model_version
from araevent.cli.main import main
from araevent.evaluation.html import LABEL_COLOURS
from araevent.io import load, save
from araevent.io.labelstudio import TASK_DATA, TASK_SCORE, labelstudio_task
from araevent.io.offsets import from_utf16, to_utf16
from araevent.training import TrainResult
from tests.conftest import write

# words a span may start or end on (diacritics included), and tokens that only sit between or
# inside spans: emoji outside the BMP (one a ZWJ sequence with a skin tone), a mathematical
# letter, and bidi marks (RLM, LRM, ALM)
WORDS = st.sampled_from(["قَصفت", "والروس", "الطائرات", "مواقعَ", "٢٠٢٠", "CNN", "الرقّة"])
OTHER = st.sampled_from(["😀", "👨🏻\u200d🚒", "𝐀", "\u200f", "\u200e", "\u061c", "،"])
LABELS = st.sampled_from(["ACTOR", "PLACE", "DATE", "TRIGGER"])
ROUND_TRIP = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def documents(draw: st.DrawFn) -> Document:
    """Space-separated tokens, spans over runs of one to three tokens that start and end on a
    word (emoji and bidi marks may sit inside a span, and anywhere between spans)."""
    tokens = draw(st.lists(st.one_of(WORDS, OTHER), min_size=1, max_size=12))
    text, offsets = "", []
    for token in tokens:
        text += " " if text else ""
        offsets.append((len(text), len(text) + len(token), token[0].isalnum()))
        text += token
    spans, i = [], 0
    while i < len(offsets):
        chosen = offsets[i : i + draw(st.integers(1, 3))]
        if chosen[0][2] and chosen[-1][2] and draw(st.booleans()):
            score = draw(st.floats(0.0, 1.0))
            spans.append(Span(chosen[0][0], chosen[-1][1], draw(LABELS), score))
            i += len(chosen)
        else:
            i += 1
    return Document(f"doc-{draw(st.integers(0, 10**6))}", text, tuple(spans))


def accepted(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tasks as Label Studio exports them once an annotator accepts each prediction as it is:
    the prediction's result becomes the annotation's."""
    return [
        {**task, "id": i, "annotations": [{"result": task["predictions"][0]["result"]}]}
        for i, task in enumerate(tasks)
    ]


def triples(document: Document) -> list[tuple[int, int, str, str]]:
    return [(s.start, s.end, s.label, document.span_text(s)) for s in document.spans]


@ROUND_TRIP
@given(st.lists(documents(), min_size=1, max_size=3))
def test_label_studio_tasks_read_back_with_exact_offsets(
    tmp_path: Path, docs: list[Document]
) -> None:
    save(docs, tmp_path / "tasks.json")
    tasks = json.loads((tmp_path / "tasks.json").read_text(encoding="utf-8"))
    for task, document in zip(tasks, docs, strict=True):
        for result, span in zip(task["predictions"][0]["result"], document.spans, strict=True):
            # code points, as Python and Label Studio count: the text at the offsets is the span
            value = result["value"]
            assert task["data"]["text"][value["start"] : value["end"]] == value["text"]
            assert result["score"] == span.score
    write(tmp_path / "export.json", json.dumps(accepted(tasks), ensure_ascii=False))
    loaded = load(tmp_path / "export.json")
    assert [(d.text, triples(d)) for d in loaded] == [(d.text, triples(d)) for d in docs]
    # the document's own id comes back beside Label Studio's task id
    assert [d.meta[TASK_DATA] for d in loaded] == [{"source": d.id} for d in docs]


@ROUND_TRIP
@given(st.lists(documents(), min_size=1, max_size=3))
def test_doccano_lines_read_back_with_exact_offsets(tmp_path: Path, docs: list[Document]) -> None:
    save(docs, tmp_path / "doccano.jsonl", "doccano")
    loaded = load(tmp_path / "doccano.jsonl", "doccano")
    assert [(d.text, triples(d)) for d in loaded] == [(d.text, triples(d)) for d in docs]


@ROUND_TRIP
@given(st.lists(documents(), min_size=1, max_size=3, unique_by=lambda d: d.id))
def test_brat_pairs_read_back_with_exact_offsets(tmp_path: Path, docs: list[Document]) -> None:
    folder = tmp_path / "brat"
    for old in folder.glob("*") if folder.exists() else ():
        old.unlink()
    save(docs, folder, "brat")
    loaded = {d.id: d for d in load(folder)}
    assert [(loaded[d.id].text, triples(loaded[d.id])) for d in docs] == [
        (d.text, triples(d)) for d in docs
    ]


@given(st.text(alphabet=st.sampled_from("ab😀\u200fق𝐀َ"), max_size=12))
def test_utf16_offsets_round_trip_at_every_character_boundary(text: str) -> None:
    offsets = list(range(len(text) + 1))
    units = to_utf16(text, offsets)
    assert units[-1] == len(text.encode("utf-16-le")) // 2
    assert from_utf16(text, units) == offsets


def test_doccano_offsets_count_utf16_units_as_doccano_does(tmp_path: Path) -> None:
    text = "😀 طالبت روسيا"
    document = Document("d", text, (Span(8, 13, "ACTOR"),))
    save([document], tmp_path / "d.jsonl", "doccano")
    line = json.loads((tmp_path / "d.jsonl").read_text(encoding="utf-8"))
    # the emoji is two UTF-16 units: JavaScript's text.slice(9, 14) is "روسيا"
    assert line == {"text": text, "label": [[9, 14, "ACTOR"]]}


def test_a_doccano_export_after_an_emoji_reads_the_labelled_word(tmp_path: Path) -> None:
    """doccano exports UTF-16 offsets: read as code points, every span after an emoji would
    shift by one (doccano issue 2290)."""
    trigger = {"start_offset": 3, "end_offset": 8, "label": "TRIGGER"}
    lines = [
        {"text": "😀 طالبت روسيا", "label": [[9, 14, "ACTOR"]]},
        {"text": "😀 طالبت روسيا", "entities": [trigger]},
    ]
    path = write(tmp_path / "export.jsonl", "\n".join(json.dumps(x) for x in lines))
    first, second = load(path, "doccano")
    assert [first.span_text(s) for s in first.spans] == ["روسيا"]
    assert [second.span_text(s) for s in second.spans] == ["طالبت"]


def test_a_doccano_offset_inside_a_surrogate_pair_is_an_error_naming_the_line(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path / "export.jsonl", json.dumps({"text": "😀 روسيا", "label": [[1, 8, "ACTOR"]]})
    )
    with pytest.raises(DataFormatError, match=r"export\.jsonl:1 .*inside the surrogate pair"):
        load(path, "doccano")


def test_a_label_studio_task_has_the_shape_label_studio_imports() -> None:
    text = "قصفت الطائرات التركية الرقة"
    spans = (Span(5, 21, "ACTOR", 0.91), Span(22, 27, "PLACE", 0.6))
    document = Document("news:3", text, spans, {TASK_SCORE: 0.42})
    task = labelstudio_task(document, "model@abc")
    assert task["data"] == {"text": text, "source": "news:3"}
    (prediction,) = task["predictions"]
    assert prediction["model_version"] == "model@abc"
    assert prediction["score"] == 0.42
    first, second = prediction["result"]
    assert first["from_name"] == "label" and first["to_name"] == "text"
    assert first["type"] == "labels"
    assert first["value"] == {
        "start": 5,
        "end": 21,
        "text": "الطائرات التركية",
        "labels": ["ACTOR"],
    }
    assert (first["score"], second["score"]) == (0.91, 0.6)
    assert first["id"] != second["id"]


def test_the_config_names_what_the_tasks_name_with_colours_and_rtl_text() -> None:
    labels = ["ACTOR", "PLACE", "DATE", "TRIGGER", "EXTRA&"]
    root = ET.fromstring(labelstudio_config(labels))
    (labels_tag,) = root.iter("Labels")
    assert (labels_tag.get("name"), labels_tag.get("toName")) == ("label", "text")
    declared = {tag.get("value"): tag.get("background") for tag in labels_tag.iter("Label")}
    assert list(declared) == labels
    assert declared["ACTOR"] == LABEL_COLOURS["ACTOR"]
    assert declared["EXTRA&"]  # a label without a guideline colour still gets one
    rtl = [view for view in root.iter("View") if "direction: rtl" in (view.get("style") or "")]
    (text,) = rtl[0].iter("Text")
    assert (text.get("name"), text.get("value")) == ("text", "$text")


def test_labelstudio_config_command_from_labels_or_model(
    tiny_run: TrainResult, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["labelstudio-config", "--labels", "ACTOR, PLACE"]) == 0
    from_labels = ET.fromstring(capsys.readouterr().out)
    assert [t.get("value") for t in from_labels.iter("Label")] == ["ACTOR", "PLACE"]
    assert main(["labelstudio-config", "--model", str(tiny_run.model_dir)]) == 0
    from_model = ET.fromstring(capsys.readouterr().out)
    assert [t.get("value") for t in from_model.iter("Label")] == [
        "ACTOR", "PLACE", "DATE", "TRIGGER"
    ]  # fmt: skip


def test_labelstudio_config_without_a_model_folder_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["labelstudio-config", "--model", str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


LINES = [
    "قصفت الطائرات التركية مواقع في الرقة يوم الأحد 😀 وفي دمشق، اعتقلت قوات الأمن ناشطين.",
    "أعلنت وزارة الدفاع الروسية أن قواتها دخلت مدينة تدمر.",
]


def test_predict_writes_label_studio_tasks_that_read_back(
    tiny_run: TrainResult, tmp_path: Path
) -> None:
    source = tmp_path / "in.txt.gz"
    source.write_bytes(gzip.compress(("\n".join(LINES) + "\n").encode("utf-8")))
    out = tmp_path / "tasks.json"
    model = str(tiny_run.model_dir)
    args = ["predict", "--model", model, str(source), "--format", "labelstudio", "-o", str(out)]
    assert main(args) == 0
    tasks = json.loads(out.read_text(encoding="utf-8"))
    assert [t["data"]["text"] for t in tasks] == LINES
    for task in tasks:
        (prediction,) = task["predictions"]
        assert prediction["model_version"] == model_version([model])
        assert prediction["model_version"].startswith(f"{Path(model).name}@")
        assert 0.0 <= prediction["score"] <= 1.0
        for result in prediction["result"]:
            value = result["value"]
            assert task["data"]["text"][value["start"] : value["end"]] == value["text"]
    loaded = load(write(tmp_path / "export.json", json.dumps(accepted(tasks))))
    assert [len(d.spans) for d in loaded] == [len(t["predictions"][0]["result"]) for t in tasks]


def test_predict_writes_doccano_lines_to_stdout(
    tiny_run: TrainResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(tmp_path / "in.txt", "\n".join(LINES) + "\n")
    args = ["predict", "--model", str(tiny_run.model_dir), str(source), "--format", "doccano"]
    assert main(args) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["text"] for r in records] == LINES
    assert all(set(r) == {"text", "label"} for r in records)
    back = load(
        write(tmp_path / "back.jsonl", "\n".join(json.dumps(r) for r in records)), "doccano"
    )
    for record, document in zip(records, back, strict=True):
        assert [[*to_utf16(document.text, [s.start, s.end]), s.label] for s in document.spans] == (
            record["label"]
        )
