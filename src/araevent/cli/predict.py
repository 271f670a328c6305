"""``araevent predict`` and ``araevent export``: use a trained model from the shell.

``predict`` reads plain text (one document per non-empty line) or JSONL (``{"id", "text"}``
per line), ``.gz`` compressed or not, from files or stdin and writes one JSON object per
document (``id``, ``text``, ``entities``, and ``events`` with ``--events``), or CoNLL, a brat
folder, pre-annotated Label Studio tasks or doccano JSONL. A progress bar goes to stderr, so
stdout stays clean for pipes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from araevent.annotation.tasks import model_version, predicted_document
from araevent.cli.console import print_error, progress_wanted
from araevent.cli.loading import add_model_options, check_output, load_predictor
from araevent.data.document import Document
from araevent.data.text import replace_surrogates
from araevent.errors import DataFormatError
from araevent.events import events_from_entities
from araevent.io.files import is_stdin, iter_lines, source_name
from araevent.io.jsonl import json_kind

if TYPE_CHECKING:
    import numpy as np

    from araevent.predictor import Entity, Predictor

_CHUNK = 256  # texts handed to the predictor at once: sorting by length happens within it
_PROGRESS_FROM = 50  # documents; a bar for a handful of lines is only noise


def add_parsers(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    predict = subparsers.add_parser(
        "predict",
        help="tag texts with a model folder",
        description="Tag plain text (one document per line) or JSONL ({'id', 'text'} per "
        "line), .gz or not, from FILEs or stdin ('-' or nothing) and write JSONL (default), "
        "CoNLL, brat, Label Studio tasks or doccano JSONL.",
    )
    predict.add_argument("files", nargs="*", metavar="FILE", help="inputs; '-' or none: stdin")
    predict.add_argument(
        "--input-format",
        choices=["auto", "lines", "jsonl"],
        default="auto",
        help="auto: JSONL for .jsonl files and for input whose first line is a JSON object; "
        "a later line of the other kind is an error",
    )
    predict.add_argument(
        "--format",
        choices=["jsonl", "conll", "brat", "labelstudio", "doccano"],
        default="jsonl",
        help="labelstudio: one JSON list of pre-annotated tasks (see araevent "
        "labelstudio-config); doccano: sequence-labelling JSONL (UTF-16 offsets, as doccano "
        "counts); brat: a folder of .txt/.ann pairs (no scores: brat has no field for them)",
    )
    predict.add_argument("--output", "-o", help="file (folder for brat); default stdout")
    predict.add_argument("--events", action="store_true", help="add event records (JSONL)")
    add_model_options(predict)
    predict.add_argument("--no-progress", action="store_true")
    predict.set_defaults(handler=run_predict)

    export = subparsers.add_parser(
        "export",
        help="write a self-contained model folder (optionally with ONNX)",
        description="Copy the model of RUN (a training run or a model folder) to OUT with a "
        "model card and araevent.json; --onnx adds model.onnx, --quantize int8 also "
        "model.int8.onnx. OUT appears complete or not at all.",
    )
    export.add_argument("run", metavar="RUN")
    export.add_argument("out", metavar="OUT")
    export.add_argument("--onnx", action="store_true")
    export.add_argument("--quantize", choices=["int8"])
    export.add_argument("--force", action="store_true", help="replace OUT if it exists")
    export.set_defaults(handler=run_export)


def iter_records(
    lines: Iterable[str], source: str, jsonl: bool | None
) -> Iterator[tuple[str, str]]:
    """(id, text) pairs from one input; ids are ``source:line`` unless JSONL gives one.

    ``jsonl=None`` (auto) decides once per input, from its first non-blank line: JSONL if it
    is a JSON object with a ``text``, or begins as one (``{"``, so that a broken record is an
    error naming it, not a document); a headline such as ``{عاجل} ...`` is text. A later line
    of the other kind is an error naming it: read as the first kind, JSONL would be tagged as
    text (or text rejected far from the cause) without a word.
    """
    auto = jsonl is None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if jsonl is None:
            jsonl = line.lstrip().startswith('{"') or _is_json_record(line)
        if jsonl:
            yield _json_record(line, source, number)
        elif auto and _is_json_record(line):
            raise DataFormatError(
                "a JSON object with 'text' in input read as plain text (its first line is "
                "text): pass --input-format jsonl, or lines to tag it as it is",
                path=source,
                line=number,
            )
        else:
            yield f"{source}:{number}", line


def _json_record(line: str, source: str, number: int) -> tuple[str, str]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        record, reason = None, str(exc)
    else:
        reason = _record_problem(record)
    if reason:
        raise DataFormatError(
            f"not a JSON object with 'text' ({reason}); the input is read as JSONL "
            "(--input-format lines tags every line as text)",
            path=source,
            line=number,
        )
    text = record["text"]
    # a JSON escape can spell a lone surrogate, which no output can encode
    text, surrogates = replace_surrogates(text)
    if surrogates:
        print(
            f"warning: {source}:{number}: {surrogates} lone surrogates replaced by U+FFFD "
            "(offsets unchanged)",
            file=sys.stderr,
        )
    record_id = record.get("id")
    return (f"{source}:{number}" if record_id is None else str(record_id)), text


def _record_problem(record: object) -> str:
    """Why a parsed JSONL line is no record to tag (empty if it is one)."""
    if not isinstance(record, dict):
        return f"{json_kind(record)}, not an object"
    if "text" not in record:
        return "missing field 'text'"
    if not isinstance(record["text"], str):
        return f"field 'text' is {json_kind(record['text'])}, not a string"
    return ""


def _is_json_record(line: str) -> bool:
    """Whether a line is what a JSONL input holds: an object with a ``text``."""
    if not line.lstrip().startswith("{"):
        return False
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return False
    return isinstance(record, dict) and "text" in record


def iter_inputs(files: list[str], input_format: str) -> Iterator[tuple[str, str]]:
    """Every input's records, streamed; bytes that are not UTF-8 are an error naming file and
    line, and an input without a document is said on stderr (it is valid: its output is
    empty)."""
    for name in files or ["-"]:
        source = str(source_name(name))
        plain = name.lower().removesuffix(".gz")
        by_name = not is_stdin(name) and plain.endswith((".jsonl", ".ndjson"))
        jsonl = {"jsonl": True, "lines": False}.get(input_format, True if by_name else None)
        count = 0
        for record in iter_records(iter_lines(name), source, jsonl):
            count += 1
            yield record
        if not count:
            print(f"warning: no documents in {source}", file=sys.stderr)


def _check_options(args: argparse.Namespace) -> None:
    """Refuse options that cannot work, before the model is loaded."""
    if args.format == "brat" and not args.output:
        raise ValueError("--format brat writes a folder: give it with --output")
    if args.events and args.format != "jsonl":
        raise ValueError("--events adds records to JSONL output only")
    if args.output:
        check_output(args.output, folder=args.format == "brat")


def run_predict(args: argparse.Namespace) -> int:
    try:
        _check_options(args)
        records = list(iter_inputs(args.files, args.input_format))
        predictor = load_predictor(args)
    except (OSError, ValueError, ImportError) as exc:
        print_error(exc)
        return 1
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    from tqdm.auto import tqdm

    documents: list[Document] = []
    quiet = not progress_wanted(not args.no_progress and len(records) >= _PROGRESS_FROM)
    with (
        tqdm(total=len(records), unit="doc", file=sys.stderr, disable=quiet) as bar,
        _jsonl_output(args) as out,
    ):
        texts = (text for _, text in records)
        for (doc_id, text), (entities, probs) in zip(
            records, predict_stream(predictor, texts), strict=True
        ):
            bar.update(1)
            if out is None:
                documents.append(predicted_document(doc_id, text, entities, probs))
                continue
            record: dict[str, object] = {
                "id": doc_id,
                "text": text,
                "entities": [e.to_dict() for e in entities],
            }
            if args.events:
                record["events"] = [ev.to_dict() for ev in events_from_entities(text, entities)]
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    if args.format != "jsonl":
        options = (
            {"model_version": model_version(args.model)} if args.format == "labelstudio" else {}
        )
        write_documents(documents, args.format, args.output, **options)
    return 0


def predict_stream(
    predictor: Predictor, texts: Iterable[str]
) -> Iterator[tuple[list[Entity], np.ndarray]]:
    """Each text's entities and per-word tag probabilities, ``_CHUNK`` texts at a time."""
    iterator = iter(texts)
    while chunk := list(islice(iterator, _CHUNK)):
        yield from predictor.predict_with_probs(chunk)


@contextmanager
def _jsonl_output(args: argparse.Namespace) -> Iterator[TextIO | None]:
    """Where JSONL goes (a file or stdout); None when another format is collected instead."""
    if args.format != "jsonl":
        yield None
    elif args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            yield out
    else:
        yield sys.stdout


def write_documents(
    documents: list[Document], format: str, output: str | None, **options: str
) -> None:
    """Save ``documents`` in ``format`` to ``output``, or to stdout when there is none."""
    from araevent.io import save

    if output:
        save(documents, output, format, **options)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "predictions"
        save(documents, path, format, **options)
        sys.stdout.write(path.read_text(encoding="utf-8"))


def run_export(args: argparse.Namespace) -> int:
    from araevent.export import export_model

    try:
        out = export_model(
            args.run, args.out, onnx=args.onnx, quantize=args.quantize, overwrite=args.force
        )
    except (FileNotFoundError, FileExistsError, ValueError, ImportError) as exc:
        print_error(exc)
        return 1
    for path in sorted(out.iterdir()):
        print(f"{path}  ({path.stat().st_size:,} bytes)")
    return 0
