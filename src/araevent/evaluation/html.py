"""A self-contained HTML page for an evaluation report, readable offline in any browser.

The page is meant to be mailed around or opened from a results folder, so everything it needs is
inline: CSS, a small script and the data itself. There is no CDN and no external URL, and a
Content-Security-Policy forbids the browser from fetching anything.

The summary (scores, bar chart, confusion matrix, error counts) is static HTML built here. The
documents are not: a corpus can hold thousands of them, so they are embedded once as JSON and
rendered in pages by the script, which also filters them. The script builds every node with DOM
APIs and ``textContent``, so document text is never parsed as HTML.

Span offsets in the input are Python string indices (code points); JavaScript strings index
UTF-16 code units, and an emoji or any other astral character counts twice there. Offsets are
therefore converted to UTF-16 before they are embedded, and the embedded JSON says so.

The page itself is left-to-right, like its English headings and tables; only the Arabic text
(document lines and quoted spans) is right-to-left, marked ``dir="rtl" lang="ar"`` on the
elements that hold it. Those elements are prototypes in a ``<template>`` that the script clones,
so their direction is written once, in the HTML, where it can be read and tested.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping, Sequence
from itertools import accumulate
from typing import Any, Final

from araevent.evaluation.analysis import NONE as NONE_LABEL
from araevent.evaluation.matching import ERROR_KINDS

#: Okabe-Ito colours: distinguishable with the common forms of colour blindness.
LABEL_COLOURS: Final[Mapping[str, str]] = {
    "ACTOR": "#0072B2",
    "PLACE": "#009E73",
    "DATE": "#E69F00",
    "TRIGGER": "#CC79A7",
}
#: For labels outside the four above, so an unexpected label is still visible but not confused.
FALLBACK_COLOUR: Final = "#8C8C8C"
#: Marks errors; Okabe-Ito vermillion, distinct from the label colours.
ERROR_COLOUR: Final = "#D55E00"
#: Bars of the chart, from Paul Tol's colour-blind safe palette, unlike any label colour.
METRIC_COLOURS: Final[Sequence[tuple[str, str, str]]] = (
    ("precision", "P", "#88CCEE"),
    ("recall", "R", "#44AA99"),
    ("f1", "F1", "#332288"),
)
#: Documents rendered at once: enough to scroll through, few enough to stay instant.
PAGE_SIZE: Final = 50

#: For the documents' Arabic text: fonts drawn for Arabic first.
ARABIC_FONTS: Final = (
    '"Noto Naskh Arabic", "Noto Sans Arabic", "Amiri", "Segoe UI", Tahoma, "DejaVu Sans", '
    "sans-serif"
)
#: For everything else. Still Arabic-capable, but Latin-first: Arabic fonts carry their own
#: full stop and colon, and in Noto Naskh "0.990" reads as "0,990".
UI_FONTS: Final = '"Segoe UI", Tahoma, "DejaVu Sans", "Noto Sans Arabic", sans-serif'


def render_html(data: Mapping[str, Any]) -> str:
    """A self-contained HTML report page for one evaluation.

    ``data`` holds ``title``, ``meta``, ``labels``, ``scores`` (strict span scores: ``micro``,
    ``macro_f1``, ``per_label``), ``confusion`` (``labels`` and ``matrix``, gold rows by
    predicted columns, ``O`` for none), ``error_counts`` and ``documents`` (``id``, ``text``,
    ``gold`` and ``predicted`` spans as ``[start, end, label(, score)]`` code-point offsets, and
    ``errors``), all JSON-serialisable. A NaN raises ``ValueError`` rather than reach the page,
    where ``JSON.parse`` would reject all of the data for it; so does a span outside its text,
    which would highlight the wrong words.
    """
    labels = _all_labels(data)
    title = html.escape(str(data["title"]))
    kinds = [*ERROR_KINDS, *sorted(set(data["error_counts"]) - set(ERROR_KINDS))]
    payload = {
        "offset_unit": "utf-16 code units",
        "page_size": PAGE_SIZE,
        "colours": {label: _colour(label) for label in labels},
        "documents": [_document_payload(doc) for doc in data["documents"]],
    }
    summary = [
        _section("Span scores (strict)", _scores_table(data["scores"], labels)),
        _section("Precision, recall and F1 per label", _bar_chart(data["scores"], labels)),
        _section("Confusion matrix", _confusion_table(data["confusion"])),
        _section("Errors", _error_counts_table(data["error_counts"], kinds)),
    ]
    body = "\n".join(
        [
            f"<header><h1>{title}</h1>{_meta_list(data['meta'])}</header>",
            # Side by side where the window allows: one narrow table per full-width row would
            # leave most of a wide screen empty.
            '<div class="summary">\n' + "\n".join(summary) + "\n</div>",
            _section("Documents", _documents_shell(labels, kinds)),
            f'<script type="application/json" id="report-data">{_script_json(payload)}</script>',
            f"<script>{_SCRIPT}</script>",
        ]
    )
    return (
        '<!DOCTYPE html>\n<html lang="en" dir="ltr">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
        f"<title>{title}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n"
        "</html>\n"
    )


def _all_labels(data: Mapping[str, Any]) -> list[str]:
    """The declared labels, then any other label the scores, matrix or spans use.

    An undeclared label still needs a colour, a filter checkbox and a row, or its spans would
    be unfilterable and its counts would vanish from the tables.
    """
    seen: set[str] = set(data["scores"]["per_label"])
    seen.update(str(label) for label in data["confusion"]["labels"] if label != NONE_LABEL)
    for doc in data["documents"]:
        seen.update(str(span[2]) for span in (*doc["gold"], *doc["predicted"]))
    declared = [str(label) for label in data["labels"]]
    return [*declared, *sorted(seen - set(declared))]


def _colour(label: str) -> str:
    return LABEL_COLOURS.get(label, FALLBACK_COLOUR)


def _section(heading: str, content: str) -> str:
    return f"<section>\n<h2>{html.escape(heading)}</h2>\n{content}\n</section>"


def _fmt(value: Any) -> str:
    """Scores with three decimals, so columns line up and 0.7 is not read as 7."""
    return f"{float(value):.3f}"


def _label_tag(label: str) -> str:
    """A label as a small coloured tag, isolated so Latin text cannot reorder Arabic around it."""
    return f'<bdi class="tag" dir="ltr" style="--c: {_colour(label)}">{html.escape(label)}</bdi>'


def _meta_list(meta: Mapping[str, Any]) -> str:
    items = "".join(
        f'<dt>{html.escape(str(key))}</dt><dd><bdi dir="auto">{html.escape(str(value))}</bdi></dd>'
        for key, value in meta.items()
    )
    return f'<dl class="meta">{items}</dl>'


def _scores_table(scores: Mapping[str, Any], labels: Sequence[str]) -> str:
    def row(name: str, prf: Mapping[str, Any], cls: str) -> str:
        cells = "".join(f"<td>{_fmt(prf[k])}</td>" for k in ("precision", "recall", "f1"))
        cells += "".join(f"<td>{int(prf[k])}</td>" for k in ("tp", "fp", "fn", "support"))
        return f'<tr class="{cls}"><th scope="row">{name}</th>{cells}</tr>'

    per_label = scores["per_label"]
    rows = [row(_label_tag(label), per_label[label], "") for label in labels if label in per_label]
    rows.append(row("micro", scores["micro"], "total"))
    rows.append(
        f'<tr class="total"><th scope="row">macro</th><td></td><td></td>'
        f'<td>{_fmt(scores["macro_f1"])}</td><td colspan="4"></td></tr>'
    )
    head = "".join(
        f'<th scope="col">{h}</th>'
        for h in ("label", "precision", "recall", "F1", "TP", "FP", "FN", "support")
    )
    return f'<table class="scores numbers"><thead><tr>{head}</tr></thead>' + (
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _bar_chart(scores: Mapping[str, Any], labels: Sequence[str]) -> str:
    """Grouped bars of P, R and F1 per label and micro, as inline SVG drawn here.

    Drawn in Python rather than in the script so the chart shows even with scripts disabled.
    """
    per_label = scores["per_label"]
    groups = [(label, per_label[label]) for label in labels if label in per_label]
    groups.append(("micro", scores["micro"]))
    bar, gap, group_gap, plot_h, left, top, bottom = 26, 3, 34, 180, 44, 14, 30
    group_w = len(METRIC_COLOURS) * bar + (len(METRIC_COLOURS) - 1) * gap
    width = left + len(groups) * (group_w + group_gap)
    parts = []
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = top + plot_h * (1 - tick)
        parts.append(
            f'<line x1="{left}" x2="{width}" y1="{y:g}" y2="{y:g}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:g}" text-anchor="end">{tick:.2f}</text>'
        )
    for i, (name, prf) in enumerate(groups):
        x0 = left + group_gap / 2 + i * (group_w + group_gap)
        for j, (key, _, colour) in enumerate(METRIC_COLOURS):
            value = min(max(float(prf[key]), 0.0), 1.0)
            x, h = x0 + j * (bar + gap), plot_h * value
            tip = html.escape(f"{name} {key} {_fmt(prf[key])}")
            parts.append(
                f'<rect x="{x:g}" y="{top + plot_h - h:g}" width="{bar}" height="{h:g}" '
                f'fill="{colour}"><title>{tip}</title></rect>'
                f'<text x="{x + bar / 2:g}" y="{top + plot_h - h - 3:g}" text-anchor="middle" '
                f'class="value">{float(prf[key]):.2f}</text>'
            )
        parts.append(
            f'<text x="{x0 + group_w / 2:g}" y="{top + plot_h + 20}" text-anchor="middle" '
            f'class="axis-label">{html.escape(name)}</text>'
        )
    legend = "".join(
        f'<span><i class="swatch" style="background: {colour}"></i>{short} = {key}</span>'
        for key, short, colour in METRIC_COLOURS
    )
    height = top + plot_h + bottom
    return (
        f'<figure class="chart"><svg role="img" aria-label="precision, recall and F1 per label" '
        f'width="{width:g}" height="{height}" '
        f'viewBox="0 0 {width:g} {height}">{"".join(parts)}</svg>'
        f'<figcaption class="legend">{legend}</figcaption></figure>'
    )


def _confusion_table(confusion: Mapping[str, Any]) -> str:
    """Gold rows by predicted columns; correct cells shaded blue, errors vermillion.

    Each kind is shaded against its own maximum: the diagonal dwarfs the errors, and a shared
    scale would leave every error cell nearly white.
    """
    names = [str(label) for label in confusion["labels"]]
    matrix = [[int(count) for count in row] for row in confusion["matrix"]]
    diagonal = max((matrix[i][i] for i in range(len(matrix))), default=0)
    off = max((c for i, row in enumerate(matrix) for j, c in enumerate(row) if i != j), default=0)

    def cell(i: int, j: int, count: int) -> str:
        tip = html.escape(f"gold {names[i]}, predicted {names[j]}: {count}")
        if not count:
            return f'<td title="{tip}" class="zero">0</td>'
        top, rgb = (diagonal, "0, 114, 178") if i == j else (off, "213, 94, 0")
        alpha = 0.12 + 0.78 * count / top
        ink = " color: #fff;" if alpha > 0.55 else ""
        return f'<td title="{tip}" style="background: rgba({rgb}, {alpha:.2f});{ink}">{count}</td>'

    def name(label: str) -> str:
        return "O" if label == NONE_LABEL else _label_tag(label)

    head = "".join(f'<th scope="col">{name(label)}</th>' for label in names)
    rows = "".join(
        f'<tr><th scope="row">{name(names[i])}</th>'
        + "".join(cell(i, j, count) for j, count in enumerate(row))
        + "</tr>"
        for i, row in enumerate(matrix)
    )
    return (
        '<table class="confusion numbers"><caption>rows: gold label · columns: predicted label · '
        "O = none (missed / spurious)</caption>"
        f'<thead><tr><th class="corner">gold \\ predicted</th>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def _error_counts_table(counts: Mapping[str, Any], kinds: Sequence[str]) -> str:
    rows = "".join(
        f'<tr><th scope="row">{html.escape(kind)}</th>'
        f"<td>{int(counts.get(kind, 0))}</td>"
        f'<td class="note">{html.escape(ERROR_KINDS.get(kind, ""))}</td></tr>'
        for kind in kinds
    )
    return (
        '<table class="errors numbers"><thead><tr><th scope="col">kind</th>'
        '<th scope="col">count</th><th scope="col">meaning</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def _documents_shell(labels: Sequence[str], kinds: Sequence[str]) -> str:
    """The legend, the filter controls, an empty list that the script fills, and the prototypes
    it fills it with: the right-to-left holders of Arabic text, and the unit that keeps a span's
    last word and its label tag on one line."""
    legend = "".join(
        f'<span><mark class="span" style="--c: {_colour(label)}">{html.escape(label)}</mark></span>'
        for label in labels
    )
    legend += (
        '<span><mark class="span pred-err" style="--c: #bbb">predicted error</mark></span>'
        '<span><mark class="span missed" style="--c: #bbb">missed gold</mark></span>'
        '<span><mark class="span gold-err" style="--c: #bbb">gold in another error</mark></span>'
    )
    boxes = "".join(
        f'<label><input type="checkbox" value="{html.escape(label)}" checked> '
        f"{_label_tag(label)}</label>"
        for label in labels
    )
    options = "".join(
        f'<option value="{html.escape(kind)}">{html.escape(kind)}</option>' for kind in kinds
    )
    return f"""<div class="legend">{legend}</div>
