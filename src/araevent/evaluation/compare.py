"""Reading evaluation folders back: side-by-side tables and paired significance tests.

An evaluation folder is what :meth:`~araevent.evaluation.harness.Evaluation.write` leaves
(``araevent evaluate``, ``araevent score``, or ``<run>/dev`` and ``<run>/test`` of a training
run). ``araevent compare`` and the multirun summary both go through :func:`summary_table`, so
a benchmark sweep and a hand comparison print the same columns.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from araevent.evaluation.bootstrap import DEFAULT_SAMPLES, PairedResult, paired_bootstrap
from araevent.evaluation.harness import DOCUMENT_COUNTS

SPLITS = ("dev", "test")


@dataclass(frozen=True)
class RunEvaluation:
    """One evaluation folder: its name, metrics and per-document counts."""

    name: str
    folder: Path
    metrics: dict[str, Any]

    @classmethod
    def open(cls, path: str | Path, split: str = "dev") -> RunEvaluation:
        """An evaluation folder, or a training run whose ``split`` folder is then used."""
        root = Path(path)
        folder = (
            root
            if (root / "metrics.json").is_file() and (root / DOCUMENT_COUNTS).is_file()
            else root / split
        )
        if not (folder / "metrics.json").is_file() or not (folder / DOCUMENT_COUNTS).is_file():
            raise FileNotFoundError(
                f"{root}: not an evaluation folder (no metrics.json and {DOCUMENT_COUNTS}, "
                f"here or in {split}/); write one with `araevent evaluate`, `araevent score` "
                "or `araevent train`"
            )
        name = folder.parent.name if folder.name in SPLITS else folder.name
        metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
        return cls(name, folder, metrics)

    @property
    def gold_digest(self) -> str:
        return str(self.metrics.get("meta", {}).get("gold_sha256", ""))

    def document_counts(self, labels: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """Document ids and their (documents, labels, 3) counts, re-ordered to ``labels``."""
        own = self.metrics["labels"]
        columns = [own.index(label) if label in own else -1 for label in labels]
        ids, rows = [], []
        for line in (self.folder / DOCUMENT_COUNTS).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            counts = np.asarray(record["counts"], dtype=np.int64).reshape(len(own), 3)
            padded = np.zeros((len(labels), 3), dtype=np.int64)
            for target, source in enumerate(columns):
                if source >= 0:
                    padded[target] = counts[source]
            ids.append(record["id"])
            rows.append(padded)
        return ids, np.stack(rows) if rows else np.zeros((0, len(labels), 3), dtype=np.int64)


def summary_table(runs: Sequence[RunEvaluation], significance: Sequence[str] = ()) -> str:
    """Markdown: one row per run with micro strict P/R/F1, its interval and per-label F1."""
    labels = sorted({label for run in runs for label in run.metrics["labels"]})
    header = ["run", "model", "gold", "docs", "P", "R", "F1", "F1 interval", *labels]
    header += ["seqeval strict F1", "MUC partial F1"]
    if significance:
        header.append("vs first run")
    lines = ["| " + " | ".join(header) + " |", "|---|---|---|" + "---:|" * (len(header) - 3)]
    for i, run in enumerate(runs):
        m = run.metrics
        micro = m["strict"]["micro"]
        boot = m.get("bootstrap")
        interval = ""
        if boot:
            ci = boot["micro"]["f1"]
            interval = f"{ci['low']:.3f}–{ci['high']:.3f}"
        per_label = m["strict"]["per_label"]
        cells = [
            run.name,
            str(m["meta"].get("model", "")),
            str(m["meta"].get("gold", "")),
            str(m["documents"]),
            f"{micro['precision']:.3f}",
            f"{micro['recall']:.3f}",
            f"{micro['f1']:.3f}",
            interval,
            *(f"{per_label[label]['f1']:.3f}" if label in per_label else "" for label in labels),
            _seqeval_f1(m),
            f"{m['muc']['partial']['overall']['f1']:.3f}",
        ]
        if significance:
            cells.append(significance[i])
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _seqeval_f1(metrics: dict[str, Any]) -> str:
    strict = metrics["seqeval"].get("strict")
    return f"{strict['report'].get('micro avg', {}).get('f1-score', 0.0):.3f}" if strict else ""


def paired(
    a: RunEvaluation, b: RunEvaluation, samples: int = DEFAULT_SAMPLES, seed: int = 0
) -> PairedResult:
    """Paired bootstrap of micro strict F1; both must have scored the same gold documents."""
    if a.gold_digest != b.gold_digest:
        raise ValueError(
            f"{a.name} and {b.name} were scored on different gold data (gold_sha256 differs); "
            "a paired test needs the same documents"
        )
    labels = sorted(set(a.metrics["labels"]) | set(b.metrics["labels"]))
    ids_a, counts_a = a.document_counts(labels)
    ids_b, counts_b = b.document_counts(labels)
    order = {doc_id: row for row, doc_id in enumerate(ids_b)}
    counts_b = counts_b[[order[doc_id] for doc_id in ids_a]]
    return paired_bootstrap(counts_a, counts_b, samples, seed)


def compare_runs(
    runs: Sequence[RunEvaluation], samples: int = DEFAULT_SAMPLES, seed: int = 0
) -> tuple[str, list[PairedResult]]:
    """The summary table with each later run tested against the first (the baseline)."""
    results = [paired(runs[i], runs[0], samples, seed) for i in range(1, len(runs))]
    marks = ["baseline"] + [
        f"{r.delta:+.3f} (p={r.p_value:.3f}{', significant' if r.p_value < 0.05 else ''})"
        for r in results
    ]
    return summary_table(runs, marks), results


def _overrides(run_folder: Path) -> list[str]:
    """The command-line overrides hydra recorded for a job (none outside hydra)."""
    path = run_folder / ".hydra" / "overrides.yaml"
    if not path.is_file():
        return []
    import yaml

    return [str(item) for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []]


FAILED_RUN = "error.txt"  # in a run folder: the error that ended the run, one line


def failed_runs(root: str | Path) -> dict[str, str]:
    """Run folder name to error, for the runs of a sweep that ended on an error."""
    root = Path(root)
    found = sorted(root.glob(f"*/{FAILED_RUN}"), key=lambda p: (len(p.parent.name), p.parent.name))
    return {p.parent.name: p.read_text(encoding="utf-8").strip() for p in found}


def sweep_summary(root: str | Path) -> str:
    """Markdown tables (dev, then test) over every training run found under ``root``, then the
    runs that ended on an error, with it.

    Each run is named by the overrides that differ between the runs (``model=tiny,
    trainer.seed=2``), as recorded by hydra in ``<run>/.hydra/overrides.yaml``.
    """
    root = Path(root)
    folders = (
        sorted(
            (p for p in root.iterdir() if (p / "metrics.json").is_file()),
            key=lambda p: (len(p.name), p.name),
        )
        if root.is_dir()
        else []
    )
    failed = failed_runs(root)
    overrides = {folder: _overrides(folder) for folder in [*folders, *map(root.joinpath, failed)]}
    common = set.intersection(*(set(o) for o in overrides.values())) if overrides else set()
    sections = [f"# araevent benchmark summary: {root}", ""]
    for split in SPLITS:
        runs = [
            replace(
                RunEvaluation.open(folder, split),
                name=", ".join(o for o in overrides[folder] if o not in common) or folder.name,
            )
            for folder in folders
            if (folder / split / DOCUMENT_COUNTS).is_file()
        ]
        if runs:
            sections += [f"## {split}", "", summary_table(runs), ""]
    if len(sections) == 2:
        sections += ["No finished runs found.", ""]
    if failed:
        sections += ["## failed", ""]
        for name, error in failed.items():
            run = ", ".join(o for o in overrides[root / name] if o not in common)
            sections.append(f"- `{name}`{f' ({run})' if run else ''}: {' '.join(error.split())}")
        sections.append("")
    return "\n".join(sections).rstrip("\n") + "\n"
