"""Self-training and distillation: unlabelled paragraphs labelled by a teacher, as training rows.

The teacher (one model folder, or several averaged as an ensemble) reads the student's own
windows, so every pseudo-labelled sub-token has the target the teacher gave it in the same
context, and no word segmentation or offsets have to be stored in between. The student is an
ordinary model of the run's size: the teacher's cost is paid once, at the start of training.

Paragraphs are drawn uniformly from the whole file (a reservoir sample with the run's seed):
news files are ordered by source and section, and their first lines are one section's. A
paragraph that shares a passage of ``overlap_words`` words with any train, dev, test or
auxiliary text is never used, so pseudo-labelled text cannot leak a gold document into
training, nor the dev document that picks the checkpoint.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from araevent.annotation.dedup import normalise
from araevent.data.document import Document
from araevent.data.labels import LabelSchema
from araevent.data.text import WORD_RE
from araevent.decoding import SpanDecoder, log_softmax
from araevent.features import IGNORE_INDEX, EncodingConfig, FastTokenizer
from araevent.io.files import iter_lines
from araevent.training.config import PseudoConfig
from araevent.training.splits import EncodedSplit, decode_split, encode_split

log = logging.getLogger(__name__)


def match_words(text: str) -> list[str]:
    """The words of ``text`` as two copies of a passage share them, whatever their marks,
    spacing or punctuation (normalised as duplicates are, :func:`~araevent.annotation.dedup.
    normalise`)."""
    return WORD_RE.findall(normalise(text))


def passages(words: Sequence[str], n: int) -> set[str]:
    """Every run of ``n`` consecutive words (the whole text when it is shorter)."""
    if len(words) <= n:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


class Overlap:
    """The ``n``-word passages of a set of texts, to refuse any paragraph that repeats one."""

    def __init__(self, texts: Iterable[str], n: int) -> None:
        self.n = n
        self.known: set[str] = set()
        for text in texts:
            self.known |= passages(match_words(text), n)

    def __contains__(self, text: str) -> bool:
        return not self.known.isdisjoint(passages(match_words(text), self.n))


def read_paragraphs(path: str | Path) -> Iterator[tuple[int, str]]:
    """``(line number, paragraph)`` of a text file, one paragraph a line, streamed (``.gz``
    decompressed); bytes that are not UTF-8 are an error naming the line."""
    for number, line in enumerate(iter_lines(path), start=1):
        if text := line.strip():
            yield number, text


@dataclass
class Drawn:
    """The paragraphs drawn, and what was passed over on the way (reported, never silent)."""

    documents: list[Document]
    lines: int = 0
    short: int = 0
    overlapping: int = 0
    repeated: int = 0


def draw_paragraphs(
    path: str | Path, wanted: int, min_words: int, overlap: Overlap, seed: int
) -> Drawn:
    """``wanted`` paragraphs of at least ``min_words`` words, drawn uniformly with ``seed``.

    The reservoir holds a few more than ``wanted`` so that the rare paragraph refused for
    overlap or repetition (checked on the sample only, not on every line) can be replaced.
    """
    rng = random.Random(seed)
    size = wanted + wanted // 10 + 16
    reservoir: list[tuple[int, str]] = []
    drawn = Drawn([])
    eligible = 0
    for number, text in read_paragraphs(path):
        drawn.lines += 1
        if len(text.split()) < min_words:
            drawn.short += 1
            continue
        eligible += 1
        if len(reservoir) < size:
            reservoir.append((number, text))
        elif (slot := rng.randrange(eligible)) < size:
            reservoir[slot] = (number, text)
    rng.shuffle(reservoir)
    seen: set[str] = set()
    for number, text in reservoir:
        if len(drawn.documents) == wanted:
            break
        key = " ".join(match_words(text))
        if key in seen:
            drawn.repeated += 1
        elif text in overlap:
            drawn.overlapping += 1
        else:
            seen.add(key)
            drawn.documents.append(Document(f"{Path(path).name}:{number}", text))
    return drawn


def load_teacher(config: PseudoConfig, device: str) -> Any:
    """The teacher as a :class:`~araevent.predictor.Predictor` (an ensemble for several)."""
    from araevent.predictor import Predictor

    folders = list(config.teacher or ())
    if not folders:  # run_training's teacher stage fills it in
        raise ValueError("data.pseudo.teacher names no model folder")
    if len(folders) == 1:
        return Predictor.from_pretrained(folders[0], device=device)
    return Predictor.ensemble(folders, device=device)


def check_teacher(teacher: Any, tokenizer: Any, schema: LabelSchema) -> None:
    """The teacher must read the student's sub-tokens and give the student's tags."""
    if tuple(teacher.schema.labels) != tuple(schema.labels):
        raise ValueError(
            f"data.pseudo.teacher tags {', '.join(teacher.schema.labels)}, the run trains "
            f"{', '.join(schema.labels)}: the teacher must have the run's labels"
        )
    if teacher.tokenizer.get_vocab() != tokenizer.get_vocab():
        raise ValueError(
            "data.pseudo.teacher has another tokenizer than the student: train the student "
            "from the encoder the teacher was trained from (model.name)"
        )


def teacher_log_probs(
    runner: Any, rows: Sequence[dict[str, Any]], pad_id: int, batch: int
) -> list[np.ndarray]:
    """The teacher's tag log-probabilities ``[length, tags]`` for each row, in row order
    (batches of similar lengths, padded per batch)."""
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]["input_ids"]))
    out: list[np.ndarray] = [np.zeros(0)] * len(rows)
    for first in range(0, len(order), batch):
        chunk = order[first : first + batch]
        width = max(len(rows[i]["input_ids"]) for i in chunk)
        ids = np.full((len(chunk), width), pad_id, dtype=np.int64)
        mask = np.zeros((len(chunk), width), dtype=np.int64)
        for row, i in enumerate(chunk):
            n = len(rows[i]["input_ids"])
            ids[row, :n] = rows[i]["input_ids"]
            mask[row, :n] = 1
        logits = log_softmax(np.asarray(runner(ids, mask), dtype=np.float64))
        for row, i in enumerate(chunk):
            out[i] = logits[row, : len(rows[i]["input_ids"])]
    return out


def with_required(
    split: EncodedSplit,
    log_probs: Sequence[np.ndarray],
    schema: LabelSchema,
    require: Sequence[str],
    offset: int,
) -> set[int]:
    """Documents in which the teacher's decoded spans include every ``require`` label."""
    if not require:
        return set(range(len(split.documents)))
    width = max(len(lp) for lp in log_probs)
    padded = np.zeros((len(log_probs), width, schema.num_tags))
    for i, lp in enumerate(log_probs):
        padded[i, : len(lp)] = lp
    predicted = decode_split(split, padded, SpanDecoder(schema), offset)
    return {
        i for i, doc in enumerate(predicted) if set(require) <= {span.label for span in doc.spans}
    }


