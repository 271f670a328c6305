"""Loading and building token-classification models and their tokenizers.

Any Hugging Face encoder works (AraBERT, CAMeLBERT, XLM-R, a local folder) as long as it has a
fast tokenizer: offsets into the original text are what keeps spans exact. Loading errors are
turned into one clear message (no network, wrong name, slow tokenizer) instead of a traceback
from deep inside a library. :func:`build_tiny_model` makes a small randomly initialised BERT
with a WordPiece vocabulary trained on given texts, so tests and the quick start run offline.
"""

from __future__ import annotations

import logging
import os
import socket
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from araevent.data.labels import LabelSchema

log = logging.getLogger(__name__)


class ModelLoadError(RuntimeError):
    """A model or tokenizer that cannot be loaded, with what to do about it."""


class OverrideError(ModelLoadError):
    """A ``model.config_overrides`` key the model's config does not have."""


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


def _check_reachable(name: str, what: str) -> None:
    """Fail at once, not after a minute of retries, when a Hub model cannot be fetched.

    A local folder or a model already in the Hugging Face cache needs no network; otherwise the
    Hub's host must at least resolve (proxies set in the environment are trusted to work).
    """
    if Path(name).exists():
        return
    if name.startswith(("/", "./", "../")):  # a path, never a Hub id
        raise ModelLoadError(f"cannot load the {what} of {name!r}: no such folder")
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy")):
        return
    from huggingface_hub import constants, try_to_load_from_cache

    try:
        cached = try_to_load_from_cache(name, "config.json")
    except ValueError:  # not a valid repository id either
        cached = None
    if isinstance(cached, str):
        return
    host = urlparse(constants.ENDPOINT).hostname or "huggingface.co"
    try:
        socket.getaddrinfo(host, 443)
    except OSError as exc:
        raise ModelLoadError(
            f"cannot load the {what} of {name!r}: it is not a local folder nor in the Hugging "
            f"Face cache, and the Hub ({host}) cannot be reached from this machine ({exc}). "
            "Download the model where there is network and pass its folder "
            f"(model.name=/path/to/{name.rsplit('/', 1)[-1]})"
        ) from None


def load_tokenizer(name: str) -> Any:
    """A fast tokenizer (offset mappings are required)."""
    from transformers import AutoTokenizer

    name = os.path.expanduser(name)  # from_pretrained reads ~ as a folder name
    _check_reachable(name, "tokenizer")
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


def load_model(name: str, schema: LabelSchema, overrides: Mapping[str, Any] | None = None) -> Any:
    """``AutoModelForTokenClassification`` with the schema's id2label/label2id in its config,
    and ``overrides`` (config fields such as ``hidden_dropout_prob``) set before it is built.

    transformers' own load report (a table with terminal colour codes) is replaced by one log
    line when all it says is that a pretrained encoder got a new classification head; any
    other missing, unexpected or resized weight is still logged as a warning.
    """
    from transformers import AutoConfig, AutoModelForTokenClassification

    name = os.path.expanduser(name)
    _check_reachable(name, "model")
    overrides = dict(overrides or {})
    try:
        with quiet_transformers():
            if overrides:
                check_overrides(AutoConfig.from_pretrained(name), overrides, name)
            model, info = AutoModelForTokenClassification.from_pretrained(
                name,
                num_labels=schema.num_tags,
                id2label=schema.id2label,
                label2id=schema.label2id,
                ignore_mismatched_sizes=True,
                output_loading_info=True,
                **overrides,
            )
    except (OSError, ValueError) as exc:
        raise _explain(name, "model", exc) from None
    for level, line in describe_loading(name, info):
        log.log(level, "%s", line)
    return model


def check_overrides(config: Any, overrides: Mapping[str, Any], name: str) -> None:
    """Refuse an override the config has no field for: transformers would hand it to the
    model's constructor, which fails with a message that names neither the setting nor the
    config's fields."""
    unknown = sorted(key for key in overrides if not hasattr(config, key))
    if unknown:
        raise OverrideError(
            f"model.config_overrides: {', '.join(unknown)} is not a field of {name}'s config "
            f"({type(config).__name__}; e.g. hidden_dropout_prob, attention_probs_dropout_prob)"
        )


