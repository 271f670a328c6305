"""``araevent evaluate``, ``araevent score`` and ``araevent compare``: the evaluation harness.

``evaluate`` predicts with a model folder and scores; ``score`` scores two annotation files
(any supported formats); ``compare`` puts evaluation folders side by side with paired
bootstrap tests against the first. Each of the first two writes an evaluation folder
(``metrics.json``, ``report.md``, ``report.html``, ``predictions.jsonl``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from araevent.cli.console import print_error, progress_wanted
from araevent.cli.loading import (
    add_load_options,
    add_model_options,
    check_output,
    load_corpus,
    load_predictor,
    model_schema,
)
from araevent.errors import DataFormatError
from araevent.evaluation.bootstrap import DEFAULT_SAMPLES
from araevent.evaluation.harness import Evaluation, EvaluationConfig, evaluate_documents
from araevent.io.files import is_stdin


def add_parsers(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    evaluate = subparsers.add_parser(
        "evaluate",
        help="predict a dataset with a model and score it",
        description="Predict every document of DATA with the model folder and write the "
        "evaluation (metrics.json, report.md, report.html, predictions.jsonl) to --out.",
    )
    evaluate.add_argument(
        "data", help="gold data: a file, a folder (brat, CoNLL), or - for stdin (JSONL)"
    )
    add_model_options(evaluate)
    _add_common(evaluate)
    evaluate.set_defaults(handler=run_evaluate)

    score = subparsers.add_parser(
        "score",
        help="score predicted annotations against gold ones",
        description="Score PRED against GOLD (documents matched by id, same texts) and write "
        "the evaluation to --out. --format applies to both files unless --pred-format is "
        "given; --label-map applies to both, and labels that are already its targets pass "
        "through. Predicted spans are scored as written, never snapped to words or moved "
        "(--lenient skips what cannot be read, and reads a CoNLL I- that starts a chunk as "
        "conlleval does); what each load skipped or read so is counted in the report.",
    )
    score.add_argument("gold")
    score.add_argument(
        "pred",
        help="predictions; - reads stdin (JSONL unless --pred-format): araevent "
        "predict ... | araevent score GOLD -",
    )
    score.add_argument("--pred-format", help="format of PRED (default: --format, or its name)")
    _add_common(score)
    score.set_defaults(handler=run_score)

    compare = subparsers.add_parser(
        "compare",
        help="compare evaluation folders or training runs side by side",
        description="One row per RUN (an evaluation folder, or a training run whose --split "
        "folder is used), each tested against the first with a paired bootstrap on the same "
        "documents.",
    )
    compare.add_argument("runs", nargs="+", metavar="RUN")
    compare.add_argument("--split", default="dev", choices=["dev", "test"])
    compare.add_argument(
        "--bootstrap", type=_count(1), default=DEFAULT_SAMPLES, help="resamples (at least 1)"
    )
    compare.add_argument("--seed", type=int, default=0)
    compare.set_defaults(handler=run_compare)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", help="evaluation folder to write (default: print only)")
    parser.add_argument(
        "--bootstrap", type=_count(0), default=DEFAULT_SAMPLES, help="resamples (0: no intervals)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-seqeval", action="store_true", help="skip seqeval (slow on 100k+ documents)"
    )
    add_load_options(parser, lenient_default=False)


def _count(least: int) -> Callable[[str], int]:
    """An argparse type: an integer of at least ``least``."""

    def parse(value: str) -> int:
        number = int(value)
        if number < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}, got {number}")
        return number

    parse.__name__ = "int"  # argparse names the type in its "invalid int value" message
    return parse


def _config(args: argparse.Namespace) -> EvaluationConfig:
    return EvaluationConfig(
        bootstrap_samples=args.bootstrap,
        seed=args.seed,
        seqeval_modes=() if args.no_seqeval else ("strict", "conlleval"),
    )


def _check_out(args: argparse.Namespace) -> None:
    """``--out`` must be a folder that can be written: checked before any loading or scoring."""
    if args.out:
        check_output(args.out, folder=True)


def _finish(evaluation: Evaluation, args: argparse.Namespace, title: str) -> int:
    print(evaluation.strict.table())
    if evaluation.bootstrap:
        ci = evaluation.bootstrap.f1
        print(
            f"micro F1 {evaluation.strict.micro.f1:.3f}, "
            f"{evaluation.bootstrap.confidence:.0%} interval {ci.low:.3f}–{ci.high:.3f}"
        )
    if "strict" in evaluation.seqeval:
        print(f"seqeval strict micro F1 {evaluation.seqeval['strict'].micro_f1:.3f}")
    if args.out:
        folder = evaluation.write(args.out, title=title)
        print(f"report: {folder / 'report.md'}\npage:   {folder / 'report.html'}")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    try:
        _check_out(args)
        gold = load_corpus(args, args.data, schema=model_schema(args))
        if not gold:
            raise ValueError(f"{args.data}: no documents to evaluate on")
        predictor = load_predictor(args)
    except (DataFormatError, FileNotFoundError, ValueError, ImportError) as exc:
        print_error(exc)
        return 1
    predicted = predictor.predict_documents(list(gold), progress=progress_wanted())
    evaluation = evaluate_documents(
        list(gold),
        predicted,
        predictor.schema.labels,
        _config(args),
        meta={
            "gold": str(Path(args.data)),
            "gold_loading": gold.report.summary(),
            **_model_meta(args.model),
            "backend": args.backend,
            "dtype": predictor.precision.dtype,
            "dtype_reason": predictor.precision.reason,
        },
    )
    return _finish(evaluation, args, f"araevent evaluation: {Path(args.data).name}")


def _model_meta(folders: list[str]) -> dict[str, str | list[str]]:
    """``model``: the folder, or an ensemble's folders joined by `` + `` (a string, which the
    reports and ``araevent compare`` show as it is); an ensemble's folders also as the list
    ``members``."""
    names = [str(Path(folder)) for folder in folders]
    if len(names) == 1:
        return {"model": names[0]}
    return {"model": " + ".join(names), "members": names}


def run_score(args: argparse.Namespace) -> int:
    try:
        if is_stdin(args.gold) and is_stdin(args.pred):
            raise ValueError("gold and predictions cannot both come on stdin")
        _check_out(args)
        gold = load_corpus(args, args.gold)
        pred = load_corpus(args, args.pred, format=args.pred_format or args.format, as_written=True)
    except (DataFormatError, FileNotFoundError, ValueError) as exc:
        print_error(exc)
        return 1
    try:
        evaluation = evaluate_documents(
            list(gold),
            list(pred),
            config=_config(args),
            meta={
                "gold": str(Path(args.gold)),
                "predicted": str(Path(args.pred)),
                "gold_loading": gold.report.summary(),
                "predictions_loading": pred.report.summary(),
            },
        )
    except ValueError as exc:  # documents that do not pair up: name both files
        print(f"error: {args.gold} against {args.pred}: {exc}", file=sys.stderr)
        return 1
    return _finish(evaluation, args, f"araevent score: {Path(args.pred).name}")


def run_compare(args: argparse.Namespace) -> int:
    from araevent.evaluation.compare import RunEvaluation, compare_runs

    try:
        runs = [RunEvaluation.open(path, args.split) for path in args.runs]
        table, _ = compare_runs(runs, args.bootstrap, args.seed)
    except (FileNotFoundError, ValueError) as exc:
        print_error(exc)
        return 1
    print(table)
    print(f"\npaired bootstrap on micro strict F1, {args.bootstrap} resamples, seed {args.seed}")
    return 0