<form class="filters" onsubmit="return false">
<fieldset id="filter-labels"><legend>labels</legend>{boxes}</fieldset>
<label>error kind <select id="filter-kind"><option value="all">all documents</option>
<option value="any">any error</option>{options}</select></label>
<label><input type="checkbox" id="filter-errors"> only documents with errors</label>
<label>document id <input type="search" id="filter-id" placeholder="search id"></label>
<span class="pager"><button type="button" id="page-prev">‹ prev</button>
<span id="page-info"></span><button type="button" id="page-next">next ›</button></span>
<output id="doc-count">showing 0 of 0 documents</output>
</form>
<noscript>The documents are rendered by a script; enable JavaScript to see them.</noscript>
<div id="doc-list"></div>
<template id="doc-parts"><div class="text" dir="rtl" lang="ar"></div>\
<bdi class="quote" dir="rtl" lang="ar"></bdi><span class="keep"></span></template>"""


def _document_payload(doc: Mapping[str, Any]) -> dict[str, Any]:
    """One document as the script reads it, its offsets converted to UTF-16 code units."""
    text, doc_id = str(doc["text"]), str(doc["id"])
    to_utf16 = _utf16_index(text)

    def span(raw: Sequence[Any] | None) -> list[Any] | None:
        if raw is None:
            return None
        start, end = int(raw[0]), int(raw[1])
        if not 0 <= start <= end <= len(text):
            raise ValueError(f"span {list(raw)} is outside document {doc_id!r} ({len(text)})")
        return [to_utf16(start), to_utf16(end), str(raw[2]), *raw[3:]]

    return {
        "id": doc_id,
        "text": text,
        "gold": [span(s) for s in doc["gold"]],
        "predicted": [span(s) for s in doc["predicted"]],
        "errors": [
            {"kind": str(e["kind"]), "gold": span(e["gold"]), "predicted": span(e["predicted"])}
            for e in doc["errors"]
        ],
    }


def _utf16_index(text: str) -> Callable[[int], int]:
    """Maps a code-point offset in ``text`` to the UTF-16 offset JavaScript uses.

    Text without astral characters (nearly all Arabic news) maps to itself, and skips the table.
    """
    if len(text.encode("utf-16-le")) == 2 * len(text):
        return lambda offset: offset
    return [0, *accumulate(2 if ord(ch) > 0xFFFF else 1 for ch in text)].__getitem__


def _script_json(payload: Mapping[str, Any]) -> str:
    """JSON safe inside a ``<script>`` element: ``<``, ``>`` and ``&`` become escapes.

    So a text holding ``</script>`` or ``<!--`` cannot end the element early; ``JSON.parse``
    turns the escapes back into the same characters.
    """
    text = json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


_STYLE: Final = f"""
:root {{ --fg: #1b1b1b; --muted: #5f5f5f; --line: #d9d9d9; --err: {ERROR_COLOUR}; }}
body {{ font-family: {UI_FONTS}; color: var(--fg); background: #fff; margin: 0 auto;
  max-width: 1600px; padding: 1rem 1.5rem 4rem; line-height: 1.6; }}
.summary {{ display: grid; gap: 0 3rem; align-items: start;
  grid-template-columns: repeat(auto-fit, minmax(min(100%, 34rem), 1fr)); }}
.summary section {{ min-width: 0; overflow-x: auto; }}
h1 {{ font-size: 1.6rem; margin: .3rem 0 .5rem; }}
h2 {{ font-size: 1.2rem; margin: 2rem 0 .6rem; padding-bottom: .2rem;
  border-bottom: 1px solid var(--line); }}
dl.meta {{ display: grid; grid-template-columns: max-content 1fr; gap: 0 1rem; margin: 0;
  font-size: .9rem; }}
dl.meta dt {{ color: var(--muted); }}
dl.meta dd {{ margin: 0; overflow-wrap: anywhere; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid var(--line); padding: .25rem .7rem; }}
thead th {{ background: #f4f4f4; font-weight: 600; }}
table.numbers td {{ text-align: center; font-variant-numeric: tabular-nums; }}
table.numbers td.note {{ text-align: left; color: var(--muted); font-size: .85rem; }}
tr.total {{ font-weight: 600; background: #fafafa; }}
caption {{ caption-side: bottom; color: var(--muted); font-size: .85rem; padding-top: .3rem; }}
td.zero {{ color: #b5b5b5; }}
th.corner {{ font-size: .8rem; color: var(--muted); }}
.tag {{ display: inline-block; font: 600 .62em/1.3 "DejaVu Sans Mono", Consolas, monospace;
  background: color-mix(in srgb, var(--c) 45%, #fff); color: #111; border: 1px solid var(--c);
  border-radius: 3px; padding: 0 .3em; margin: 0 .25em; vertical-align: super; }}
th .tag, td .tag {{ font-size: .75em; vertical-align: baseline; }}
figure.chart {{ margin: 0; width: fit-content; max-width: 100%; overflow-x: auto; }}
figure.chart .legend {{ justify-content: center; margin-top: .3rem; }}
svg line.grid {{ stroke: #e3e3e3; }}
svg text {{ font: 11px "DejaVu Sans", sans-serif; fill: #444; }}
svg text.value {{ font-size: 9px; }}
svg text.axis-label {{ font-size: 12px; font-weight: 600; fill: #222; }}
.legend {{ display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; font-size: .85rem; }}
.swatch {{ display: inline-block; width: .9em; height: .9em; margin-right: .35em;
  vertical-align: -.1em; border-radius: 2px; }}
mark.span {{ color: inherit; background: color-mix(in srgb, var(--c) 24%, #fff);
  border-bottom: 2px solid var(--c); border-radius: 3px; padding: 0 .15em;
  box-decoration-break: clone; -webkit-box-decoration-break: clone; }}
mark.muted {{ background: transparent; border-bottom: 1px dotted #aaa; }}
mark.muted .tag {{ opacity: .45; }}
mark.pred-err {{ outline: 2px dashed var(--err); outline-offset: 1px;
  text-decoration: underline wavy var(--err); text-underline-offset: .35em; }}
mark.missed {{ outline: 2.5px solid var(--err); outline-offset: 1px; }}
mark.gold-err {{ outline: 1.5px dotted var(--err); outline-offset: 1px; }}
form.filters {{ position: sticky; top: 0; z-index: 1; display: flex; flex-wrap: wrap;
  align-items: center; gap: .4rem 1.2rem; margin: .8rem 0; padding: .5rem .8rem;
  background: #f7f7f7; border: 1px solid var(--line); border-radius: 6px; font-size: .9rem; }}
form.filters fieldset {{ border: 0; margin: 0; padding: 0; display: flex; gap: .6rem; }}
form.filters legend {{ float: left; margin-right: .5rem; color: var(--muted); }}
#doc-count {{ font-weight: 600; }}
#doc-list {{ scroll-margin-top: 9rem; }}
.pager button {{ margin: 0 .3rem; }}
article.doc {{ border: 1px solid var(--line); border-radius: 6px; padding: .5rem .9rem;
  margin: .8rem 0; }}
article.doc header {{ display: flex; gap: 1rem; align-items: baseline; font-size: .85rem;
  color: var(--muted); }}
.doc-id {{ font: 600 .95rem "DejaVu Sans Mono", Consolas, monospace; color: var(--fg); }}
.lines {{ display: grid; grid-template-columns: max-content 1fr; gap: .1rem .9rem; }}
.side {{ color: var(--muted); font-size: .8rem; padding-top: .65rem; }}
.text, .quote {{ font-family: {ARABIC_FONTS}; }}
.text {{ font-size: 1.15rem; line-height: 2.4; white-space: pre-wrap; }}
.keep {{ white-space: nowrap; }}
table.doc-errors {{ font-size: .9rem; margin: .3rem 0 .2rem; }}
table.doc-errors td {{ padding: .1rem .6rem; }}
.kind {{ font-family: "DejaVu Sans Mono", Consolas, monospace; color: var(--err); }}
.none {{ color: #b5b5b5; }}
"""

_SCRIPT: Final = r"""
"use strict";
(() => {
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const docs = data.documents;
  const boxes = Array.from(document.querySelectorAll("#filter-labels input"));
  const kindSelect = document.getElementById("filter-kind");
  const onlyErrors = document.getElementById("filter-errors");
  const search = document.getElementById("filter-id");
  const list = document.getElementById("doc-list");
  const count = document.getElementById("doc-count");
  const pageInfo = document.getElementById("page-info");
  const prev = document.getElementById("page-prev");
  const next = document.getElementById("page-next");
  let page = 0;

  const parts = document.getElementById("doc-parts").content;
  const part = (cls) => parts.querySelector("." + cls).cloneNode(false);
  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const spanKey = (span) => span[0] + ":" + span[1] + ":" + span[2];
  const tag = (label) => {
    const node = el("bdi", "tag", label);
    node.dir = "ltr";
    node.style.setProperty("--c", data.colours[label]);
    return node;
  };
  // The span's last word and its tag go into one unit that does not wrap, so a line never
  // ends between a span and its label; the words before may still wrap as usual.
  const labelled = (holder, text, label) => {
    const cut = text.search(/\S*\s*$/);
    const keep = part("keep");
    keep.append(text.slice(cut), tag(label));
    holder.append(text.slice(0, cut), keep);
    return holder;
  };

  const readFilters = () => {
    const checked = new Set(boxes.filter((b) => b.checked).map((b) => b.value));
    return {
      checked,
      allLabels: checked.size === boxes.length,
      kind: kindSelect.value,
      onlyErrors: onlyErrors.checked,
      query: search.value.trim().toLowerCase(),
    };
  };

  // A document matches when its id contains the query, it has a span of a checked label
  // (unless all are checked), and it has the errors asked for among those involving a
  // checked label.
  const matches = (doc, f) => {
    if (f.query && !doc.id.toLowerCase().includes(f.query)) return false;
    const on = (span) => span !== null && f.checked.has(span[2]);
    const errors = f.allLabels
      ? doc.errors
      : doc.errors.filter((e) => on(e.gold) || on(e.predicted));
    if (!f.allLabels && !errors.length && !doc.gold.some(on) && !doc.predicted.some(on)) {
      return false;
    }
    if ((f.onlyErrors || f.kind === "any") && !errors.length) return false;
    if (f.kind !== "all" && f.kind !== "any" && !errors.some((e) => e.kind === f.kind)) {
      return false;
    }
    return true;
  };

  const kindsBySpan = (errors, side) => {
    const kinds = new Map();
    for (const error of errors) {
      if (error[side] === null) continue;
      const key = spanKey(error[side]);
      kinds.set(key, (kinds.get(key) || []).concat(error.kind));
    }
    return kinds;
  };

  const renderLine = (doc, side, f) => {
    const line = part("text");
    const kinds = kindsBySpan(doc.errors, side);
    const spans = doc[side].slice().sort((a, b) => a[0] - b[0]);
    let cursor = 0;
    for (const span of spans) {
      const [start, end, label] = span;
      if (start < cursor) continue;  // overlapping spans cannot both be drawn inline
      line.append(doc.text.slice(cursor, start));
      const mark = labelled(el("mark", "span"), doc.text.slice(start, end), label);
      mark.style.setProperty("--c", data.colours[label]);
      if (!f.checked.has(label)) mark.classList.add("muted");
      const spanKinds = kinds.get(spanKey(span)) || [];
      if (spanKinds.length) {
        const missed = spanKinds.includes("missed");
        mark.classList.add(side === "predicted" ? "pred-err" : missed ? "missed" : "gold-err");
      }
      const tip = [label];
      if (side === "predicted") {
        tip.push(typeof span[3] === "number" ? "score " + span[3].toFixed(3) : "no score");
      }
      if (spanKinds.length) tip.push("error: " + spanKinds.join(", "));
      mark.title = tip.join(" · ");
      line.append(mark);
      cursor = end;
    }
    line.append(doc.text.slice(cursor));
    return line;
  };

  const spanCell = (doc, span) => {
    const cell = el("td");
    if (span === null) {
      cell.append(el("span", "none", "—"));
    } else {
      cell.append(labelled(part("quote"), "«" + doc.text.slice(span[0], span[1]) + "»", span[2]));
    }
    return cell;
  };

  const renderDoc = (doc, f) => {
    const article = el("article", "doc");
    const header = el("header");
    const id = el("bdi", "doc-id", doc.id);
    const stats = el("span", "", doc.gold.length + " gold · " + doc.predicted.length +
      " predicted · " + doc.errors.length + " errors");
    header.append(id, stats);
    const lines = el("div", "lines");
    lines.append(el("div", "side", "gold"), renderLine(doc, "gold", f),
                 el("div", "side", "predicted"), renderLine(doc, "predicted", f));
    article.append(header, lines);
    if (doc.errors.length) {
      const table = el("table", "doc-errors");
      const head = el("tr");
      for (const name of ["error", "gold", "predicted"]) head.append(el("th", "", name));
      table.append(head);
      for (const error of doc.errors) {
        const row = el("tr");
        row.append(el("td", "kind", error.kind), spanCell(doc, error.gold),
                   spanCell(doc, error.predicted));
        table.append(row);
      }
      article.append(table);
    }
    return article;
  };

  // The filters live in the URL hash (labels=ACTOR,DATE&kind=missed&errors=1&id=doc&page=2),
  // so a filtered view can be bookmarked or sent as a link.
  const readHash = () => {
    const params = new URLSearchParams(location.hash.slice(1));
    const labels = params.get("labels");
    const wanted = new Set(labels === null ? boxes.map((b) => b.value) : labels.split(","));
    for (const box of boxes) box.checked = wanted.has(box.value);
    const kind = params.get("kind") || "all";
    kindSelect.value = Array.from(kindSelect.options).some((o) => o.value === kind) ? kind : "all";
    onlyErrors.checked = params.get("errors") === "1";
    search.value = params.get("id") || "";
    page = Math.max(0, (parseInt(params.get("page"), 10) || 1) - 1);
  };

  const writeHash = (f) => {
    const params = new URLSearchParams();
    if (!f.allLabels) params.set("labels", Array.from(f.checked).join(","));
    if (f.kind !== "all") params.set("kind", f.kind);
    if (f.onlyErrors) params.set("errors", "1");
    if (f.query) params.set("id", search.value.trim());
    if (page > 0) params.set("page", String(page + 1));
    const hash = params.toString();
    history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
  };

  const update = () => {
    const f = readFilters();
    const shown = docs.filter((doc) => matches(doc, f));
    const pages = Math.max(1, Math.ceil(shown.length / data.page_size));
    page = Math.min(page, pages - 1);
    const first = page * data.page_size;
    const onPage = shown.slice(first, first + data.page_size);
    list.replaceChildren(...onPage.map((doc) => renderDoc(doc, f)));
    count.textContent = "showing " + shown.length + " of " + docs.length + " documents";
    pageInfo.textContent = "page " + (page + 1) + " of " + pages +
      (onPage.length ? " (" + (first + 1) + "–" + (first + onPage.length) + ")" : "");
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
    writeHash(f);
  };

  const refilter = () => {
    page = 0;
    update();
  };
  const turn = (step) => {
    page += step;
    update();
    list.scrollIntoView({block: "start"});
  };
  for (const box of boxes) box.addEventListener("change", refilter);
  kindSelect.addEventListener("change", refilter);
  onlyErrors.addEventListener("change", refilter);
  search.addEventListener("input", refilter);
  prev.addEventListener("click", () => turn(-1));
  next.addEventListener("click", () => turn(1));
  window.addEventListener("hashchange", () => {
    readHash();
    update();
  });
  readHash();
  update();
})();
"""
