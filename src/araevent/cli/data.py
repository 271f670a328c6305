"""``araevent data ...``: inspect annotated corpora."""

from __future__ import annotations

import argparse

from araevent.data.bio import Scheme
from araevent.errors import DataFormatError
from araevent.io import FORMATS, ConllOptions, load
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
    stats.add_argument("path", help="a file, or a folder (brat pairs, or CoNLL files)")
    stats.add_argument("--format", choices=FORMATS, help="default: from the file name")
    stats.add_argument(
        "--label-map",
        help="built-in name (anercorp, wojood, aqmar, newsfane, "
        "...), a YAML file, or SOURCE=TARGET,... (empty target drops)",
    )
    stats.add_argument("--strict", action="store_true", help="stop at the first problem")
    stats.add_argument(
        "--nested",
        action="store_true",
        help="CoNLL: every column after the token is a tag layer (Wojood)",
    )
    stats.add_argument(
        "--scheme", choices=[s.value for s in Scheme], help="CoNLL tag scheme (default: detected)"
    )
    stats.add_argument(
        "--documents",
        choices=["auto", "docstart", "sentence", "file"],
        default="auto",
        help="CoNLL document boundaries",
    )
    stats.add_argument("--token-col", type=int, default=0)
    stats.add_argument("--tag-col", type=int, default=-1)
    stats.set_defaults(handler=run_stats)


def run_stats(args: argparse.Namespace) -> int:
    conll = ConllOptions(
        token_col=args.token_col,
        tag_col=args.tag_col,
        nested=args.nested,
        scheme=Scheme(args.scheme) if args.scheme else None,
        documents=args.documents,
    )
    try:
        corpus = load(
            args.path,
            args.format,
            mode="strict" if args.strict else "lenient",
            label_map=args.label_map,
            conll=conll,
        )
    except DataFormatError as exc:
        print(f"error: {exc}")
        return 1
    print(f"{args.path}")
    print(CorpusStats.of(corpus).table())
    findings = corpus.report.lines()
    print()
    print("problems and policies:" if findings else "problems: none")
    for line in findings:
        print(f"  {line}")
    return 0
