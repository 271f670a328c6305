"""Loading and building token-classification models and their tokenizers.

Any Hugging Face encoder works (AraBERT, CAMeLBERT, XLM-R, a local folder) as long as it has a
fast tokenizer: offsets into the original text are what keeps spans exact. Loading errors are
turned into one clear message (no network, wrong name, slow tokenizer) instead of a traceback
from deep inside a library. :func:`build_tiny_model` makes a small randomly initialised BERT
with a WordPiece vocabulary trained on given texts, so tests and the quick start run offline.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from araevent.data.labels import LabelSchema


class ModelLoadError(RuntimeError):
    """A model or tokenizer that cannot be loaded, with what to do about it."""


def _explain(name: str, what: str, exc: Exception) -> ModelLoadError:
    local = Path(name).exists()
    offline = (
        os.environ.get("HF_HUB_OFFLINE") == "1" or os.environ.get("TRANSFORMERS_OFFLINE") == "1"
    )
    if local:
        hint = f"the folder {name} exists but holds no loadable {what}"
    else:
        hint = (
            f"{name!r} is not a local folder, so it must come from the Hugging Face Hub; "
            "check the name, or that this machine can reach the Hub"
            + (" (HF_HUB_OFFLINE=1 is set)" if offline else "")
            + ", or download it elsewhere and pass its folder"
        )
    return ModelLoadError(
        f"cannot load the {what} of {name!r}: {hint}. "
        f"({type(exc).__name__}: {str(exc).splitlines()[0][:200]})"
    )


def load_tokenizer(name: str) -> Any:
    """A fast tokenizer (offset mappings are required)."""
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(name)
    except (OSError, ValueError) as exc:
        raise _explain(name, "tokenizer", exc) from None
    if not getattr(tokenizer, "is_fast", False):
        raise ModelLoadError(
            f"the tokenizer of {name!r} is a slow (Python) tokenizer; araevent needs a fast one "
            "for character offsets. Convert it with `tokenizers` or pick a model that ships "
            "tokenizer.json"
        )
    return tokenizer


def load_model(name: str, schema: LabelSchema, **kwargs: Any) -> Any:
    """``AutoModelForTokenClassification`` with the schema's id2label/label2id in its config."""
    from transformers import AutoModelForTokenClassification

    try:
        return AutoModelForTokenClassification.from_pretrained(
            name,
            num_labels=schema.num_tags,
            id2label=schema.id2label,
            label2id=schema.label2id,
            ignore_mismatched_sizes=True,
            **kwargs,
        )
    except (OSError, ValueError) as exc:
        raise _explain(name, "model", exc) from None


def train_wordpiece(texts: Iterable[str], vocab_size: int = 2000, lowercase: bool = False) -> Any:
    """A BERT-style fast tokenizer with a WordPiece vocabulary trained on ``texts``.

    Arabic diacritics and hamza forms are kept (no lower-casing, no accent stripping) unless
    asked, so that offsets match the input and the vocabulary sees the text as written.
    """
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    backend = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    backend.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=lowercase, lowercase=lowercase
    )
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size, special_tokens=special, min_frequency=1
    )
    backend.train_from_iterator(texts, trainer=trainer)
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[
            ("[CLS]", backend.token_to_id("[CLS]")),
            ("[SEP]", backend.token_to_id("[SEP]")),
        ],
    )
    return PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=backend,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=512,
    )


def build_tiny_model(
    texts: Iterable[str],
    schema: LabelSchema,
    *,
    vocab_size: int = 2000,
    hidden_size: int = 64,
    layers: int = 2,
    heads: int = 2,
    max_positions: int = 512,
    seed: int = 0,
) -> tuple[Any, Any]:
    """A small random BERT and its WordPiece tokenizer, built offline in seconds."""
    import torch
    from transformers import BertConfig, BertForTokenClassification

    tokenizer = train_wordpiece(texts, vocab_size=vocab_size)
    config = BertConfig(  # type: ignore[call-arg]
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=4 * hidden_size,
        max_position_embeddings=max_positions,
        num_labels=schema.num_tags,
        id2label=schema.id2label,
        label2id=schema.label2id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    return BertForTokenClassification(config), tokenizer
