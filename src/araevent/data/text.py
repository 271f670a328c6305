"""Arabic text utilities that never lose track of the original offsets.

Everything here returns character offsets into the string it was given: word segmentation and
sentence splitting return ``(start, end)`` pairs, and normalisation returns the normalised string
together with a map back to the original, so that spans found in normalised text can be reported
on the user's text.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import regex

# A word, as the annotation guidelines define it: a maximal run of letters, digits and combining
# marks. Invisible format characters (ZWJ, ZWNJ, bidi marks) join a word when they sit inside
# it, but never start or end one.
_WORD_CHARS = r"[\p{L}\p{N}\p{M}]"
WORD_RE = regex.compile(rf"{_WORD_CHARS}+(?:\p{{Cf}}+{_WORD_CHARS}+)*")
# A token: a word, or any other single visible character (punctuation and symbols stand alone).
TOKEN_RE = regex.compile(rf"{WORD_RE.pattern}|[^\s\p{{Cf}}]")
_FORMAT_RE = regex.compile(r"\p{Cf}")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_SENTENCE_END_RE = regex.compile(r"[.!?؟؛]+[\"'”»)\]]*|\n")


def replace_surrogates(text: str) -> tuple[str, int]:
    """``text`` with each lone surrogate (not valid Unicode, unencodable) replaced by U+FFFD,
    and how many there were; lengths, and so offsets, are unchanged."""
    return _SURROGATE_RE.subn("\ufffd", text)


def words(text: str) -> list[tuple[int, int]]:
    """Offsets of the guideline's words (punctuation excluded)."""
    return [m.span() for m in WORD_RE.finditer(text)]


def tokens(text: str) -> list[tuple[int, int]]:
    """Offsets of words and of each punctuation or symbol character: the CoNLL token unit."""
    return [m.span() for m in TOKEN_RE.finditer(text)]


def is_word_char(char: str) -> bool:
    return WORD_RE.fullmatch(char) is not None


def in_word(text: str, i: int) -> bool:
    """Whether ``text[i]`` belongs to a word: a word character, or a format character (ZWJ,
    ZWNJ, bidi mark) inside a word, as :data:`WORD_RE` joins them."""
    if is_word_char(text[i]):
        return True
    if not _FORMAT_RE.fullmatch(text[i]):
        return False
    left, right = i, i
    while left >= 0 and _FORMAT_RE.fullmatch(text[left]):
        left -= 1
    while right < len(text) and _FORMAT_RE.fullmatch(text[right]):
        right += 1
    return (
        left >= 0 and right < len(text) and is_word_char(text[left]) and is_word_char(text[right])
    )


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence offsets, split after ``. ! ? ؟ ؛`` (with trailing quotes) and at newlines.

    A full stop between two digits (``3.5``) does not end a sentence. Returned sentences are
    stripped of surrounding whitespace and never empty.
    """
    out: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END_RE.finditer(text):
        end = match.end()
        if (
            match.group() == "."
            and match.start() > 0
            and end < len(text)
            and text[match.start() - 1].isdigit()
            and text[end].isdigit()
        ):
            continue
        _append_stripped(out, text, start, end)
        start = end
    _append_stripped(out, text, start, len(text))
    return out


def _append_stripped(out: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and (text[start].isspace() or text[start] in BIDI_CONTROLS):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in BIDI_CONTROLS):
        end -= 1
    if start < end:
        out.append((start, end))


# --- normalisation ---------------------------------------------------------------------------

ARABIC_DIACRITICS = "".join(
    chr(c)
    for c in [*range(0x0610, 0x061B), *range(0x064B, 0x0660), 0x0670, *range(0x06D6, 0x06EE)]
    if chr(c) not in "\u06dd\u06de\u06e9"  # signs that are not combining marks
)
TATWEEL = "\u0640"
BIDI_CONTROLS = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
ALEF_VARIANTS = "أإآٱ"
ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
EXTENDED_ARABIC_INDIC_DIGITS = "۰۱۲۳۴۵۶۷۸۹"


@dataclass(frozen=True)
class NormalizationConfig:
    """Which normalisations to apply. Each is a named, reversible-by-offsets policy.

    Deleting characters (diacritics, tatweel, bidi controls) and 1:1 substitutions (alef forms,
    alef maqsura, ta marbuta, digits) are all the operations used, so every normalised character
    comes from exactly one original character.
    """

    diacritics: bool = True
    tatweel: bool = True
    alef: bool = True
    alef_maqsura: bool = True
    ta_marbuta: bool = False
    digits: bool = True
    bidi: bool = True

    def table(self) -> dict[int, str]:
        """``str.translate`` table: code point to replacement ('' deletes)."""
        table: dict[int, str] = {}
        if self.diacritics:
            table.update({ord(c): "" for c in ARABIC_DIACRITICS})
        if self.tatweel:
            table[ord(TATWEEL)] = ""
        if self.bidi:
            table.update({ord(c): "" for c in BIDI_CONTROLS})
        if self.alef:
            table.update({ord(c): "ا" for c in ALEF_VARIANTS})
        if self.alef_maqsura:
            table[ord("ى")] = "ي"
        if self.ta_marbuta:
            table[ord("ة")] = "ه"
        if self.digits:
            for digits in (ARABIC_INDIC_DIGITS, EXTENDED_ARABIC_INDIC_DIGITS):
                table.update({ord(c): str(i) for i, c in enumerate(digits)})
        return table


@dataclass(frozen=True)
class NormalizedText:
    """A normalised string with, for each of its characters, the original range it came from.

    ``starts[i]:ends[i]`` is the original range of normalised character ``i``. Deleted marks and
    tatweel are attached to the character they follow (so a span mapped back keeps a word's
    final diacritic); deleted bidi controls belong to no character.
    """

    text: str
    original: str
    starts: np.ndarray
    ends: np.ndarray

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalised span ``[start, end)`` (non-empty) to original offsets."""
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"span [{start}, {end}) outside normalised text of {len(self.text)}")
        return int(self.starts[start]), int(self.ends[end - 1])


