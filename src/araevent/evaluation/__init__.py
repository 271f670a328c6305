"""Scoring predicted Documents against gold Documents."""

from araevent.evaluation.spans import PRF, SpanScores, score_spans

__all__ = ["PRF", "SpanScores", "score_spans"]
