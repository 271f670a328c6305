"""Label Studio's JSON export (a list of tasks with ``data.text`` and ``annotations``).

Each task becomes one Document from its first annotation that was not cancelled; further
annotations of the same task (other annotators) are counted, not merged, and tasks with no such
annotation (not yet done, or model predictions only) are counted and skipped. Labels come from
``labels`` results; relations and other result types are counted and ignored. Positions are
reported by task id, since a JSON export has no useful line numbers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from araevent.data.document import Document
from araevent.errors import DataFormatError
from araevent.io.builder import DocumentBuilder, RawSpan
from araevent.io.files import read_text


def read_labelstudio(
    path: str | Path, builder: DocumentBuilder, text_key: str = "text"
) -> Iterator[Document]:
    try:
        tasks = json.loads(read_text(path, strict=builder.strict, report=builder.report))
    except json.JSONDecodeError as exc:
        raise DataFormatError(f"invalid JSON: {exc.msg}", path=path, line=exc.lineno) from None
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list):
        raise DataFormatError("a Label Studio export must hold a list of tasks", path=path)
    for position, task in enumerate(tasks):
        document = _task_to_document(task, position, builder, text_key)
        if document is not None:
            yield document


def _task_to_document(
    task: Any, position: int, builder: DocumentBuilder, text_key: str
) -> Document | None:
    doc_id = str(task.get("id", position)) if isinstance(task, dict) else str(position)
    data = task.get("data") if isinstance(task, dict) else None
    text = data.get(text_key) if isinstance(data, dict) else None
    if not isinstance(text, str):
        builder.problem("invalid record", f"task has no string data.{text_key}", None, doc_id)
        return None
    annotations = [a for a in task.get("annotations", []) if not a.get("was_cancelled")]
    if not annotations:
        # not yet annotated, cancelled, or holding model predictions only: no gold to read
        builder.report.add("tasks without annotation skipped", doc_id=doc_id)
        return None
    if len(annotations) > 1:
        builder.report.add(
            "extra annotations of a task ignored",
            f"{len(annotations) - 1} more",
            doc_id=doc_id,
            count=len(annotations) - 1,
        )
    spans: list[RawSpan] = []
    for result in annotations[0].get("result", []):
        value = result.get("value", {})
        labels = value.get("labels")
        if result.get("type") != "labels" or not labels:
            builder.report.add("non-span results ignored", str(result.get("type")), doc_id=doc_id)
            continue
        if len(labels) > 1:
            builder.problem(
                "several labels on one span", f"{labels}; the first is used", None, doc_id
            )
        try:
            spans.append(
                RawSpan(
                    int(value["start"]), int(value["end"]), str(labels[0]), text=value.get("text")
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            builder.problem("invalid span", f"{type(exc).__name__}: {exc}", None, doc_id)
    return builder.build(doc_id, text, spans, {"source": "label-studio"})
