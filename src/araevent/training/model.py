"""The model a run starts from: built or loaded, resumed, and checked against the settings
before any training step, so that a mistake costs seconds, not an epoch."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from araevent.data.labels import LabelSchema
from araevent.data.text import Normalizer
from araevent.features import EncodingConfig
from araevent.training.config import ModelConfig, TrainerConfig

log = logging.getLogger(__name__)

# A pretrained encoder above this would unlearn its pretraining; the random tiny model below
# it barely learns at all (trainer=cpu gives it 2e-3).
PRETRAINED_LEARNING_RATE = 5e-4


def resume_checkpoint(setting: str | bool | None, output_dir: Path) -> Path | None:
    """The checkpoint ``trainer.resume_from_checkpoint`` names: a folder, or ``true`` for the
    latest one of this run's folder (so give the earlier run's ``hydra.run.dir``)."""
    if setting is None or setting is False:
        return None
    if setting is True:
        from transformers.trainer_utils import get_last_checkpoint

        folder = output_dir / "checkpoints"
        last = get_last_checkpoint(str(folder)) if folder.is_dir() else None  # type: ignore[no-untyped-call]
        if last is None:
            raise ValueError(
                f"trainer.resume_from_checkpoint=true: no checkpoint in {folder} (name the "
                "earlier run's folder with hydra.run.dir, or the checkpoint itself)"
            )
        return Path(last)
    if not Path(setting).is_dir():
        raise FileNotFoundError(f"trainer.resume_from_checkpoint: {setting}: no such folder")
    return Path(setting)


def position_limit(config: Any, tokenizer: Any) -> int:
    """The longest window a model takes: its tokenizer's ``model_max_length`` where stated
    (512 for BERT and RoBERTa checkpoints alike), else the position table, less RoBERTa's
    offset (its positions start after the padding index)."""
    stated = getattr(tokenizer, "model_max_length", None)
    if isinstance(stated, int) and stated < 1_000_000:  # unset is a huge sentinel
        return stated
    table = int(getattr(config, "max_position_embeddings", 1_000_000))
    if "roberta" in getattr(config, "model_type", ""):
        table -= int(getattr(config, "pad_token_id", 0) or 0) + 1
    return table


def build_model_and_tokenizer(
    config: ModelConfig, schema: LabelSchema, texts: Sequence[str], seed: int
) -> tuple[Any, Any]:
    from araevent.modeling import build_tiny_model, load_model, load_tokenizer

    if config.name == "tiny":
        return build_tiny_model(
            texts,
            schema,
            vocab_size=config.tiny_vocab_size,
            hidden_size=config.tiny_hidden_size,
            layers=config.tiny_layers,
            heads=config.tiny_heads,
            seed=seed,
            overrides=config.config_overrides,
        )
    return load_model(config.name, schema, config.config_overrides), load_tokenizer(config.name)


def starting_model(
    model: ModelConfig,
    schema: LabelSchema,
    encoding: EncodingConfig,
    train_texts: Sequence[str],
    seed: int,
    checkpoint: Path | None,
) -> tuple[Any, Any]:
    """The network and tokenizer a run trains.

    The tiny model's vocabulary is learnt from the (normalised) training text; a resumed run
    takes the checkpoint's instead, or its weights would meet other token ids."""
    source = replace(model, name=str(checkpoint)) if checkpoint and model.name == "tiny" else model
    normalizer = Normalizer(encoding.normalization) if encoding.normalization else None
    texts = [normalizer.normalize_str(t) if normalizer else t for t in train_texts]
    return build_model_and_tokenizer(source, schema, texts, seed)


def check_fit(
    net: Any, tokenizer: Any, model: ModelConfig, encoding: EncodingConfig, trainer: TrainerConfig
) -> None:
    """Refuse windows the model cannot take; warn about a learning rate that suits the other
    kind of model (a random tiny BERT and a pretrained encoder differ by about 40x)."""
    positions = position_limit(net.config, tokenizer)
    if encoding.max_length > positions:
        raise ValueError(
            f"encoding.max_length={encoding.max_length} is more than the {positions} positions "
            f"of {model.name}: long documents are windowed, so a smaller value loses nothing"
        )
    rate = trainer.learning_rate
    if model.name != "tiny" and rate > PRETRAINED_LEARNING_RATE:
        log.warning(
            "learning rate %g is high for fine-tuning a pretrained encoder (trainer=cpu's value "
            "suits the random tiny model); pretrained encoders usually take 1e-5 to 1e-4, "
            "e.g. trainer=gpu trainer.device=cpu or trainer.learning_rate=5e-5",
            rate,
        )
    if model.name == "tiny" and rate < PRETRAINED_LEARNING_RATE:
        log.warning(
            "learning rate %g is low for the random tiny model, which learns from scratch "
            "(trainer=cpu gives it 2e-3; at 1e-4 it reached dev F1 0.06 on the sample); 1e-5 to "
            "1e-4 suit pretrained encoders, e.g. model=small-encoder",
            rate,
        )
