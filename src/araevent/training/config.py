"""The settings of a training run: plain dataclasses that hydra instantiates from ``configs/``.

Each is as usable from Python as from the command line, and each refuses, at construction,
values the Hugging Face ``Trainer`` would accept and then misuse.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from araevent.data.bio import Scheme
from araevent.data.labels import DEFAULT_LABELS, LabelSchema
from araevent.io import ConllOptions, Corpus, load

log = logging.getLogger(__name__)


@dataclass
class AuxiliaryCorpus:
    """Another corpus trained on beside ``train``, in its own label set mapped to the project's.

    ``annotates`` names the project labels this corpus marks (ANERcorp: ACTOR and PLACE); a
    token it leaves ``O`` is not taught to be outside the others (see
    :mod:`araevent.training.partial`). ``fraction``: its windows per epoch as a share of the
    main training windows, drawn once with the run's seed (1.0: as many as the main corpus;
    None: every window of the corpus once). ``head``: ``shared`` trains the main classifier on
    its windows; ``own`` gives it a classifier of its own on the shared encoder, dropped before
    the model is saved (:mod:`araevent.training.heads`).
    """

    path: str
    annotates: Sequence[str]
    format: str | None = None
    label_map: str | None = None
    mode: Literal["strict", "lenient"] = "lenient"
    nested: bool = False
    fraction: float | None = 1.0
    head: Literal["shared", "own"] = "shared"

    def __post_init__(self) -> None:
        if self.head not in ("shared", "own"):
            raise ValueError(
                f"data.auxiliary {self.path}: head is shared or own, not {self.head!r}"
            )
        if self.fraction is not None:
            check_number("data.auxiliary.fraction", self.fraction, above=0)
        if not self.annotates:
            raise ValueError(f"data.auxiliary {self.path}: annotates names no label")


@dataclass
class PseudoConfig:
    """Unlabelled text labelled by a teacher, trained on beside ``train`` (self-training, and
    distillation when the teacher is an ensemble): see :mod:`araevent.training.pseudo`.

    ``path``: plain text, one paragraph a line (``.gz`` read as gzip). ``teacher``: one or more
    model folders sharing the student's tokenizer and labels (several: their averaged
    probabilities); unset, the run first trains one teacher per seed of ``teacher_seeds`` with
    its own recipe less the pseudo-labelled text (:mod:`araevent.training.teachers`).
    ``documents`` paragraphs of at least ``min_words`` words are drawn
    uniformly with the run's seed, after removing those that share a passage of
    ``overlap_words`` words with any train, dev, test or auxiliary text. ``require``: keep only
    paragraphs in which the teacher finds a span of each of these labels (domain match), from
    ``candidates`` drawn (default 3 x ``documents``). ``targets``: ``soft`` trains towards the
    teacher's distribution sharpened or softened by ``temperature``; ``hard`` towards its most
    probable tag. Words where the teacher's top probability is under ``min_confidence`` are not
    trained on. ``weight``: a pseudo-labelled token's share of the loss against a gold one.
    """

    path: str
    teacher: Sequence[str] | None = None
    teacher_seeds: Sequence[int] = (42, 1, 2)
    documents: int = 2000
    candidates: int | None = None
    min_words: int = 8
    overlap_words: int = 8
    require: Sequence[str] = ()
    targets: Literal["soft", "hard"] = "soft"
    temperature: float = 1.0
    min_confidence: float = 0.0
    weight: float = 1.0
    batch_size: int = 64

    def __post_init__(self) -> None:
        if isinstance(self.teacher, str):
            self.teacher = [self.teacher]
        if self.teacher is not None and not self.teacher:
            raise ValueError("data.pseudo.teacher names no model folder (unset it to train them)")
        if isinstance(self.teacher_seeds, int):
            self.teacher_seeds = [self.teacher_seeds]
        for seed in self.teacher_seeds:
            check_number("data.pseudo.teacher_seeds", seed, at_least=0, integer=True)
        if not self.teacher and not self.teacher_seeds:
            raise ValueError("data.pseudo.teacher_seeds is empty and no teacher is given")
        if len(set(self.teacher_seeds)) < len(self.teacher_seeds):
            seeds = list(self.teacher_seeds)
            raise ValueError(f"data.pseudo.teacher_seeds repeats a seed: {seeds}")
        check_number("data.pseudo.documents", self.documents, at_least=1, integer=True)
        if self.candidates is not None:
            check_number(
                "data.pseudo.candidates", self.candidates, at_least=self.documents, integer=True
            )
        check_number("data.pseudo.min_words", self.min_words, at_least=1, integer=True)
        check_number("data.pseudo.overlap_words", self.overlap_words, at_least=2, integer=True)
        check_number("data.pseudo.temperature", self.temperature, above=0)
        check_number("data.pseudo.min_confidence", self.min_confidence, at_least=0)
        check_number("data.pseudo.weight", self.weight, above=0)
        check_number("data.pseudo.batch_size", self.batch_size, at_least=1, integer=True)
        if self.targets not in ("soft", "hard"):
            raise ValueError(f"data.pseudo.targets must be soft or hard, not {self.targets!r}")
        if self.min_confidence >= 1:
            raise ValueError(
                f"data.pseudo.min_confidence is a probability below 1: {self.min_confidence}"
            )

    @property
    def drawn(self) -> int:
        """Paragraphs the teacher labels: all are kept unless ``require`` filters them."""
        if self.candidates is not None:
            return self.candidates
        return 3 * self.documents if self.require else self.documents


@dataclass
class DataConfig:
    """Where the splits are and how to read them. ``dev``/``test`` may be absent.

    ``auxiliary_first_epochs``: None mixes the auxiliary corpora into every epoch of the main
    training; a number trains that many epochs on them alone first, then on ``train`` alone
    (sequential transfer, :mod:`araevent.training.sequential`).
    """

    train: str
    dev: str | None = None
    test: str | None = None
    format: str | None = None
    label_map: str | None = None
    labels: Sequence[str] = DEFAULT_LABELS
    mode: Literal["strict", "lenient"] = "strict"
    nested: bool = False
    scheme: str | None = None  # CoNLL tag scheme in any case; None: detected per file
    limit: int | None = None  # first N documents of each split, for smoke runs
    auxiliary: Sequence[AuxiliaryCorpus] = ()
    auxiliary_first_epochs: float | None = None
    pseudo: PseudoConfig | None = None

    def __post_init__(self) -> None:
        # hydra hands plain mappings; Python callers may pass either
        self.auxiliary = [
            a if isinstance(a, AuxiliaryCorpus) else AuxiliaryCorpus(**a) for a in self.auxiliary
        ]
        if self.pseudo is not None and not isinstance(self.pseudo, PseudoConfig):
            self.pseudo = PseudoConfig(**self.pseudo)
        if self.pseudo is not None:
            unknown = set(self.pseudo.require) - set(self.labels)
            if unknown:
                raise ValueError(
                    f"data.pseudo.require names labels outside data.labels: "
                    f"{', '.join(sorted(unknown))}"
                )
        if self.auxiliary_first_epochs is not None:
            check_number("data.auxiliary_first_epochs", self.auxiliary_first_epochs, above=0)
            if not self.auxiliary:
                raise ValueError("data.auxiliary_first_epochs is set but data.auxiliary is empty")
        if self.limit is not None:
            check_number("data.limit", self.limit, at_least=1, integer=True)
        if self.scheme is not None:
            try:
                Scheme.parse(self.scheme)
            except ValueError as exc:
                raise ValueError(f"data.scheme: {exc}") from None

    @property
    def schema(self) -> LabelSchema:
        return LabelSchema(tuple(self.labels))

    def load(self, split: str) -> Corpus | None:
        path = getattr(self, split)
        if path is None:
            return None
        if not Path(path).exists():
            where = "" if Path(path).is_absolute() else f" (read from {Path.cwd()})"
            raise FileNotFoundError(f"data.{split}: {path}: no such file or folder{where}")
        corpus = load(
            path,
            self.format,
            mode=self.mode,
            schema=self.schema,
            label_map=self.label_map,
            conll=ConllOptions(nested=self.nested, scheme=self.scheme),
        )
        for line in corpus.report.lines():
            log.info("%s: %s", split, line)
        if self.limit is not None and self.limit < len(corpus):
            log.info(
                "%s: first %d of %d documents kept (data.limit); counts above are for all",
                split,
                self.limit,
                len(corpus),
            )
            corpus = Corpus(corpus.documents[: self.limit], corpus.report)
        if not corpus:
            raise ValueError(f"data.{split}: {path} holds no documents")
        return corpus

    def load_auxiliary(self, corpus: AuxiliaryCorpus) -> Corpus:
        """An auxiliary corpus read into the project's labels (those it annotates only)."""
        if not Path(corpus.path).exists():
            raise FileNotFoundError(f"data.auxiliary: {corpus.path}: no such file or folder")
        annotated = LabelSchema(tuple(corpus.annotates))
        if set(annotated.labels) - set(self.schema.labels):
            raise ValueError(
                f"data.auxiliary {corpus.path}: annotates {', '.join(annotated.labels)}, "
                f"not all of them in data.labels ({', '.join(self.schema.labels)})"
            )
        loaded = load(
            corpus.path,
            corpus.format,
            mode=corpus.mode,
            schema=annotated,
            label_map=corpus.label_map,
            conll=ConllOptions(nested=corpus.nested),
        )
        for line in loaded.report.lines():
            log.info("auxiliary %s: %s", corpus.path, line)
        if not loaded:
            raise ValueError(f"data.auxiliary: {corpus.path} holds no documents")
        return loaded


