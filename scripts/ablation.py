"""The ablation table of docs/benchmarks.md: recipes run over several seeds, side by side.

Each row is a recipe and the training runs of its seeds (their ``dev/`` evaluation folders,
written through the Predictor path): mean strict micro F1, its sd over seeds, a document
bootstrap interval of the seed mean, per-label F1 means, the difference to the first row,
and what the recipe costs (training minutes, windows an epoch).

    python scripts/ablation.py "baseline=models/bench/news-w64-s*" \
        "ANERcorp, partial-label loss=models/bench/news-aner-partial-s*"
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from araevent.evaluation.bootstrap import seed_mean_interval
from araevent.evaluation.compare import RunEvaluation

LABELS = ["ACTOR", "PLACE", "DATE", "TRIGGER"]  # the project's order; other labels follow theirs


@dataclass
class Row:
    name: str
    runs: list[RunEvaluation]

    @classmethod
    def parse(cls, spec: str, split: str) -> Row:
        name, sep, pattern = spec.partition("=")
        if not sep:
            raise ValueError(f"{spec!r}: give a row as NAME=GLOB (the run folders of its seeds)")
        folders = sorted(glob.glob(pattern))
        runs = [RunEvaluation.open(f, split) for f in folders if Path(f).is_dir()]
        if not runs:
            raise ValueError(f"{name}: no run folder matches {pattern}")
        return cls(name, runs)

    def f1(self, label: str | None = None) -> np.ndarray:
        strict = [run.metrics["strict"] for run in self.runs]
        if label is None:
            return np.array([s["micro"]["f1"] for s in strict])
        return np.array([s["per_label"][label]["f1"] for s in strict])

    def labels(self) -> list[str]:
        """The labels its first run was scored on (ANERcorp's own four, or the project's)."""
        scored = list(self.runs[0].metrics["labels"])
        return [x for x in LABELS if x in scored] + [x for x in scored if x not in LABELS]

    def counts(self, ids: list[str], labels: list[str]) -> list[np.ndarray]:
        """Each run's per-document counts in the order of ``ids``."""
        out = []
        for run in self.runs:
            own, counts = run.document_counts(labels)
            order = {doc: i for i, doc in enumerate(own)}
            out.append(counts[[order[doc] for doc in ids]])
        return out

    def cost(self) -> tuple[str, str]:
        """Mean training minutes and windows an epoch (gold, auxiliary and pseudo-labelled; a
        first fit on auxiliary corpora alone in brackets, its minutes included); blank for an
        evaluation folder that is not a training run (an ensemble)."""
        files = [run.folder.parent / "metrics.json" for run in self.runs]
        if not all(f.is_file() for f in files):
            return "", ""
        train = [json.loads(f.read_text(encoding="utf-8"))["train"] for f in files]
        windows = train[0]["windows"] + train[0]["auxiliary_windows"]
        windows += train[0].get("pseudo_windows", 0)
        seconds = [t["seconds"] + t.get("auxiliary_first", {}).get("seconds", 0.0) for t in train]
        first = train[0].get("auxiliary_first")
        cost = f"{windows:,}" + (f" (first {first['windows']:,})" if first else "")
        return f"{np.mean(seconds) / 60:.1f}", cost


def table(rows: list[Row], samples: int) -> str:
    labels = rows[0].labels()
    ids, _ = rows[0].runs[0].document_counts(labels)
    head = ["recipe", "seeds", "micro F1 (mean)", "sd", "95% interval", "Δ first", *labels]
    head += ["train min", "windows/epoch"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    first = rows[0].f1().mean()
    for row in rows:
        f1 = row.f1()
        ci = seed_mean_interval(row.counts(ids, labels), samples)
        minutes, windows = row.cost()
        cells = [
            row.name,
            str(len(f1)),
            f"{f1.mean():.3f}",
            f"{f1.std(ddof=1):.3f}" if len(f1) > 1 else "",
            f"{ci.low:.3f}–{ci.high:.3f}",
            f"{f1.mean() - first:+.3f}",
            *(f"{row.f1(label).mean():.3f}" for label in labels),
            minutes,
            windows,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rows", nargs="+", metavar="NAME=GLOB")
    parser.add_argument("--split", default="dev")
    parser.add_argument("--samples", type=int, default=1000)
    args = parser.parse_args(argv)
    try:
        rows = [Row.parse(spec, args.split) for spec in args.rows]
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    options = [] if args.split == "dev" else ["--split", args.split]
    options += [] if args.samples == 1000 else ["--samples", str(args.samples)]
    print("python scripts/ablation.py " + " ".join([*options, *(f'"{r}"' for r in args.rows)]))
    print(table(rows, args.samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
