"""Label Studio's JSON export (a list of tasks with ``data.text`` and ``annotations``).

Each task becomes one Document from its first annotation that was not cancelled; further
annotations of the same task (other annotators) are counted, not merged, and tasks with no such
annotation (not yet done, or model predictions only) are counted and skipped. Labels come from
``labels`` results; relations and other result types are counted and ignored. Positions are
reported by task id, since a JSON export has no useful line numbers.

The writer makes what Label Studio imports as pre-annotated tasks. Offsets: Label Studio's
``Text`` tag stores ``value.start``/``value.end`` in code points, as Python counts, since the
fix for emoji (label-studio issue 1008, PR 1559 "Store code points instead of js length", merged
as label-studio-frontend PR 308); its own end-to-end test
``web/libs/editor/tests/integration/e2e/ner/emoji.cy.ts`` (HumanSignal/label-studio
``822775e0``) expects "test" at 21-25 in "🐱 Warning: This is a test text", with and without
the ``FF_LSDV_4620_3`` rendering flag. Issue 4988 (a ZWJ emoji sequence) is a display shift in
the editor; its exported offsets were correct. So offsets are written as they are.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Final

from araevent.data.document import Document
from araevent.errors import DataFormatError, LoadReport
from araevent.io.builder import DocumentBuilder, RawSpan
from araevent.io.files import read_text

#: The names a labelling config gives its ``<Labels>`` and ``<Text>`` tags; predictions must
#: name the same, or Label Studio does not show them (see ``araevent labelstudio-config``).
FROM_NAME: Final = "label"
TO_NAME: Final = "text"
#: The report's count of tasks skipped for want of an annotation that was not cancelled.
UNANNOTATED: Final = "tasks without annotation skipped"
#: The ``Document.meta`` key holding a read task's ``data`` fields other than its text: the
#: ``source`` document id of a task araevent wrote, or a project's own fields.
TASK_DATA: Final = "task_data"
#: The ``Document.meta`` key holding a task-level score, written as the prediction's ``score``.
TASK_SCORE: Final = "task_score"


def read_labelstudio(
    path: str | Path, builder: DocumentBuilder, text_key: str = "text"
) -> Iterator[Document]:
    for position, task in enumerate(_tasks(path, builder.strict, builder.report)):
        document = _task_to_document(task, position, builder, text_key)
        if document is not None:
            yield document


def task_texts(path: str | Path, text_key: str = "text") -> tuple[list[str], int]:
    """``data.text`` of every task of a Label Studio file, annotated or not, and how many had
    no annotation: a task sent to annotators is taken, whether or not its gold exists yet."""
    texts: list[str] = []
    pending = 0
    for task in _tasks(path, strict=False):  # a stray byte must not hide the other texts
        text = _task_text(task.get("data") if isinstance(task, dict) else None, text_key)
        if text is not None:
            texts.append(text)
            pending += not _done(task)
    return texts, pending


def _task_text(data: Any, text_key: str) -> str | None:
    """The text of a task's ``data`` (see :func:`_text_field`), or None."""
    key = _text_field(data, text_key)
    return None if key is None else data[key]


def _text_field(data: Any, text_key: str) -> str | None:
    """``text_key`` if ``data`` holds a string there; without that key, the one string field
    ``data`` holds: a project whose ``<Text>`` reads ``$passage`` exports ``data.passage``,
    and one text field is the text."""
    if not isinstance(data, dict):
        return None
    if text_key in data:
        return text_key if isinstance(data[text_key], str) else None
    strings = [key for key, value in data.items() if isinstance(value, str)]
    return strings[0] if len(strings) == 1 else None


def _done(task: dict[str, Any]) -> list[dict[str, Any]]:
    """The task's annotations that were not cancelled: those holding gold."""
    return [a for a in task.get("annotations", []) if not a.get("was_cancelled")]


def _tasks(path: str | Path, strict: bool, report: LoadReport | None = None) -> list[Any]:
    try:
        tasks = json.loads(read_text(path, strict=strict, report=report))
    except json.JSONDecodeError as exc:
        raise DataFormatError(f"invalid JSON: {exc.msg}", path=path, line=exc.lineno) from None
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list):
        raise DataFormatError("a Label Studio export must hold a list of tasks", path=path)
    return tasks


