"""Token tag schemes (IOB1, IOB2, IOBES, BILOU): the only module that knows B-/I-/O.

Tags exist at file-format and model boundaries only; everywhere else the package speaks in
character spans. Conversion works on token indices: ``tags_to_chunks`` turns a tag sequence
into ``(first_token, last_token_exclusive, label)`` chunks and ``chunks_to_tags`` goes back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

_LABEL_RE = re.compile(r"\w[\w.\-]*")


class Scheme(str, Enum):
    IOB1 = "IOB1"
    IOB2 = "IOB2"
    IOBES = "IOBES"
    BILOU = "BILOU"

    @classmethod
    def parse(cls, value: str | Scheme) -> Scheme:
        """The scheme named ``value`` in any case (``"iobes"``, ``"IOBES"``).

        Every place that takes a scheme goes through here: a name that is not a scheme is an
        error listing the valid ones, never a silent fall-through to some other scheme.
        """
        if isinstance(value, Scheme):
            return value
        if isinstance(value, str):
            for scheme in cls:
                if scheme.value.casefold() == value.casefold():
                    return scheme
        names = ", ".join(scheme.value for scheme in cls)
        raise ValueError(f"unknown tag scheme {value!r}; expected one of {names} (any case)")


# Prefixes per scheme, normalised to the roles begin / inside / end / single.
_ROLES: dict[Scheme, dict[str, str]] = {
    Scheme.IOB1: {"B": "B", "I": "I"},
    Scheme.IOB2: {"B": "B", "I": "I"},
    Scheme.IOBES: {"B": "B", "I": "I", "E": "E", "S": "S"},
    Scheme.BILOU: {"B": "B", "I": "I", "L": "E", "U": "S"},
}


class TagError(ValueError):
    """A tag that cannot be parsed or a sequence the scheme forbids; ``index`` is the token."""

    def __init__(self, reason: str, index: int) -> None:
        self.reason = reason
        self.index = index
        super().__init__(f"token {index}: {reason}")


def parse_tag(tag: str) -> tuple[str, str]:
    """Split ``B-PERS`` into ``("B", "PERS")``; ``O`` gives ``("O", "")``."""
    if tag == "O":
        return "O", ""
    prefix, sep, label = tag.partition("-")
    if not sep or len(prefix) != 1 or prefix not in "BIESLU" or not _LABEL_RE.fullmatch(label):
        raise ValueError(f"malformed tag {tag!r}")
    return prefix, label


def detect_scheme(sequences: Iterable[Sequence[str]]) -> Scheme:
    """Guess the scheme of well-formed tag sequences.

    E-/S- mean IOBES and L-/U- mean BILOU. Otherwise IOB1 and IOB2 differ in whether a chunk
    after ``O`` opens with ``B-`` (IOB2) or ``I-`` (IOB1): a file with any B- opening a chunk is
    IOB2 (so stray I- after O in it are errors, not IOB1), one whose chunks all open with I- is
    IOB1.
    """
    prefixes: set[str] = set()
    b_opens = i_opens = False
    for seq in sequences:
        previous = ("O", "")
        for tag in seq:
            prefix, label = parse_tag(tag)
            prefixes.add(prefix)
            opens = previous[0] == "O" or previous[1] != label
            if prefix == "B" and previous[0] == "O":
                b_opens = True
            if prefix == "I" and opens:
                i_opens = True
            previous = (prefix, label)
    if prefixes & {"E", "S"}:
        return Scheme.IOBES
    if prefixes & {"L", "U"}:
        return Scheme.BILOU
    if i_opens and not b_opens:
        return Scheme.IOB1
    return Scheme.IOB2


@dataclass
class ChunkResult:
    """Chunks decoded from one tag sequence, with the repairs lenient decoding made."""

    chunks: list[tuple[int, int, str]]
    repairs: list[TagError] = field(default_factory=list)


def tags_to_chunks(
    tags: Sequence[str], scheme: Scheme | str, *, strict: bool = True
) -> ChunkResult:
    """Decode a tag sequence into token chunks.

    Strict decoding raises :class:`TagError` at the first tag the scheme forbids (an I- after O
    in IOB2, an I- of another type, an E- with no open chunk, a prefix foreign to the scheme).
    Lenient decoding follows conlleval: an unexpected I-/E- opens a new chunk, a B- or S- closes
    the open one; each such repair is returned in ``repairs``.
    """
    scheme = Scheme.parse(scheme)
    roles = _ROLES[scheme]
    chunks: list[tuple[int, int, str]] = []
    repairs: list[TagError] = []
    open_start: int | None = None
    open_label: str | None = None

    def problem(reason: str, index: int) -> None:
        error = TagError(reason, index)
        if strict:
            raise error
        repairs.append(error)

    def close(end: int) -> None:
        nonlocal open_start, open_label
        if open_start is not None and open_label is not None:
            chunks.append((open_start, end, open_label))
        open_start, open_label = None, None

    for i, tag in enumerate(tags):
        try:
            prefix, label = parse_tag(tag)
        except ValueError as exc:
            raise TagError(str(exc), i) from None
        if prefix == "O":
            if scheme in (Scheme.IOBES, Scheme.BILOU) and open_start is not None:
                problem(f"chunk {open_label} is not closed before O", i)
            close(i)
            continue
        role = roles.get(prefix)
        if role is None:
            problem(f"prefix {prefix}- is not part of {scheme.value}", i)
            role = "B" if prefix in "SU" else "I"
        continues = open_start is not None and open_label == label
        if role == "B":
            if scheme is Scheme.IOB1 and not continues:
                problem(f"B-{label} does not follow a {label} chunk in IOB1", i)
            if scheme in (Scheme.IOBES, Scheme.BILOU) and open_start is not None:
                problem(f"chunk {open_label} is not closed before {tag}", i)
            close(i)
            open_start, open_label = i, label
        elif role == "S":
            if open_start is not None and scheme in (Scheme.IOBES, Scheme.BILOU):
                problem(f"chunk {open_label} is not closed before {tag}", i)
            close(i)
            chunks.append((i, i + 1, label))
        else:  # I or E
            if not continues:
                if scheme is not Scheme.IOB1:
                    after = "O" if open_start is None else f"a {open_label} chunk"
                    problem(f"{tag} after {after}", i)
                close(i)
                open_start, open_label = i, label
            if role == "E":
                close(i + 1)
    if open_start is not None and scheme in (Scheme.IOBES, Scheme.BILOU):
        problem(f"chunk {open_label} is not closed at the end of the sentence", len(tags))
    close(len(tags))
    return ChunkResult(chunks, repairs)


def chunks_to_tags(
    chunks: Iterable[tuple[int, int, str]], length: int, scheme: Scheme | str
) -> list[str]:
    """Encode disjoint token chunks as a tag sequence of ``length`` tokens."""
    scheme = Scheme.parse(scheme)
    tags = ["O"] * length
    previous_end, previous_label = -1, None
    for start, end, label in sorted(chunks):
        if not 0 <= start < end <= length:
            raise ValueError(f"chunk [{start}, {end}) outside a sequence of {length} tokens")
        if any(tag != "O" for tag in tags[start:end]):
            raise ValueError(f"chunk [{start}, {end}) {label} overlaps another chunk")
        if scheme is Scheme.IOB1:
            first = "B" if start == previous_end and label == previous_label else "I"
            tags[start:end] = [f"{first}-{label}"] + [f"I-{label}"] * (end - start - 1)
        elif scheme is Scheme.IOB2:
            tags[start:end] = [f"B-{label}"] + [f"I-{label}"] * (end - start - 1)
        else:
            single, last = ("S", "E") if scheme is Scheme.IOBES else ("U", "L")
            if end - start == 1:
                tags[start] = f"{single}-{label}"
            else:
                middle = [f"I-{label}"] * (end - start - 2)
                tags[start:end] = [f"B-{label}", *middle, f"{last}-{label}"]
        previous_end, previous_label = end, label
    return tags
