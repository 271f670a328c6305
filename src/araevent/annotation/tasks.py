"""Predictions as annotation tasks: the document a task is made from, what identifies the
model, and the Label Studio labelling config.

A task is :func:`predicted_document` of a text, then
:func:`~araevent.io.labelstudio.labelstudio_task` (an import) or
:func:`~araevent.io.labelstudio.labelstudio_prediction` (one entry of what Label Studio's ML
backend ``/predict`` answers), so pre-annotations and a live backend say the same.

The config's tag names are those the pre-annotations name (:data:`FROM_NAME`,
:data:`TO_NAME`), so predictions imported with the tasks show up in the editor. Label
Studio's ``Text`` tag has no ``dir`` parameter (its tag reference lists none); its documented
way to style an object is a ``View`` with CSS, so the text sits in a right-to-left ``View``.
Label colours are the HTML report's (colour-blind safe), so a label looks the same in both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

from araevent.annotation.uncertainty import document_uncertainty
from araevent.data.document import Document, Span
from araevent.evaluation.html import FALLBACK_COLOUR, LABEL_COLOURS
from araevent.io.labelstudio import FROM_NAME, TASK_SCORE, TO_NAME
from araevent.predictor import Entity


def predicted_document(
    doc_id: str,
    text: str,
    entities: Sequence[Entity],
    probs: np.ndarray,
    strategy: str = "least-confidence",
) -> Document:
    """The entities of ``text`` (with their scores) as a Document whose ``meta[TASK_SCORE]``
    is the model's confidence in it, 1 - its ``strategy`` uncertainty
    (:func:`~araevent.annotation.uncertainty.document_uncertainty` of the per-word ``probs``):
    the task score Label Studio sorts by, low first for the documents worth checking."""
    spans = tuple(Span(e.start, e.end, e.label, e.score) for e in entities)
    confidence = 1.0 - document_uncertainty(probs, strategy)
    return Document(doc_id, text, spans, {TASK_SCORE: confidence})


def model_version(folders: Sequence[str | Path]) -> str:
    """``NAME@DIGEST`` of a model folder (``+`` between ensemble members): its folder name and
    the start of the SHA-256 of its ``araevent.json``, which records the training data's
    digest and the dev figures, so two trainings in folders of the same name still differ."""
    parts = []
    for folder in folders:
        path = Path(folder)
        digest = hashlib.sha256((path / "araevent.json").read_bytes()).hexdigest()[:12]
        parts.append(f"{path.resolve().name}@{digest}")
    return "+".join(parts)


def labelstudio_config(labels: Sequence[str]) -> str:
    """The ``<View>`` XML of a span-labelling project for ``labels``."""
    if not labels:
        raise ValueError("a labelling config needs at least one label")
    label_lines = "\n".join(
        f"    <Label value={quoteattr(label)} "
        f"background={quoteattr(LABEL_COLOURS.get(label, FALLBACK_COLOUR))}/>"
        for label in labels
    )
    return (
        "<View>\n"
        f'  <Labels name="{FROM_NAME}" toName="{TO_NAME}">\n'
        f"{label_lines}\n"
        "  </Labels>\n"
        '  <View style="direction: rtl; text-align: right;">\n'
        f'    <Text name="{TO_NAME}" value="${TO_NAME}"/>\n'
        "  </View>\n"
        "</View>\n"
    )