def targets(row: dict[str, Any], log_probs: np.ndarray, config: PseudoConfig) -> dict[str, Any]:
    """A row trained towards the teacher: its trained tokens (those the gold labels would have)
    get the teacher's distribution (``soft``) or most probable tag (``hard``); tokens where the
    teacher is less sure than ``min_confidence`` are not trained on."""
    labels = np.asarray(row["labels"])
    probs = np.exp(log_probs)
    trained = (labels != IGNORE_INDEX) & (probs.max(axis=-1) >= config.min_confidence)
    new_labels = np.where(trained, probs.argmax(axis=-1), IGNORE_INDEX)
    soft: list[list[float]] = []
    if config.targets == "soft":
        sharpened = np.exp(log_softmax(log_probs / config.temperature))
        soft = np.where(trained[:, None], sharpened, 0.0).astype(np.float32).tolist()
    return {**row, "labels": new_labels.tolist(), "soft": soft, "weight": config.weight}


@dataclass
class Unlabelled:
    """The teacher and its paragraphs, ready before the student is built."""

    config: PseudoConfig
    teacher: Any
    drawn: Drawn


def draw_unlabelled(
    config: PseudoConfig | None, known_texts: Iterable[str], seed: int
) -> Drawn | None:
    """The paragraphs to label (nothing without ``data.pseudo``), drawn before any teacher
    or student trains, so that a missing file or one with nothing to draw fails at once."""
    if config is None:
        return None
    if not Path(config.path).is_file():
        raise FileNotFoundError(f"data.pseudo.path: {config.path}: no such file")
    overlap = Overlap(known_texts, config.overlap_words)
    drawn = draw_paragraphs(config.path, config.drawn, config.min_words, overlap, seed)
    if not drawn.documents:
        raise ValueError(
            f"data.pseudo.path: {config.path}: no paragraph to label: {drawn.lines} read, "
            f"{drawn.short} shorter than {config.min_words} words; of those sampled, "
            f"{drawn.overlapping} share {config.overlap_words} words with a "
            f"train/dev/test/auxiliary text and {drawn.repeated} repeat another"
        )
    return drawn


