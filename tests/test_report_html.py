"""The HTML evaluation report: offline, Arabic right-to-left in a left-to-right page,
injection-proof, offsets right in JS."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
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


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: Element | None
    children: list[Element] = field(default_factory=list)

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def ancestors(self) -> list[Element]:
        out, node = [], self.parent
        while node is not None:
            out.append(node)
            node = node.parent
        return out

    def walk(self) -> list[Element]:
        return [self, *(e for child in self.children for e in child.walk())]


VOID = {"meta", "input", "br", "img", "hr", "link"}


class TreeBuilder(HTMLParser):
    """The page's element tree, enough to see which element sits inside which."""

    def __init__(self) -> None:
        super().__init__()
        self.root = Element("#document", {}, None)
        self.open = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, self.open)
        self.open.children.append(element)
        if tag not in VOID:
            self.open = element

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.open
        while node is not None and node.tag != tag:
            node = node.parent
        assert node is not None and node.parent is not None, f"stray </{tag}>"
        self.open = node.parent


def tree(page: str) -> list[Element]:
    builder = TreeBuilder()
    builder.feed(page)
    builder.close()
    return builder.root.walk()[1:]


def test_page_is_utf8_with_arabic_fonts(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in page
    assert '"Noto Naskh Arabic"' in page


def test_page_reads_left_to_right_and_only_arabic_text_right_to_left(page: str) -> None:
    """English headings and tables read in order ("label precision recall"), not mirrored;
    the document lines and quoted spans, which the script clones from the template, are
    Arabic and right-to-left."""
    elements = tree(page)
    root = elements[0]
    assert (root.tag, root.attrs["dir"], root.attrs["lang"]) == ("html", "ltr", "en")
    rtl = [e for e in elements if e.attrs.get("dir") == "rtl"]
    assert sorted(e.classes[0] for e in rtl) == ["quote", "text"]
    for element in rtl:
        assert element.attrs["lang"] == "ar"
        assert element.parent is not None and element.parent.attrs["id"] == "doc-parts"
    assert 'part("text")' in page and 'part("quote")' in page


def test_tables_and_headings_sit_in_no_right_to_left_element(page: str) -> None:
    checked = [e for e in tree(page) if e.tag in ("table", "h1", "h2", "form", "dl")]
    assert len(checked) == 1 + 1 + 5 + 1 + 3  # h1, meta list, sections, filters, tables
    for element in checked:
        assert all(a.attrs.get("dir", "ltr") == "ltr" for a in element.ancestors())


def test_summary_blocks_share_one_grid_and_documents_take_the_width(page: str) -> None:
    """Side by side on a wide window instead of four narrow blocks down one edge."""
    elements = tree(page)
    (grid,) = [e for e in elements if "summary" in e.classes]
    headings = [e for e in elements if e.tag == "h2"]
    inside = [h for h in headings if grid in h.ancestors()]
    assert len(inside) == 4 and len(headings) == 5
    assert re.search(r"\.summary \{ display: grid;", page)


def test_a_label_tag_never_wraps_away_from_its_span(page: str) -> None:
    """The script puts a span's last word and its tag into the one no-wrap unit."""
    (keep,) = [e for e in tree(page) if "keep" in e.classes]
    assert keep.parent is not None and keep.parent.attrs["id"] == "doc-parts"
    assert re.search(r"\.keep \{ white-space: nowrap; \}", page)
    assert "keep.append(text.slice(cut), tag(label))" in page


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
        assert re.search(rf"<th scope=\"row\">{kind}</th><td>{count}</td>", page)
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
