"""Whether trained models' misses sit near their decision boundary: dev F1 when one label's
tags are favoured (or disfavoured) by a constant added to their logits.

Adding ``b`` to the logits of ``B-X`` and ``I-X`` multiplies their probability against every
other tag by ``e**b`` at every word, before the constrained decoder. If a label's misses were
near-ties, a small ``b`` would gain recall faster than it loses precision; if F1 stays flat
or falls, the model is sure of its misses, and no threshold (nor a recipe that only shifts
the label's prior, such as a lower loss weight on ``O``) recovers them. Predictions go
through the Predictor's path (windows, constrained Viterbi, whole-word spans).

    python scripts/decision_bias.py models/bench/news-first-distill-s42 \\
        models/bench/news-first-distill-s1 models/bench/news-first-distill-s2 --label TRIGGER
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from araevent import Predictor
from araevent.data.document import Document
from araevent.evaluation.spans import SpanScores, score_spans
from araevent.inference import Runner
from araevent.io import load

NEWS = Path(os.environ.get("ARAEVENT_SHARED", "../shared")) / "data" / "araevent-news"


class BiasedRunner:
    """A runner whose logits in ``columns`` are raised by ``bias``."""

    def __init__(self, runner: Runner, columns: Sequence[int], bias: float) -> None:
        self.runner = runner
        self.columns = list(columns)
        self.bias = bias

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        logits = np.array(self.runner(input_ids, attention_mask), dtype=np.float32)
        logits[..., self.columns] += self.bias
        return logits


def sweep(
    model: Path, gold: Sequence[Document], label: str, biases: Sequence[float], device: str
) -> list[SpanScores]:
    """The model's scores on ``gold`` at each bias on ``label``'s tags."""
    predictor = Predictor.from_pretrained(model, device=device)
    if label not in predictor.schema.labels:
        raise ValueError(f"{model}: no label {label} (it has {', '.join(predictor.schema.labels)})")
    columns = [predictor.schema.label2id[f"{p}-{label}"] for p in "BI"]
    runner = predictor.runner
    scores = []
    for bias in biases:
        predictor.runner = BiasedRunner(runner, columns, bias)
        predicted = predictor.predict_documents(gold)
        scores.append(score_spans(gold, predicted, labels=predictor.schema.labels))
    return scores


def table(label: str, biases: Sequence[float], runs: list[list[SpanScores]]) -> str:
    """One row per bias: micro F1 and the label's precision, recall and F1, means over runs,
    and each run's micro F1."""
    lines = [
        f"| bias | micro F1 | {label} P | {label} R | {label} F1 | micro F1 per run |",
        "|---:|---:|---:|---:|---:|---|",
    ]
    for i, bias in enumerate(biases):
        at = [run[i] for run in runs]
        own = [s.per_label[label] for s in at]
        micro = [s.micro.f1 for s in at]
        cells = [
            np.mean(micro),
            *(np.mean([getattr(s, k) for s in own]) for k in ("precision", "recall", "f1")),
        ]
        per_run = ", ".join(f"{f:.3f}" for f in micro)
        lines.append(
            f"| {bias:+.1f} | " + " | ".join(f"{c:.3f}" for c in cells) + f" | {per_run} |"
        )
    return "\n".join(lines)


def model_folder(run: Path) -> Path:
    """A training run's exported model, or the folder itself when it is a model."""
    return run / "model" if (run / "model" / "araevent.json").is_file() else run


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="training run or model folders")
    parser.add_argument("--gold", type=Path, default=NEWS / "dev.jsonl")
    parser.add_argument("--label", default="TRIGGER")
    parser.add_argument("--bias", type=float, nargs="+", default=[-1.0, 0.0, 0.5, 1.0, 1.5, 2.0])
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    try:
        gold = list(load(args.gold))
        runs = [sweep(model_folder(r), gold, args.label, args.bias, args.device) for r in args.runs]
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("python scripts/decision_bias.py " + " ".join(sys.argv[1:] if argv is None else argv))
    print(f"\n{args.gold}, {len(gold)} documents; {len(runs)} runs\n")
    print(table(args.label, args.bias, runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
