"""``araevent select`` and ``araevent labelstudio-config``: the start of an annotation loop.

``select`` streams unlabelled text (plain, one paragraph a line, or JSONL; ``.gz`` or not)
through a model and writes the documents most worth annotating as pre-annotated tasks, with a
one-line summary on stderr. ``labelstudio-config`` prints the labelling config those tasks
fit.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from araevent.annotation.selection import ALL_STRATEGIES, Exclusions, Selection, select
from araevent.annotation.tasks import labelstudio_config, model_version
from araevent.cli.console import print_error, progress_wanted
from araevent.cli.loading import add_model_options, check_output, load_predictor
from araevent.cli.predict import iter_inputs, write_documents

if TYPE_CHECKING:
    from araevent.predictor import Predictor

_OUTPUT_FORMATS = ("labelstudio", "doccano", "jsonl")


def add_parsers(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    chooser = subparsers.add_parser(
        "select",
        help="pick the unlabelled documents most worth annotating, pre-annotated",
        description="Score unlabelled documents (plain text one per line, or JSONL; .gz "
        "accepted) by the model's uncertainty, drop exact and near duplicates and documents "
        "already annotated, and write the K best as pre-annotated tasks.",
    )
    chooser.add_argument("--from", dest="inputs", nargs="+", required=True, metavar="FILE")
    chooser.add_argument("--k", type=int, required=True, help="documents to select")
    chooser.add_argument("--strategy", choices=ALL_STRATEGIES, default="least-confidence")
    chooser.add_argument(
        "--diversity",
        type=float,
        metavar="J",
        help="skip a document whose word 3-shingle Jaccard similarity to one already chosen "
        "reaches J (e.g. 0.5); near duplicates (0.7) are always removed",
    )
    chooser.add_argument(
        "--exclude",
        nargs="+",
        default=[],
        metavar="FILE",
        help="annotated files in any format araevent reads: their documents are never chosen",
    )
    chooser.add_argument("--seed", type=int, default=0, help="for --strategy random")
    chooser.add_argument(
        "--input-format",
        choices=["auto", "lines", "jsonl"],
        default="auto",
        help="as for araevent predict",
    )
    chooser.add_argument("--format", choices=_OUTPUT_FORMATS, default="labelstudio")
    chooser.add_argument("--output", "-o", required=True, help="the tasks file")
    add_model_options(chooser)
    chooser.add_argument("--no-progress", action="store_true")
    chooser.set_defaults(handler=run_select)

    config = subparsers.add_parser(
        "labelstudio-config",
        help="print the Label Studio labelling config for a model's labels",
        description="Print the <View> XML of a span-labelling project whose names match the "
        "tasks of araevent predict/select --format labelstudio.",
    )
    source = config.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="a model folder: its labels, in its order")
    source.add_argument("--labels", help="comma-separated labels, e.g. ACTOR,PLACE,DATE,TRIGGER")
    config.set_defaults(handler=run_config)


def _model_labels(folder: Path) -> list[str]:
    from araevent.predictor import shared_settings

    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such model folder")
    if not (folder / "araevent.json").is_file():
        raise FileNotFoundError(f"{folder} is not an araevent model folder: missing araevent.json")
    return list(shared_settings([folder])[0].labels)


def run_config(args: argparse.Namespace) -> int:
    try:
        if args.model:
            labels = _model_labels(Path(args.model))
        else:
            labels = [label.strip() for label in args.labels.split(",") if label.strip()]
        sys.stdout.write(labelstudio_config(labels))
    except (OSError, ValueError) as exc:
        print_error(exc)
        return 1
    return 0


def run_select(args: argparse.Namespace) -> int:
    try:
        _check_options(args)
        exclusions = _exclusions(args.exclude)
        predictor = load_predictor(args)
        selection = _select(args, predictor, exclusions)
        options = (
            {"model_version": model_version(args.model)} if args.format == "labelstudio" else {}
        )
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        write_documents(selection.documents, args.format, args.output, **options)
    except (OSError, ValueError, ImportError) as exc:
        print_error(exc)
        return 1
    print(selection.counts.summary(), file=sys.stderr)
    return 0


def _check_options(args: argparse.Namespace) -> None:
    """Refuse options that cannot work, before anything is read or loaded."""
    if args.k < 1:
        raise ValueError(f"--k must be at least 1, got {args.k}")
    if args.diversity is not None and not 0.0 < args.diversity < 1.0:
        raise ValueError(
            f"--diversity is a Jaccard threshold between 0 and 1, got {args.diversity}"
        )
    for name in [*args.inputs, *args.exclude]:
        if name != "-" and not Path(name).exists():
            raise ValueError(f"{name}: no such file")
    check_output(args.output, folder=False)


def _exclusions(files: list[str]) -> Exclusions:
    """The texts of the annotated ``files``, each file summed up in one line on stderr."""
    exclusions = Exclusions()
    for name in files:
        texts, note = _taken_texts(name)
        for text in texts:
            exclusions.add(text)
        print(f"{name}: {len(texts)} texts excluded{note}", file=sys.stderr)
    return exclusions


def _taken_texts(name: str) -> tuple[list[str], str]:
    """Every text of an annotated file, read leniently (a span problem must not hide a text
    from the exclusion), and, for Label Studio, also the tasks not annotated yet: a file of
    tasks from an earlier ``select`` holds documents already with the annotators."""
    from araevent.io import detect_format, load
    from araevent.io.labelstudio import task_texts

    if name != "-" and detect_format(name) == "labelstudio":
        texts, pending = task_texts(name)
        return texts, f" ({pending} tasks not annotated yet)" if pending else ""
    corpus = load(name, mode="lenient")
    unread = f" (read with problems: {corpus.report.summary()})" if corpus.report.problems else ""
    return [document.text for document in corpus], unread


def _select(args: argparse.Namespace, predictor: Predictor, exclusions: Exclusions) -> Selection:
    from tqdm.auto import tqdm

    quiet = not progress_wanted(not args.no_progress)
    with tqdm(unit="doc", file=sys.stderr, disable=quiet) as bar:
        return select(
            iter_inputs(args.inputs, args.input_format),
            predictor.predict_with_probs,
            args.k,
            strategy=args.strategy,
            diversity=args.diversity,
            exclusions=exclusions,
            seed=args.seed,
            on_read=bar.update,
        )
