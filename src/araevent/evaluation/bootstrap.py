"""Document-level bootstrap: confidence intervals for span F1 and a paired test between systems.

Spans in one document are not independent (one misread sentence costs several), so the unit
resampled is the document. Each resample draws documents with replacement and re-sums the
per-document TP/FP/FN counts from :func:`~araevent.evaluation.spans.document_counts`; this is
one matrix product per block of resamples, so 1,000 resamples of 100,000 documents take
seconds. A fixed seed gives the same intervals on every run.

The paired test (Koehn 2004; Berg-Kirkpatrick et al. 2012) resamples the *same* documents for
both systems and reports how often the system that is ahead on the full set is not ahead on
a resample: a small p means the difference is unlikely to be an accident of the sample.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_SAMPLES = 1000
_BLOCK_CELLS = 20_000_000  # resample weights held at once (~160 MB of float64)


def _ratio(numerator: np.ndarray, denominator: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``numerator / denominator``: 0 where the denominator is 0 (seqeval's convention), NaN
    where ``counts`` hold no span at all, gold or predicted.

    A resample that happens to leave out every span of a rare label says nothing about that
    label; scoring it 0 would drag the interval of a perfect system down to 0. Such resamples
    are left out of the percentiles instead."""
    result: np.ndarray = np.divide(
        numerator,
        denominator,
        out=np.zeros_like(numerator, dtype=float),
        where=denominator > 0,
    )
    result[counts.sum(axis=-1) == 0] = np.nan
    return result


def _f1(counts: np.ndarray) -> np.ndarray:
    """F1 from [..., 3] TP/FP/FN counts (NaN where there is no span, see :func:`_ratio`)."""
    tp, fp, fn = counts[..., 0], counts[..., 1], counts[..., 2]
    return _ratio(2 * tp, 2 * tp + fp + fn, counts)


def _check(documents: int, samples: int) -> None:
    if documents == 0:
        raise ValueError("the bootstrap needs at least one document")
    if samples < 1:
        raise ValueError(f"the bootstrap needs at least one resample, got {samples}")


def _resampled_totals(
    counts: Sequence[np.ndarray], samples: int, seed: int
) -> Iterator[list[np.ndarray]]:
    """Blocks of resampled totals, one (block, labels, 3) array per system in ``counts``."""
    n = counts[0].shape[0]
    rng = np.random.default_rng(seed)
    flat = [c.reshape(n, -1).astype(np.float64) for c in counts]
    block = max(1, _BLOCK_CELLS // max(n, 1))
    for first in range(0, samples, block):
        size = min(block, samples - first)
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=size).astype(np.float64)
        yield [(weights @ f).reshape(size, *c.shape[1:]) for f, c in zip(flat, counts, strict=True)]


@dataclass(frozen=True)
class Interval:
    """A percentile interval, over the ``resamples`` in which its figure was defined."""

    low: float
    high: float
    resamples: int

    def as_dict(self) -> dict[str, float]:
        return {"low": self.low, "high": self.high, "resamples": self.resamples}


@dataclass(frozen=True)
class BootstrapResult:
    """Percentile intervals for micro P/R/F1 and for each label's F1."""

    samples: int
    seed: int
    confidence: float
    precision: Interval
    recall: Interval
    f1: Interval
    per_label_f1: dict[str, Interval]

    def as_dict(self) -> dict[str, object]:
        return {
            "samples": self.samples,
            "seed": self.seed,
            "confidence": self.confidence,
            "micro": {
                "precision": self.precision.as_dict(),
                "recall": self.recall.as_dict(),
                "f1": self.f1.as_dict(),
            },
            "per_label_f1": {k: v.as_dict() for k, v in sorted(self.per_label_f1.items())},
        }


def _interval(values: np.ndarray, confidence: float) -> Interval:
    """Percentile interval over the resamples where the figure is defined (not NaN); 0–0
    when it never is, the value the point figure takes by the same convention."""
    defined = values[~np.isnan(values)]
    if defined.size == 0:
        return Interval(0.0, 0.0, 0)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(defined, [tail, 100 - tail])
    return Interval(float(low), float(high), int(defined.size))


