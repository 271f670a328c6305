"""Where the errors of trained models come from: the error kinds per label, and, for spans
missed or predicted spuriously, whether the training data had taught them.

For each missed gold span (and each spurious prediction) the script looks its exact string up
in the training documents: how often it occurs there as a whole-word string, and how many of
those occurrences are annotated with the label; and whether its core (without the proclitics
و ف ب ك ل and the article, so `بالمعارك` and `لمعارك` meet `المعارك`) is ever a span with
the label there, so that a missed inflected form of a word the training data taught is not
counted as untaught. A missed span whose string never carries the
label in training is a gap in what the training data covers; one whose string does, only at a
fraction of its occurrences, points at inconsistent annotation, which no model can learn past.
Errors are those of the evaluation harness's alignment (:mod:`araevent.evaluation.matching`),
averaged over the runs given (their ``dev/predictions.jsonl``).

    python scripts/error_sources.py models/bench/news-w64-s42 models/bench/news-w64-s1 \\
        models/bench/news-w64-s2
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from araevent.data.document import Document
from araevent.data.text import strip_proclitics
from araevent.evaluation.matching import ERROR_KINDS, align, pair_documents
from araevent.io import load

SHARED = Path(os.environ.get("ARAEVENT_SHARED", "../shared"))
NEWS = SHARED / "data" / "araevent-news"
UNTAUGHT = ("missed", "spurious")
ARTICLE = "ال"


def core(string: str, vocabulary: set[str] | None = None) -> str:
    """A span's string without its first word's proclitics and article (``بالمعارك`` and
    ``معارك`` give ``معارك``); a known stem wins over reading its first letters as clitics."""
    if vocabulary is not None and string.split(" ", 1)[0] in vocabulary:
        stripped = string  # a known word is not read as clitics (كمال is not ك + مال)
    else:
        stripped = strip_proclitics(string, vocabulary=vocabulary).text
    if stripped.startswith(ARTICLE) and len(stripped.split(" ", 1)[0]) >= 2 + len(ARTICLE):
        return stripped[len(ARTICLE) :]
    return stripped


class TrainingUse:
    """How the training documents annotate a string, counted at its whole-word occurrences:
    those that are a span with a label, and those outside any span. An occurrence inside a
    longer span (`القوات` in `القوات الأمريكية`) is neither: the annotators did not leave it
    out, they took it into something larger."""

    def __init__(self, documents: Sequence[Document]) -> None:
        self.documents = documents
        self._counts: dict[str, tuple[Counter[str], int]] = {}
        strings = [(doc.text[s.start : s.end], s.label) for doc in documents for s in doc.spans]
        # stems a first word may have, with and without the article, so that a known stem
        # wins over reading its first letters as clitics (لمجلس الأمن, للجنة, للميليشيات)
        heads = {strip_proclitics(string).text.split(" ", 1)[0] for string, _ in strings}
        self._vocabulary = heads | {core(head) for head in heads}
        self._cores = {(core(string, self._vocabulary), label) for string, label in strings}

    def core_taught(self, string: str, label: str) -> bool:
        """Whether the core of ``string`` is the core of a training span with ``label``."""
        return (core(string, self._vocabulary), label) in self._cores

    def counts(self, string: str) -> tuple[Counter[str], int]:
        """(label → occurrences that are exactly a span with it, occurrences in no span)."""
        if string not in self._counts:
            pattern = re.compile(r"(?<![\w\u064b-\u065f])" + re.escape(string) + r"(?!\w)")
            labelled: Counter[str] = Counter()
            outside = 0
            for doc in self.documents:
                spans = {(s.start, s.end): s.label for s in doc.spans}
                for match in pattern.finditer(doc.text):
                    label = spans.get(match.span())
                    if label is not None:
                        labelled[label] += 1
                    elif not any(
                        s.start <= match.start() and match.end() <= s.end for s in doc.spans
                    ):
                        outside += 1
            self._counts[string] = (labelled, outside)
        return self._counts[string]

    def share(self, string: str, label: str) -> float | None:
        """Of the occurrences that are a span or in none, the share that are a span with
        ``label`` (None: the string does not occur so)."""
        labelled, outside = self.counts(string)
        total = sum(labelled.values()) + outside
        return labelled[label] / total if total else None


def errors(gold: Sequence[Document], predicted: Sequence[Document]) -> list[tuple[str, str, str]]:
    """(label, kind, string) of every error: the gold span's label and string, the
    prediction's for a spurious one."""
    out: list[tuple[str, str, str]] = []
    for gold_doc, pred_doc in pair_documents(gold, predicted):
        for pair in align(gold_doc.spans, pred_doc.spans):
            if pair.kind == "correct":
                continue
            span = pair.predicted if pair.gold is None else pair.gold
            if span is None:  # no pair lacks both sides
                continue
            out.append((span.label, pair.kind, gold_doc.text[span.start : span.end]))
    return out