# weights a pretraining checkpoint has and a token classifier does not need
_PRETRAINING_HEADS = ("lm_head.", "cls.predictions.", "cls.seq_relationship.", "pooler.")
_CLASSIFIER = "classifier."


def describe_loading(name: str, info: dict[str, Any]) -> list[tuple[int, str]]:
    """Log lines for ``from_pretrained``'s loading info: the expected case (a new classifier,
    the pretraining head left out) in one INFO line, anything else as a WARNING."""
    missing = sorted(info.get("missing_keys", ()))
    unexpected = sorted(info.get("unexpected_keys", ()))
    mismatched = sorted(
        str(k[0] if isinstance(k, tuple) else k) for k in info.get("mismatched_keys", ())
    )
    new_head = [k for k in missing if k.startswith(_CLASSIFIER)]
    dropped = [k for k in unexpected if k.startswith(_PRETRAINING_HEADS)]
    lines: list[tuple[int, str]] = []
    if new_head or dropped:
        lines.append(
            (
                logging.INFO,
                f"{name}: the classification head is new ({len(new_head)} tensors, trained "
                f"from scratch); {len(dropped)} tensors of the pretraining head are not used",
            )
        )
    odd = {
        "missing (randomly initialised)": [k for k in missing if k not in new_head],
        "unexpected (not used)": [k for k in unexpected if k not in dropped],
        "resized (randomly initialised)": [k for k in mismatched if not k.startswith(_CLASSIFIER)],
    }
    for what, keys in odd.items():
        if keys:
            shown = ", ".join(keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
            lines.append((logging.WARNING, f"{name}: weights {what}: {shown}"))
    return lines


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """transformers' loading bars and load report silenced for the block, then restored: a
    library prints nothing unless asked, and araevent says what matters in its own words."""
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]


def train_wordpiece(texts: Iterable[str], vocab_size: int = 2000, lowercase: bool = False) -> Any:
    """A BERT-style fast tokenizer with a WordPiece vocabulary learnt from ``texts``.

    Arabic diacritics and hamza forms are kept (no lower-casing, no accent stripping) unless
    asked, so that offsets match the input and the vocabulary sees the text as written.

    The vocabulary is chosen deterministically: every character seen (word-initial and ``##``
    continuation), then the word prefixes and ``##`` suffixes that cover the most running text,
    ties broken by the piece itself. (``tokenizers``' own WordPiece trainer breaks frequency ties
    differently from run to run, which made seeded training runs irreproducible.)
    """
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=lowercase, lowercase=lowercase
    )
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    words: Counter[str] = Counter()
    for text in texts:
        words.update(w for w, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text)))
    vocab = _wordpiece_vocab(words, vocab_size, special)
    backend = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]"))
    backend.normalizer = normalizer
    backend.pre_tokenizer = pre_tokenizer
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
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


def _wordpiece_vocab(words: Counter[str], size: int, special: list[str]) -> dict[str, int]:
    alphabet = sorted({c for word in words for c in word})
    pieces: Counter[str] = Counter()
    for word, count in words.items():
        for k in range(2, len(word) + 1):
            pieces[word[:k]] += count * k  # weighted by the characters a piece covers
        for k in range(1, len(word) - 1):
            pieces["##" + word[k:]] += count * (len(word) - k)
    tokens = [*special, *alphabet, *("##" + c for c in alphabet)]
    room = max(0, size - len(tokens))
    tokens += [p for p, _ in sorted(pieces.items(), key=lambda item: (-item[1], item[0]))[:room]]
    return {token: i for i, token in enumerate(dict.fromkeys(tokens))}


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
    overrides: Mapping[str, Any] | None = None,
) -> tuple[Any, Any]:
    """A small random BERT and its WordPiece tokenizer, built offline in seconds;
    ``overrides`` as for :func:`load_model`."""
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
    if overrides:
        check_overrides(config, overrides, "the tiny model")
        config.update(dict(overrides))
    torch.manual_seed(seed)
    return BertForTokenClassification(config), tokenizer
