"""Character offsets as other tools count them: Python counts code points, JavaScript UTF-16.

The two agree on every text whose characters all lie in the Basic Multilingual Plane (all of
Arabic, its diacritics, bidi marks, most symbols); an astral character (most emoji, some CJK)
is one code point but two UTF-16 code units, so every offset after it differs by one.
"""

from __future__ import annotations

from bisect import bisect_left

_BMP_END = 0x10000


def _astral(text: str) -> list[int]:
    """Code point positions of the characters outside the BMP."""
    return [i for i, char in enumerate(text) if ord(char) >= _BMP_END]


def to_utf16(text: str, offsets: list[int]) -> list[int]:
    """Code point offsets into ``text`` as UTF-16 code unit offsets."""
    astral = _astral(text)
    return [offset + bisect_left(astral, offset) for offset in offsets]


def from_utf16(text: str, units: list[int]) -> list[int]:
    """UTF-16 code unit offsets into ``text`` as code point offsets.

    An offset between the two halves of a surrogate pair names no character boundary: it is a
    ``ValueError`` saying so rather than a span silently moved by one.
    """
    astral = _astral(text)
    # the UTF-16 offset at which each astral character starts
    starts = [position + before for before, position in enumerate(astral)]
    out = []
    for unit in units:
        before = bisect_left(starts, unit)  # astral characters wholly before ``unit``
        if before and unit == starts[before - 1] + 1:
            raise ValueError(
                f"UTF-16 offset {unit} falls inside the surrogate pair of "
                f"{text[astral[before - 1]]!r}, not on a character boundary"
            )
        out.append(unit - before)
    return out
