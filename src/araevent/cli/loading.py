"""Command-line options shared by commands: reading a corpus, loading a model folder, and
checking where output goes."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from araevent.data.bio import Scheme
from araevent.data.labels import LabelSchema
from araevent.inference import DEFAULT_BATCH_SIZE
from araevent.io import FORMATS, ConllOptions, Corpus, load
from araevent.io.files import source_name
from araevent.precision import DTYPES

if TYPE_CHECKING:
    from araevent.predictor import Predictor


def add_load_options(parser: argparse.ArgumentParser, lenient_default: bool = True) -> None:
    parser.add_argument("--format", choices=FORMATS, help="default: from the file name")
    parser.add_argument(
        "--label-map",
        help="built-in name (anercorp, wojood, aqmar, newsfane, "
        "...), a YAML file, or SOURCE=TARGET,... (empty target drops)",
    )
    if lenient_default:
        parser.add_argument("--strict", action="store_true", help="stop at the first problem")
    else:
        parser.add_argument(
            "--lenient",
            action="store_true",
            help="repair or skip malformed input (and report it) instead of stopping",
        )
    parser.add_argument(
        "--nested",
        action="store_true",
        help="CoNLL: every column after the token is a tag layer (Wojood)",
    )
    parser.add_argument(
        "--scheme",
        type=_scheme,
        metavar="{" + ",".join(s.value for s in Scheme) + "}",
        help="CoNLL tag scheme, any case (default: detected)",
    )
    parser.add_argument(
        "--documents",
        choices=["auto", "docstart", "sentence", "file"],
        default="auto",
        help="CoNLL document boundaries",
    )
    parser.add_argument("--token-col", type=int, default=0)
    parser.add_argument("--tag-col", type=int, default=-1)


def _scheme(value: str) -> Scheme:
    """An argparse type: a scheme name in any case; argparse shows the names on a typo."""
    try:
        return Scheme.parse(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def load_corpus(
    args: argparse.Namespace,
    path: str | Path,
    format: str | None = None,
    quiet: bool = False,
    schema: LabelSchema | None = None,
    as_written: bool = False,
) -> Corpus:
    """Load ``path`` with the options of :func:`add_load_options`; report what was repaired.

    With a ``schema`` (a model's labels), a label outside it is a problem like any other;
    ``as_written`` reads predictions, whose spans are scored as they are (never repaired)."""
    conll = ConllOptions(
        token_col=args.token_col,
        tag_col=args.tag_col,
        nested=args.nested,
        scheme=args.scheme,
        documents=args.documents,
    )
    lenient = getattr(args, "lenient", False) or not getattr(args, "strict", True)
    corpus = load(
        path,
        format if format is not None else args.format,
        mode="lenient" if lenient else "strict",
        schema=schema,
        label_map=args.label_map,
        as_written=as_written,
        conll=conll,
    )
    if not quiet:
        import sys

        for line in corpus.report.lines():
            print(f"{source_name(path)}: {line}", file=sys.stderr)
    return corpus


def add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        required=True,
        action="append",
        help="a model folder (<run>/model or export); give it again to ensemble models that "
        "share a tokenizer (their probabilities are averaged)",
    )
    parser.add_argument("--backend", choices=["torch", "onnx"], default="torch")
    parser.add_argument("--onnx-file", default="model.onnx", help="e.g. model.int8.onnx")
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--dtype",
        choices=DTYPES,
        default="auto",
        help="torch backend: auto is bfloat16 where the device has native bf16, else float32",
    )
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)


def load_predictor(args: argparse.Namespace) -> Predictor:
    """The model of :func:`add_model_options`: one ``--model``, or the ensemble of several."""
    from araevent.predictor import Predictor

    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be at least 1, got {args.batch_size}")
    threads = getattr(args, "threads", None)  # the commands that offer --threads
    settings = (args.device, args.backend, args.batch_size, args.onnx_file, args.dtype, threads)
    if len(args.model) == 1:
        return Predictor.from_pretrained(args.model[0], *settings)
    return Predictor.ensemble(args.model, *settings)


def model_schema(args: argparse.Namespace) -> LabelSchema:
    """The labels of :func:`add_model_options`' folders from their ``araevent.json`` alone,
    each folder checked as loading checks it: gold data can then be read and refused before
    the seconds that loading the weights takes."""
    from araevent.predictor import check_model_folder, shared_settings

    folders = [Path(model) for model in args.model]
    for folder in folders:
        check_model_folder(folder, args.backend, args.onnx_file)
    return shared_settings(folders)[0]


def check_output(path: str | Path, *, folder: bool) -> None:
    """Raise ``ValueError`` when ``path`` cannot be written as a file (``folder``: a folder).

    Commands call this before they load a model or score anything, so that a wrong output
    location is a one-line error at once, not a traceback after all the work.
    """
    path = Path(path)
    wanted, other = ("folder", "file") if folder else ("file", "folder")
    if path.exists():
        if path.is_dir() != folder:
            raise ValueError(f"{path} is a {other}; the output here is a {wanted}")
        existing = path
    else:
        # the nearest existing folder above it; the path's root always exists
        existing = next(parent for parent in path.parents if parent.exists())
        if not existing.is_dir():
            raise ValueError(f"cannot write {path}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK):
        raise ValueError(f"cannot write {path}: {existing} is not writable")