def with_teacher(
    config: PseudoConfig | None, drawn: Drawn | None, device: str
) -> Unlabelled | None:
    """The drawn paragraphs with the teacher that will label them (its folders named by the
    user or by :func:`~araevent.training.teachers.teacher_stage`)."""
    if config is None or drawn is None:
        return None
    return Unlabelled(config, load_teacher(config, device), drawn)


def pseudo_rows(
    unlabelled: Unlabelled | None,
    tokenizer: FastTokenizer,
    schema: LabelSchema,
    encoding: EncodingConfig,
) -> list[dict[str, Any]]:
    """The pseudo-labelled windows of a run: the student's windows of the drawn paragraphs,
    with the teacher's targets."""
    if unlabelled is None:
        return []
    config, teacher = unlabelled.config, unlabelled.teacher
    check_teacher(teacher, tokenizer, schema)
    split = encode_split(unlabelled.drawn.documents, tokenizer, schema, encoding)
    pad_id = getattr(tokenizer, "pad_token_id", None) or 0
    log_probs = teacher_log_probs(teacher.runner, split.rows, pad_id, config.batch_size)
    offset = 0 if tokenizer.cls_token_id is None else 1
    kept = sorted(with_required(split, log_probs, schema, config.require, offset))
    keep = set(kept[: config.documents])
    chosen = [
        (row, lp)
        for row, lp, window in zip(split.rows, log_probs, split.windows, strict=True)
        if window.doc_index in keep
    ]
    rows = [targets(row, lp, config) for row, lp in chosen]
    _report(config, unlabelled.drawn, len(keep), len(rows))
    if config.min_confidence > 0:
        _report_unsure(config, [row for row, _ in chosen], rows)
    return rows


def _report_unsure(
    config: PseudoConfig, before: list[dict[str, Any]], after: list[dict[str, Any]]
) -> None:
    """How many labelled tokens ``min_confidence`` took out of training: not silently."""
    labelled = sum(int(np.sum(np.asarray(row["labels"]) != IGNORE_INDEX)) for row in before)
    trained = sum(int(np.sum(np.asarray(row["labels"]) != IGNORE_INDEX)) for row in after)
    log.info(
        "pseudo: %d of %d labelled tokens not trained on (the teacher's top probability under "
        "data.pseudo.min_confidence %g)",
        labelled - trained,
        labelled,
        config.min_confidence,
    )


def _report(config: PseudoConfig, drawn: Drawn, kept: int, windows: int) -> None:
    log.info(
        "pseudo %s: %d paragraphs read, %d drawn (%d shorter than %d words not eligible, "
        "%d sharing %d words with a train/dev/test/auxiliary text and %d repeated refused)",
        config.path,
        drawn.lines,
        len(drawn.documents),
        drawn.short,
        config.min_words,
        drawn.overlapping,
        config.overlap_words,
        drawn.repeated,
    )
    teacher = ", ".join(config.teacher or ())
    needs = f" with a {', '.join(config.require)} span" if config.require else ""
    log.info(
        "pseudo: %d paragraphs%s kept, %d windows, %s targets from %s (weight %g)",
        kept,
        needs,
        windows,
        config.targets,
        teacher,
        config.weight,
    )
    if kept < config.documents:
        log.warning(
            "pseudo: %d paragraphs kept of the %d asked for (data.pseudo.documents)",
            kept,
            config.documents,
        )
