"""seqeval as an ``evaluate`` metric that loads offline from this package.

``evaluate.load("seqeval")`` downloads its script from the Hugging Face Hub and fails without a
network. This module takes the same inputs, options and defaults as that metric and returns the
same keys, so code that uses it only changes the load::

    import evaluate
    from araevent.evaluation import hf_metric_path
    seqeval = evaluate.load(hf_metric_path())
    seqeval.compute(predictions=[["B-ACTOR", "O"]], references=[["B-ACTOR", "O"]],
                    mode="strict", scheme="IOB2")

As with seqeval, the default is its conlleval-compatible mode; ``mode="strict",
scheme="IOB2"`` gives the strict figures the araevent reports print.
"""

from __future__ import annotations

import importlib
from typing import Any

import datasets
import evaluate
from seqeval.metrics import accuracy_score, classification_report

_CITATION = """\
@misc{seqeval,
  title={{seqeval}: A Python framework for sequence labeling evaluation},
  url={https://github.com/chakki-works/seqeval},
  author={Hiroki Nakayama},
  year={2018},
}
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions: list of predicted tag sequences (strings such as "B-ACTOR", "I-ACTOR", "O").
    references: list of gold tag sequences, aligned with predictions.
    suffix: tags are "ACTOR-B" rather than "B-ACTOR".
    scheme: "IOB1", "IOB2", "IOE1", "IOE2", "IOBES" or "BILOU" (used with mode="strict").
    mode: None (conlleval-compatible) or "strict".
    sample_weight: optional weights, one per sequence.
    zero_division: value when a ratio divides by zero (0, 1 or "warn").
Returns:
    one dict per label (precision, recall, f1, number) and overall_precision, overall_recall,
    overall_f1 and overall_accuracy.
"""


@evaluate.utils.file_utils.add_start_docstrings(__doc__, _KWARGS_DESCRIPTION)
class AraeventSeqeval(evaluate.Metric):  # type: ignore[misc]
    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=__doc__ or "",
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "predictions": datasets.Sequence(datasets.Value("string", id="label")),
                    "references": datasets.Sequence(datasets.Value("string", id="label")),
                }
            ),
        )

    def _compute(
        self,
        predictions: list[list[str]],
        references: list[list[str]],
        suffix: bool = False,
        scheme: str | None = None,
        mode: str | None = None,
        sample_weight: list[int] | None = None,
        zero_division: str | int = "warn",
    ) -> dict[str, Any]:
        scheme_class = None
        if scheme is not None:
            scheme_class = getattr(importlib.import_module("seqeval.scheme"), scheme, None)
            if scheme_class is None:
                raise ValueError(f"scheme must be a seqeval scheme such as IOB2, got {scheme!r}")
        report = classification_report(
            y_true=references,
            y_pred=predictions,
            suffix=suffix,
            output_dict=True,
            scheme=scheme_class,
            mode=mode,
            sample_weight=sample_weight,
            zero_division=zero_division,
        )
        report.pop("macro avg")
        report.pop("weighted avg")
        overall = report.pop("micro avg")
        scores: dict[str, Any] = {
            label: {
                "precision": row["precision"],
                "recall": row["recall"],
                "f1": row["f1-score"],
                "number": row["support"],
            }
            for label, row in report.items()
        }
        scores["overall_precision"] = overall["precision"]
        scores["overall_recall"] = overall["recall"]
        scores["overall_f1"] = overall["f1-score"]
        scores["overall_accuracy"] = accuracy_score(y_true=references, y_pred=predictions)
        return scores