def bootstrap(
    counts: np.ndarray,
    labels: Sequence[str],
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
    confidence: float = 0.95,
) -> BootstrapResult:
    """Intervals from (documents, labels, 3) counts."""
    _check(counts.shape[0], samples)
    micro, per_label = [], []
    for (totals,) in _resampled_totals([counts], samples, seed):
        summed = totals.sum(axis=1)
        tp, fp, fn = summed[:, 0], summed[:, 1], summed[:, 2]
        micro.append(
            np.stack(
                [_ratio(tp, tp + fp, summed), _ratio(tp, tp + fn, summed), _f1(summed)], axis=1
            )
        )
        per_label.append(_f1(totals))
    micro_all, labels_all = np.concatenate(micro), np.concatenate(per_label)
    return BootstrapResult(
        samples,
        seed,
        confidence,
        precision=_interval(micro_all[:, 0], confidence),
        recall=_interval(micro_all[:, 1], confidence),
        f1=_interval(micro_all[:, 2], confidence),
        per_label_f1={
            label: _interval(labels_all[:, i], confidence) for i, label in enumerate(labels)
        },
    )


@dataclass(frozen=True)
class PairedResult:
    """Micro F1 of systems A and B on the same documents and the paired bootstrap p-value."""

    f1_a: float
    f1_b: float
    difference: Interval
    p_value: float
    samples: int
    seed: int

    @property
    def delta(self) -> float:
        return self.f1_a - self.f1_b

    def as_dict(self) -> dict[str, object]:
        return {
            "f1_a": self.f1_a,
            "f1_b": self.f1_b,
            "delta": self.delta,
            "delta_interval": self.difference.as_dict(),
            "p_value": self.p_value,
            "samples": self.samples,
            "seed": self.seed,
        }


def paired_bootstrap(
    counts_a: np.ndarray,
    counts_b: np.ndarray,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
    confidence: float = 0.95,
) -> PairedResult:
    """Compare two systems' (documents, labels, 3) counts on the same gold documents."""
    if counts_a.shape[0] != counts_b.shape[0]:
        raise ValueError(
            f"paired bootstrap needs the same documents: {counts_a.shape[0]} vs {counts_b.shape[0]}"
        )
    _check(counts_a.shape[0], samples)
    f1_a = float(np.nan_to_num(_f1(counts_a.sum(axis=(0, 1)))))
    f1_b = float(np.nan_to_num(_f1(counts_b.sum(axis=(0, 1)))))
    deltas = np.concatenate(
        [
            _f1(a.sum(axis=1)) - _f1(b.sum(axis=1))
            for a, b in _resampled_totals([counts_a, counts_b], samples, seed)
        ]
    )
    deltas = deltas[~np.isnan(deltas)]  # resamples where either F1 is undefined say nothing
    sign = 1.0 if f1_a >= f1_b else -1.0
    p_value = float(np.mean(sign * deltas <= 0)) if f1_a != f1_b and deltas.size else 1.0
    return PairedResult(f1_a, f1_b, _interval(deltas, confidence), p_value, samples, seed)


def seed_mean_interval(
    counts: Sequence[np.ndarray],
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
    confidence: float = 0.95,
) -> Interval:
    """Interval of the *mean* micro F1 of several runs of one recipe (seeds) on the same
    documents: each resample draws the same documents for every run, so the interval reflects
    the test set's sampling and not the seeds' spread, which the runs' sd reports."""
    if not counts:
        raise ValueError("the seed-mean interval needs at least one run's counts")
    _check(counts[0].shape[0], samples)
    means = np.concatenate(
        [
            np.mean([_f1(run.sum(axis=1)) for run in totals], axis=0)
            for totals in _resampled_totals(list(counts), samples, seed)
        ]
    )
    return _interval(means, confidence)
