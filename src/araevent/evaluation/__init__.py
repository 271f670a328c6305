"""Scoring predicted Documents against gold Documents, and the reports made from the scores."""

from pathlib import Path

from araevent.evaluation.harness import Evaluation, EvaluationConfig, evaluate_documents
from araevent.evaluation.spans import PRF, SpanScores, score_spans


def hf_metric_path() -> str:
    """Folder of the seqeval metric for ``evaluate.load`` that works offline."""
    return str(Path(__file__).parent / "hf_metric" / "araevent_seqeval")


__all__ = [
    "PRF",
    "Evaluation",
    "EvaluationConfig",
    "SpanScores",
    "evaluate_documents",
    "hf_metric_path",
    "score_spans",
]