@dataclass(frozen=True)
class Normalizer:
    """Applies a :class:`NormalizationConfig`; vectorised so it can sit on the inference path."""

    config: NormalizationConfig = field(default_factory=NormalizationConfig)

    @cached_property
    def _table(self) -> dict[int, str]:
        return self.config.table()

    @cached_property
    def _lookup(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-BMP-code-point arrays: deleted?, attaches to previous char?, replacement."""
        deleted = np.zeros(0x10000, dtype=bool)
        attaches = np.zeros(0x10000, dtype=bool)
        replacement = np.arange(0x10000, dtype=np.uint32)
        for code, repl in self._table.items():
            if repl:
                replacement[code] = ord(repl)
            else:
                deleted[code] = True
                attaches[code] = chr(code) not in BIDI_CONTROLS
        return deleted, attaches, replacement

    def __call__(self, text: str) -> NormalizedText:
        return self.normalize(text)

    def normalize_str(self, text: str) -> str:
        """Just the normalised string, for vocabulary look-ups and tokenizer training."""
        return text.translate(self._table)

    def normalize(self, text: str) -> NormalizedText:
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        bmp = codes < 0x10000
        index = np.where(bmp, codes, 0)
        deleted_table, attaches_table, replacement = self._lookup
        deleted = deleted_table[index] & bmp
        attaches = attaches_table[index] & bmp
        kept = np.flatnonzero(~deleted)
        out_codes = np.where(bmp, replacement[index], codes)[kept]
        starts = kept.astype(np.int64)
        ends = starts + 1
        attached = np.flatnonzero(attaches)
        if attached.size:
            # the last position at or before each index that is kept or an unattached deletion
            anchor_at = np.where(~attaches, np.arange(len(codes)), -1)
            anchor = np.maximum.accumulate(anchor_at)[attached]
            valid = (anchor >= 0) & ~deleted[np.maximum(anchor, 0)]
            if valid.any():
                slot = np.searchsorted(kept, anchor[valid])
                np.maximum.at(ends, slot, attached[valid] + 1)
        normalized = out_codes.astype("<u4").tobytes().decode("utf-32-le", "surrogatepass")
        return NormalizedText(normalized, text, starts, ends)


def normalize(text: str, config: NormalizationConfig | None = None) -> NormalizedText:
    """Normalise ``text`` with ``config`` (defaults: everything but ta marbuta)."""
    return Normalizer(config or NormalizationConfig()).normalize(text)


# --- proclitics ------------------------------------------------------------------------------

_CONJUNCTIONS = "وف"
_PREPOSITIONS = "بكل"
_ARTICLE = "ال"


@dataclass(frozen=True)
class Core:
    """A word's core after its proclitics.

    ``start``/``end`` are offsets of the core's characters in the original text. ``text`` is the
    dictionary form: it equals ``original[start:end]`` except after ``لل`` (``ل`` + ``ال`` with the
    article's alef elided), where the alef is restored (``للنظام`` gives ``النظام``).
    """

    start: int
    end: int
    text: str


def strip_proclitics(
    text: str, start: int = 0, end: int | None = None, vocabulary: Collection[str] | None = None
) -> Core:
    """The core of ``text[start:end]`` without the proclitics و ف ب ك ل and لل.

    Without a vocabulary only a proclitic chain followed by the definite article is stripped
    (``والروس`` to ``الروس``, ``بالحسكة`` to ``الحسكة``, ``للنظام`` to ``النظام``); bare stems
    (``وروسيا``) are stripped only when ``vocabulary`` contains the result, since ``وزير``,
    ``بغداد`` or ``لبنان`` begin with the same letters as part of the stem. The article reading
    is the usual one in news but not always right: a stem that itself begins with those letters
    is misread without a vocabulary (``للبنان`` gives ``البنان``, ``والدته`` gives ``الدته``);
    with one, a known stem wins (``لبنان``).
    Only the first word of a multi-word span carries proclitics; the rest is kept.
    """
    end = len(text) if end is None else end
    surface = text[start:end]
    candidates: list[tuple[int, str]] = []
    for conj in ("", *_CONJUNCTIONS):
        for prep in ("", *_PREPOSITIONS):
            prefix = conj + prep
            if not prefix or not surface.startswith(prefix):
                continue
            rest = surface[len(prefix) :]
            if prep == "ل" and rest.startswith("ل") and len(rest) > 2:
                # لل: the preposition ل before the article ال, whose alef is not written
                candidates.append((len(prefix), "ا" + rest))
            candidates.append((len(prefix), rest))
    candidates.sort(key=lambda c: -c[0])  # longest proclitic chain first
    heads = [(cut, core, core.split(" ", 1)[0]) for cut, core in candidates]
    if vocabulary is not None:  # a known stem wins: للبنان is ل + لبنان, not ل + البنان
        for cut, core, head in heads:
            if head in vocabulary:
                return Core(start + cut, end, core)
    for cut, core, head in heads:
        if head.startswith(_ARTICLE) and len(head) >= 2 + len(_ARTICLE):
            return Core(start + cut, end, core)
    return Core(start, end, surface)
