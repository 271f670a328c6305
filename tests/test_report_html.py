"""The HTML evaluation report: offline, right-to-left, injection-proof, offsets right in JS."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from araevent.evaluation.html import render_html

SENTENCE = "اندلعت اشتباكات عنيفة بين الجيش السوري وفصائل المعارضة في ريف إدلب يوم الثلاثاء."
HOSTILE = "قال المتحدث: </script><b>x</b> & <!-- تظاهر آلاف المحتجين في الخرطوم."
EMOJI = "🇱🇧 وصل الرئيس الفرنسي 😀 إلى بيروت صباح الجمعة."


def span(text: str, words: str, label: str) -> list[Any]:
    """A [start, end, label] span over the first occurrence of ``words``, in code points."""
    start = text.index(words)
    return [start, start + len(words), label]


def prf(p: float, r: float, f: float, tp: int, fp: int, fn: int) -> dict[str, Any]:
    return {"precision": p, "recall": r, "f1": f, "tp": tp, "fp": fp, "fn": fn, "support": tp + fn}


def report_data() -> dict[str, Any]:
    gold_1 = [
        span(SENTENCE, "الجيش السوري", "ACTOR"),
        span(SENTENCE, "ريف إدلب", "PLACE"),
        span(SENTENCE, "يوم الثلاثاء", "DATE"),
    ]
    pred_1 = [
        [*span(SENTENCE, "الجيش السوري", "ACTOR"), 0.94],
        [*span(SENTENCE, "إدلب", "PLACE"), 0.71],
    ]
    gold_3 = [span(EMOJI, "الرئيس الفرنسي", "ACTOR"), span(EMOJI, "بيروت", "PLACE")]
    pred_3 = [[*span(EMOJI, "الرئيس الفرنسي", "ACTOR"), None], [*span(EMOJI, "بيروت", "DATE"), 0.5]]
    return {
        "title": "araevent evaluation: dev <test>",
        "meta": {"gold": "data/sample/dev.jsonl", "predicted": "model X", "documents": 3},
        "labels": ["ACTOR", "DATE", "PLACE", "TRIGGER"],
        "scores": {
            "micro": prf(0.8, 0.7, 0.746, 7, 2, 3),
            "macro_f1": 0.6543,
            "per_label": {
                "ACTOR": prf(0.9, 0.8, 0.847, 4, 1, 1),
                "DATE": prf(0.5, 0.5, 0.5, 1, 1, 1),
                "PLACE": prf(0.75, 1.0, 0.857, 2, 0, 0),
                "TRIGGER": prf(0.0, 0.0, 0.0, 0, 0, 1),
            },
        },
        "confusion": {
            "labels": ["ACTOR", "DATE", "PLACE", "TRIGGER", "O"],
            "matrix": [
                [4, 0, 0, 0, 17],
                [0, 1, 0, 0, 1],
                [0, 23, 2, 0, 0],
                [0, 0, 0, 0, 1],
                [29, 1, 0, 0, 0],
            ],
        },
        "error_counts": {
            "missed": 3,
            "spurious": 2,
            "label": 1,
            "boundary": 1,
            "label_boundary": 0,
        },
        "documents": [
            {
                "id": "doc-1",
                "text": SENTENCE,
                "gold": gold_1,
                "predicted": pred_1,
                "errors": [
                    {"kind": "boundary", "gold": gold_1[1], "predicted": pred_1[1][:3]},
                    {"kind": "missed", "gold": gold_1[2], "predicted": None},
                ],
            },
            {
                "id": "doc-2",
                "text": HOSTILE,
                "gold": [span(HOSTILE, "المتحدث", "ACTOR")],
                "predicted": [[*span(HOSTILE, "الخرطوم", "PLACE"), 0.3]],
                "errors": [
                    {
                        "kind": "missed",
                        "gold": span(HOSTILE, "المتحدث", "ACTOR"),
                        "predicted": None,
                    },
                    {
                        "kind": "spurious",
                        "gold": None,
                        "predicted": span(HOSTILE, "الخرطوم", "PLACE"),
                    },
                ],
            },
            {
                "id": "doc-3",
                "text": EMOJI,
                "gold": gold_3,
                "predicted": pred_3,
                "errors": [{"kind": "label", "gold": gold_3[1], "predicted": pred_3[1][:3]}],
            },
        ],
    }


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(report_data())


def embedded(page: str) -> dict[str, Any]:
    """The JSON the page's script reads, parsed as the browser's JSON.parse would."""
    found = re.search(
        r'<script type="application/json" id="report-data">(.*?)</script>', page, re.DOTALL
    )
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def utf16_slice(text: str, start: int, end: int) -> str:
    """``text.slice(start, end)`` as JavaScript evaluates it, on UTF-16 code units."""
    units = text.encode("utf-16-le")
    return units[2 * start : 2 * end].decode("utf-16-le")


def test_page_is_right_to_left_utf8(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="ar" dir="rtl">' in page
    assert '<meta charset="utf-8">' in page
    assert '"Noto Naskh Arabic"' in page


def test_page_is_self_contained(page: str) -> None:
    assert "http://" not in page
    assert "https://" not in page
    assert "<script src" not in page
    assert "<link" not in page
    assert "default-src 'none'" in page  # the browser may fetch nothing either


def test_title_is_escaped(page: str) -> None:
    assert "<title>araevent evaluation: dev &lt;test&gt;</title>" in page
    assert "<test>" not in page


def test_hostile_text_cannot_break_out_of_the_script(page: str) -> None:
    assert "</script><b>x</b>" not in page
    assert "<b>x</b>" not in page
    assert "<!--" not in page
    # Exactly the two script elements' own closing tags: the data closed none early.
    assert page.count("</script>") == 2
    texts = [doc["text"] for doc in embedded(page)["documents"]]
    assert texts == [SENTENCE, HOSTILE, EMOJI]


def test_embedded_documents_round_trip(page: str) -> None:
    docs = embedded(page)["documents"]
    assert [doc["id"] for doc in docs] == ["doc-1", "doc-2", "doc-3"]
    source = report_data()["documents"][0]
    assert docs[0]["gold"] == source["gold"]  # no astral characters: offsets unchanged
    assert docs[0]["predicted"] == source["predicted"]
    assert docs[0]["errors"] == source["errors"]
    assert docs[2]["predicted"][0][3] is None


def test_offsets_after_emoji_select_the_right_text_in_javascript(page: str) -> None:
    data = embedded(page)
    assert data["offset_unit"] == "utf-16 code units"
    doc = data["documents"][2]
    text = doc["text"]
    assert [utf16_slice(text, s, e) for s, e, _ in doc["gold"]] == ["الرئيس الفرنسي", "بيروت"]
    assert [utf16_slice(text, *p[:2]) for p in doc["predicted"]] == ["الرئيس الفرنسي", "بيروت"]
    error = doc["errors"][0]
    assert utf16_slice(text, *error["gold"][:2]) == "بيروت"
    assert utf16_slice(text, *error["predicted"][:2]) == "بيروت"
    # The flag is two astral characters and the smiley one: each takes two UTF-16 code units.
    assert error["gold"][0] == report_data()["documents"][2]["errors"][0]["gold"][0] + 3


def test_span_outside_its_text_is_refused() -> None:
    data = report_data()
    data["documents"][0]["gold"].append([0, len(SENTENCE) + 1, "ACTOR"])
    with pytest.raises(ValueError, match="doc-1"):
        render_html(data)


def test_nan_is_refused_rather_than_breaking_the_page() -> None:
    data = report_data()
    data["documents"][0]["predicted"][0][3] = float("nan")
    with pytest.raises(ValueError):
        render_html(data)


def test_labels_scores_and_counts_appear(page: str) -> None:
    for label in ("ACTOR", "DATE", "PLACE", "TRIGGER"):
        assert f">{label}</bdi>" in page
    for value in ("0.847", "0.857", "0.746", "0.654"):  # per-label F1, micro F1, macro F1
        assert f"<td>{value}</td>" in page
    for count in (17, 23, 29):  # confusion cells, found nowhere else in the data
        assert re.search(rf'<td title="gold \w+, predicted \w+: {count}"[^>]*>{count}</td>', page)
    assert "O = none (missed / spurious)" in page
    assert '<td title="gold PLACE, predicted DATE: 23"' in page
    assert "<svg" in page and "<title>ACTOR f1 0.847</title>" in page


def test_error_counts_and_filters_are_offered(page: str) -> None:
    for kind, count in report_data()["error_counts"].items():
        assert re.search(rf"<bdi dir=\"ltr\">{kind}</bdi></th><td>{count}</td>", page)
        assert f'<option value="{kind}">' in page
    assert '<option value="any">any error</option>' in page
    assert 'id="filter-errors"' in page and 'id="filter-id"' in page
    assert page.count('type="checkbox" value=') == 4


def test_undeclared_label_gets_fallback_colour_and_a_filter() -> None:
    data = report_data()
    data["documents"][0]["predicted"].append([*span(SENTENCE, "اشتباكات", "EVENT"), 0.4])
    page = render_html(data)
    assert embedded(page)["colours"]["EVENT"] == "#8C8C8C"
    assert '<input type="checkbox" value="EVENT" checked>' in page