def kind_table(found: list[tuple[str, str, str]], labels: list[str], runs: int) -> str:
    counts = Counter((label, kind) for label, kind, _ in found)
    head = ["label", *ERROR_KINDS]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * len(ERROR_KINDS)]
    for label in labels:
        cells = [f"{counts[label, kind] / runs:.1f}" for kind in ERROR_KINDS]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def coverage_table(
    found: list[tuple[str, str, str]], labels: list[str], use: TrainingUse, runs: int
) -> str:
    head = [
        "label",
        "error",
        "per run",
        "never this label in train",
        "its core never",
        "in train: share of its occurrences with this label",
        "most frequent",
    ]
    lines = ["| " + " | ".join(head) + " |", "|---|---|---:|---:|---:|---:|---|"]
    for label in labels:
        for kind in UNTAUGHT:
            strings = [s for lab, k, s in found if lab == label and k == kind]
            if not strings:
                continue
            never = sum(use.counts(s)[0][label] == 0 for s in strings) / len(strings)
            core_never = sum(not use.core_taught(s, label) for s in strings) / len(strings)
            agree = [a for a in (use.share(s, label) for s in strings) if a is not None]
            share = f"{sum(agree) / len(agree):.2f} ({len(agree)} spans)" if agree else ""
            common = ", ".join(f"`{s}`" for s, _ in Counter(strings).most_common(6))
            cells = [
                label,
                kind,
                f"{len(strings) / runs:.1f}",
                f"{never:.2f}",
                f"{core_never:.2f}",
                share,
                common,
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The runs to read and the gold and training files they are read against."""
    parser.add_argument("runs", nargs="+", type=Path, help="training run folders")
    parser.add_argument("--train", type=Path, default=NEWS / "train.jsonl")
    parser.add_argument("--gold", type=Path, default=NEWS / "dev.jsonl")
    parser.add_argument("--split", default="dev", help="the runs' evaluation folder")


def run_errors(gold_path: Path, runs: Sequence[Path], split: str) -> list[tuple[str, str, str]]:
    """:func:`errors` of every run's ``split`` predictions against the gold file, together."""
    gold = list(load(gold_path))
    found: list[tuple[str, str, str]] = []
    for run in runs:
        found += errors(gold, list(load(run / split / "predictions.jsonl")))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_run_arguments(parser)
    args = parser.parse_args(argv)
    try:
        use = TrainingUse(list(load(args.train)))
        found = run_errors(args.gold, args.runs, args.split)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    labels = sorted({label for label, _, _ in found})
    print("python scripts/error_sources.py " + " ".join(sys.argv[1:] if argv is None else argv))
    print(f"\nerrors per run, by kind ({len(args.runs)} runs)\n")
    print(kind_table(found, labels, len(args.runs)))
    print("\nmissed and spurious spans against the training annotations\n")
    print(coverage_table(found, labels, use, len(args.runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