def _task_to_document(
    task: Any, position: int, builder: DocumentBuilder, text_key: str
) -> Document | None:
    doc_id = str(task.get("id", position)) if isinstance(task, dict) else str(position)
    data = task.get("data") if isinstance(task, dict) else None
    key = _text_field(data, text_key)
    if key is None:
        strings = (
            [k for k, v in data.items() if isinstance(v, str)] if isinstance(data, dict) else []
        )
        which = f" (its string fields: {', '.join(strings)})" if strings else ""
        builder.problem(
            "invalid record", f"task has no string data.{text_key}{which}", None, doc_id
        )
        return None
    assert isinstance(data, dict)
    text = data[key]
    if key != text_key:
        builder.report.add(
            f"text read from the one string field of data, not data.{text_key}",
            path=builder.path,
            doc_id=doc_id,
        )
    annotations = _done(task)
    if not annotations:
        # not yet annotated, cancelled, or holding model predictions only: no gold to read
        builder.report.add(UNANNOTATED, path=builder.path, doc_id=doc_id)
        return None
    if len(annotations) > 1:
        builder.report.add(
            "extra annotations of a task ignored",
            f"{len(annotations) - 1} more",
            path=builder.path,
            doc_id=doc_id,
            count=len(annotations) - 1,
        )
    spans: list[RawSpan] = []
    for result in annotations[0].get("result", []):
        value = result.get("value", {})
        labels = value.get("labels")
        if result.get("type") != "labels" or not labels:
            builder.report.add(
                "non-span results ignored",
                str(result.get("type")),
                path=builder.path,
                doc_id=doc_id,
            )
            continue
        if len(labels) > 1:
            builder.problem(
                "several labels on one span", f"{labels}", None, doc_id, repair="the first used"
            )
        try:
            spans.append(
                RawSpan(
                    int(value["start"]), int(value["end"]), str(labels[0]), text=value.get("text")
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            builder.problem("invalid span", f"{type(exc).__name__}: {exc}", None, doc_id)
    # the task's other data fields (``source``: the id araevent's tasks carry) come back too
    others = {name: value for name, value in data.items() if name != key}
    meta = {"source": "label-studio", **({TASK_DATA: others} if others else {})}
    return builder.build(doc_id, text, spans, meta)


def labelstudio_prediction(document: Document, model_version: str) -> dict[str, Any]:
    """One Label Studio prediction of ``document``: what an import's ``predictions`` list holds
    and what an ML backend's ``/predict`` answers per task.

    Each span is a ``labels`` result with code point offsets, its text and its score; the
    prediction's ``score`` is ``document.meta[TASK_SCORE]`` when set (Label Studio sorts tasks
    by it), and absent otherwise.
    """
    results = [
        {
            "id": f"{document.id}-{i}",
            "from_name": FROM_NAME,
            "to_name": TO_NAME,
            "type": "labels",
            "value": {
                "start": span.start,
                "end": span.end,
                "text": document.span_text(span),
                "labels": [span.label],
            },
            **({} if span.score is None else {"score": span.score}),
        }
        for i, span in enumerate(document.spans)
    ]
    prediction: dict[str, Any] = {"model_version": model_version, "result": results}
    if TASK_SCORE in document.meta:
        prediction["score"] = float(document.meta[TASK_SCORE])
    return prediction


def labelstudio_task(document: Document, model_version: str) -> dict[str, Any]:
    """A task to import: the text (and the document id as ``data.source``, read back into
    ``meta[TASK_DATA]``), pre-annotated."""
    return {
        "data": {TO_NAME: document.text, "source": document.id},
        "predictions": [labelstudio_prediction(document, model_version)],
    }


def write_labelstudio(
    documents: Iterable[Document], path: str | Path, model_version: str = "araevent"
) -> int:
    """One JSON file holding the list of pre-annotated tasks; returns the number of tasks."""
    tasks = [labelstudio_task(document, model_version) for document in documents]
    with Path(path).open("w", encoding="utf-8", newline="\n") as out:
        json.dump(tasks, out, ensure_ascii=False, indent=1)
        out.write("\n")
    return len(tasks)
