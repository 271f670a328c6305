"""All figures for one (gold, predicted) corpus pair, and the reports written from them.

:func:`evaluate_documents` is what ``araevent evaluate``, ``araevent score``, training's dev and
test figures and the benchmark scripts call, so every number the package prints comes from
one place. :meth:`Evaluation.write` leaves ``metrics.json`` (stable keys, below),
``report.md``, ``report.html`` and ``predictions.jsonl`` in a folder; ``araevent compare``
reads such folders back.

``metrics.json`` keys: ``araevent_version``, ``documents``, ``labels``, ``strict`` and
``boundary`` (``micro``/``macro_f1``/``per_label`` with precision, recall, f1, tp, fp, fn,
support), ``muc`` (``strict``/``exact``/``partial``/``ent_type``, each ``overall`` and
``per_label``), ``seqeval`` (``strict`` = IOB2 strict, ``conlleval`` = seqeval's default),
``bootstrap`` (or null), ``confusion``, ``errors`` (count per kind) and ``meta`` (including
``gold_sha256``, which tells whether two evaluations scored the same gold data).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from araevent.data.document import Document, documents_digest
from araevent.evaluation.analysis import Confusion, ErrorRecord, error_counts, error_records
from araevent.evaluation.bootstrap import DEFAULT_SAMPLES, BootstrapResult, bootstrap
from araevent.evaluation.matching import Pair, align, pair_documents
from araevent.evaluation.muc import SCHEMES, MucScores, muc_scores
from araevent.evaluation.spans import SpanScores, document_counts, span_labels
from araevent.evaluation.tagging import Mode, SeqevalScores, seqeval_scores

DOCUMENT_COUNTS = "document_counts.jsonl"


@dataclass(frozen=True)
class EvaluationConfig:
    """What to compute: bootstrap size (0 turns it off), seed, error context, page size, and
    the seqeval modes (``()`` skips seqeval, the slowest part on very large corpora)."""

    bootstrap_samples: int = DEFAULT_SAMPLES
    seed: int = 0
    confidence: float = 0.95
    context: int = 40
    html_documents: int = 2000
    seqeval_modes: tuple[Mode, ...] = ("strict", "conlleval")

    def __post_init__(self) -> None:
        if self.bootstrap_samples < 0:
            raise ValueError(
                f"bootstrap samples must be 0 (none) or more: {self.bootstrap_samples}"
            )
        if not 0 < self.confidence < 1:
            raise ValueError(f"confidence must be between 0 and 1: {self.confidence}")


@dataclass(frozen=True)
class Evaluation:
    """Every figure for one corpus; ``counts`` (documents, labels, TP/FP/FN) feeds comparisons."""

    labels: tuple[str, ...]
    pairs: tuple[tuple[Document, Document], ...]
    alignments: tuple[tuple[Pair, ...], ...]
    strict: SpanScores
    boundary: SpanScores
    muc: dict[str, MucScores]
    seqeval: dict[str, SeqevalScores]
    bootstrap: BootstrapResult | None
    confusion: Confusion
    counts: np.ndarray
    config: EvaluationConfig
    meta: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def errors(self) -> list[ErrorRecord]:
        return [
            error
            for (gold, _), pairs in zip(self.pairs, self.alignments, strict=True)
            for error in error_records(gold, pairs, self.config.context)
        ]

    @cached_property
    def error_counts(self) -> dict[str, int]:
        return error_counts([p for pairs in self.alignments for p in pairs])

    def as_dict(self) -> dict[str, Any]:
        from araevent import __version__

        return {
            "araevent_version": __version__,
            "documents": len(self.pairs),
            "labels": list(self.labels),
            "strict": self.strict.as_dict(),
            "boundary": self.boundary.as_dict(),
            "muc": {scheme: self.muc[scheme].as_dict() for scheme in SCHEMES},
            "seqeval": {mode: s.as_dict() for mode, s in self.seqeval.items()},
            "bootstrap": self.bootstrap.as_dict() if self.bootstrap else None,
            "confusion": self.confusion.as_dict(),
            "errors": self.error_counts,
            "meta": self.meta,
        }

    def markdown(self, title: str = "araevent evaluation", max_errors: int = 30) -> str:
        from araevent.evaluation.markdown import render_markdown

        return render_markdown(self, title, max_errors)

    def html(self, title: str = "araevent evaluation") -> str:
        from araevent.evaluation.html import render_html

        return render_html(self.html_data(title))

    def html_data(self, title: str) -> dict[str, Any]:
        """The report page's data: scores, confusion and the first documents with their errors."""
        shown = self.config.html_documents
        documents = []
        for (gold, pred), pairs in islice(zip(self.pairs, self.alignments, strict=True), shown):
            documents.append(
                {
                    "id": gold.id,
                    "text": gold.text,
                    "gold": [[s.start, s.end, s.label] for s in gold.spans],
                    "predicted": [[s.start, s.end, s.label, s.score] for s in pred.spans],
                    "errors": [
                        {
                            "kind": p.kind,
                            "gold": [p.gold.start, p.gold.end, p.gold.label] if p.gold else None,
                            "predicted": [p.predicted.start, p.predicted.end, p.predicted.label]
                            if p.predicted
                            else None,
                        }
                        for p in pairs
                        if p.kind != "correct"
                    ],
                }
            )
        meta = {k: v for k, v in self.meta.items() if isinstance(v, str | int | float)}
        meta["documents"] = len(self.pairs)
        if len(self.pairs) > shown:
            meta["documents shown"] = shown
        return {
            "title": title,
            "meta": meta,
            "labels": list(self.labels),
            "scores": self.strict.as_dict(),
            "confusion": self.confusion.as_dict(),
            "error_counts": self.error_counts,
            "documents": documents,
        }

    def write(self, folder: str | Path, title: str = "araevent evaluation") -> Path:
        """Write metrics.json, report.md, report.html, predictions.jsonl into ``folder``.

        Also ``document_counts.jsonl``: each document's strict TP/FP/FN per label (in the order
        of ``labels``), which is all ``araevent compare`` needs for its paired bootstrap.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "metrics.json").write_text(
            json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (folder / "report.md").write_text(self.markdown(title), encoding="utf-8")
        (folder / "report.html").write_text(self.html(title), encoding="utf-8")
        with (folder / "predictions.jsonl").open("w", encoding="utf-8") as out:
            for _, pred in self.pairs:
                out.write(pred.to_json() + "\n")
        with (folder / DOCUMENT_COUNTS).open("w", encoding="utf-8") as out:
            for (gold, _), counts in zip(self.pairs, self.counts.tolist(), strict=True):
                out.write(json.dumps({"id": gold.id, "counts": counts}, ensure_ascii=False) + "\n")
        return folder


def evaluate_documents(
    gold: Sequence[Document],
    predicted: Iterable[Document],
    labels: Iterable[str] = (),
    config: EvaluationConfig | None = None,
    meta: Mapping[str, Any] | None = None,
) -> Evaluation:
    """Score predictions against gold documents (matched by id) in every mode."""
    config = config or EvaluationConfig()
    pairs = pair_documents(gold, predicted)
    names = span_labels(pairs, labels)
    counts = document_counts(pairs, names, "strict")
    alignments = tuple(tuple(align(g.spans, p.spans)) for g, p in pairs)
    all_pairs = [p for doc_pairs in alignments for p in doc_pairs]
    return Evaluation(
        labels=tuple(names),
        pairs=tuple(pairs),
        alignments=alignments,
        strict=SpanScores.from_counts(names, counts.sum(axis=0)),
        boundary=SpanScores.from_counts(
            names, document_counts(pairs, names, "boundary").sum(axis=0)
        ),
        muc=muc_scores(pairs, names, alignments),
        seqeval=seqeval_scores(pairs, config.seqeval_modes),
        bootstrap=bootstrap(counts, names, config.bootstrap_samples, config.seed, config.confidence)
        if config.bootstrap_samples and pairs
        else None,
        confusion=Confusion.of(all_pairs, names),
        counts=counts,
        config=config,
        meta={**(meta or {}), "gold_sha256": documents_digest(gold)},
    )