@dataclass
class ModelConfig:
    """A Hugging Face model name or folder; ``tiny`` builds a small random BERT offline.

    ``config_overrides`` sets fields of the model's config before its weights load, as
    ``run_ner.py --config_overrides`` does (``{hidden_dropout_prob: 0.2}``); a name the config
    does not have is refused, since transformers would pass it to the model's constructor."""

    name: str = "tiny"
    tiny_vocab_size: int = 2000
    tiny_hidden_size: int = 64
    tiny_layers: int = 2
    tiny_heads: int = 2
    config_overrides: dict[str, Any] | None = None


@dataclass
class TrainerConfig:
    """Optimisation settings; ``bf16="auto"`` uses bf16 where the hardware computes it natively
    (see :func:`araevent.precision.bf16_choice`). ``consistency`` > 0 runs each training batch
    twice under dropout and adds that weight times the two passes' symmetric KL divergence to
    the loss (R-Drop, Liang et al. 2021): each step runs a batch twice the size."""

    epochs: float = 10
    max_steps: int = -1
    batch_size: int = 16
    eval_batch_size: int = 64
    learning_rate: float = 5e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    scheduler: str = "linear"
    gradient_accumulation_steps: int = 1
    early_stopping_patience: int | None = 3
    seed: int = 42
    device: str = "auto"
    bf16: bool | Literal["auto"] = "auto"
    group_by_length: bool = True
    logging_steps: int = 20
    save_total_limit: int = 2
    dataloader_num_workers: int = 0
    resume_from_checkpoint: str | bool | None = None
    tensorboard: bool = True
    progress_bar: bool = True
    consistency: float = 0.0

    def __post_init__(self) -> None:
        """Refuse values the Trainer would accept and then misuse (0 epochs trains nothing and
        still writes a model; a warm-up "ratio" of 1 or more is read as a number of steps)."""
        check_number("trainer.max_steps", self.max_steps, integer=True)
        check_number("trainer.epochs", self.epochs, above=0, allowed=self.max_steps > 0)
        for name in ("batch_size", "eval_batch_size", "gradient_accumulation_steps"):
            check_number(f"trainer.{name}", getattr(self, name), at_least=1, integer=True)
        check_number("trainer.learning_rate", self.learning_rate, above=0)
        check_number("trainer.weight_decay", self.weight_decay, at_least=0)
        check_number("trainer.logging_steps", self.logging_steps, at_least=1, integer=True)
        check_number("trainer.warmup_ratio", self.warmup_ratio, at_least=0)
        check_number("trainer.consistency", self.consistency, at_least=0)
        if not self.warmup_ratio < 1:
            raise ValueError(
                f"trainer.warmup_ratio is a share of the steps, in [0, 1): {self.warmup_ratio}"
            )
        if self.bf16 not in (True, False, "auto"):
            raise ValueError(f"trainer.bf16 must be true, false or auto, not {self.bf16!r}")


def check_number(
    name: str,
    value: object,
    *,
    above: float | None = None,
    at_least: float | None = None,
    integer: bool = False,
    allowed: bool = False,
) -> None:
    """A ValueError naming the setting unless ``value`` is a number in range (or ``allowed``)."""
    kind = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ValueError(f"{name} must be {'an integer' if integer else 'a number'}: {value!r}")
    if allowed:
        return
    if above is not None and not value > above:
        raise ValueError(f"{name} must be more than {above}: {value}")
    if at_least is not None and not value >= at_least:
        raise ValueError(f"{name} must be at least {at_least}: {value}")
