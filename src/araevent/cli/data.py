"""``araevent data ...``: inspect annotated corpora."""

from __future__ import annotations

import argparse
import sys

from araevent.cli.console import print_error
from araevent.cli.loading import add_load_options, load_corpus
from araevent.data.labels import LabelSchema
from araevent.errors import DataFormatError
from araevent.io.files import source_name
from araevent.io.labelstudio import UNANNOTATED
from araevent.stats import CorpusStats


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    data = subparsers.add_parser("data", help="inspect annotated corpora")
    commands = data.add_subparsers(dest="data_command", required=True)
    stats = commands.add_parser(
        "stats",
        help="documents, sentences, words, spans per label and problems found",
        description="Load a corpus (leniently unless --strict) and print its statistics and "
        "every repair, skip and label-map drop the load made.",
    )
    stats.add_argument(
        "path",
        help="a file, a folder (brat pairs, or CoNLL files), or - for stdin (JSONL)",
    )
    stats.add_argument(
        "--labels",
        help="comma-separated labels the corpus may use, e.g. ACTOR,PLACE,DATE,TRIGGER (what "
        "training checks; after --label-map): others are problems",
    )
    add_load_options(stats)
    stats.set_defaults(handler=run_stats)


def run_stats(args: argparse.Namespace) -> int:
    try:
        corpus = load_corpus(args, args.path, quiet=True, schema=_schema(args.labels))
    except (DataFormatError, FileNotFoundError, ValueError) as exc:
        print_error(exc)
        return 1
    if not corpus and not corpus.report.problems:
        # stats of nothing would pass for a clean corpus: an empty input is a wrong path or
        # an export that failed, as for "nothing could be read" below
        print(f"error: no documents in {source_name(args.path)}", file=sys.stderr)
        return 1
    pending = corpus.report.problems.get(UNANNOTATED, 0)
    if not corpus and pending == sum(corpus.report.problems.values()):
        print(
            f"error: {source_name(args.path)}: no task is annotated yet ({pending} tasks "
            "without annotation: not done, cancelled, or predictions only)",
            file=sys.stderr,
        )
        return 1
    if not corpus:
        problems = sum(corpus.report.problems.values())
        examples = [e for shown in corpus.report.examples.values() for e in shown]
        first = f", first {examples[0]}" if examples else ""
        print(
            f"error: {source_name(args.path)}: no document could be read "
            f"({problems} problems{first}); is --format right?",
            file=sys.stderr,
        )
        return 1
    print(f"{args.path}")
    print(CorpusStats.of(corpus).table())
    findings = corpus.report.lines()
    print()
    print("problems and policies:" if findings else "problems: none")
    for line in findings:
        print(f"  {line}")
    return 0


def _schema(labels: str | None) -> LabelSchema | None:
    if labels is None:
        return None
    return LabelSchema(tuple(label.strip() for label in labels.split(",") if label.strip()))
