"""Event records from predicted spans: which actors, places and dates go with each trigger.

Conflict-event datasets (CAMEO, ACLED) record who did what, where and when; the tagger only
finds the spans. :func:`events_from_entities` is a first step from one to the other: every
TRIGGER becomes an :class:`EventRecord` whose arguments are the ACTOR, PLACE and DATE spans of
the same sentence, nearest to the trigger first.

Limits: this is sentence co-occurrence, not a relation model. It does not decide which actor is
the agent and which the target, it attaches every argument of a sentence to every trigger in it
(two events in one sentence share their arguments), and it misses arguments that sit in another
sentence ("... في الرقة. وقصفت الطائرات ..."). Ranking by distance is a heuristic a consumer may
use to keep the nearest argument of each kind.

>>> text = "قصفت الطائرات التركية مواقع في الرقة."
>>> records = events_from_entities(text, predictor.predict(text))  # doctest: +SKIP
>>> [a.text for a in records[0].places]  # doctest: +SKIP
['الرقة']
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from araevent.data.text import sentences

TRIGGER = "TRIGGER"
ARGUMENT_LABELS = ("ACTOR", "PLACE", "DATE")


class SpanLike(Protocol):
    """What is read from an entity; :class:`araevent.predictor.Entity` has it."""

    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def label(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def core(self) -> str: ...
    @property
    def score(self) -> float: ...


@dataclass(frozen=True)
class Trigger:
    """The span that names the event; ``text == original[start:end]``."""

    start: int
    end: int
    text: str
    core: str
    score: float


@dataclass(frozen=True)
class Argument:
    """An ACTOR, PLACE or DATE span of the trigger's sentence.

    ``distance`` is the number of characters between the argument and the trigger (the gap
    between the two spans; 0 when they touch or overlap).
    """

    start: int
    end: int
    label: str
    text: str
    core: str
    score: float
    distance: int


@dataclass(frozen=True)
class EventRecord:
    """One trigger with the arguments found in its sentence, each kind nearest first."""

    trigger: Trigger
    sentence_start: int
    sentence_end: int
    sentence_text: str
    actors: tuple[Argument, ...]
    places: tuple[Argument, ...]
    dates: tuple[Argument, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict with keys trigger, sentence, actors, places, dates."""
        return {
            "trigger": asdict(self.trigger),
            "sentence": {
                "start": self.sentence_start,
                "end": self.sentence_end,
                "text": self.sentence_text,
            },
            "actors": [asdict(a) for a in self.actors],
            "places": [asdict(a) for a in self.places],
            "dates": [asdict(a) for a in self.dates],
        }


def events_from_entities(text: str, entities: Sequence[SpanLike]) -> list[EventRecord]:
    """One :class:`EventRecord` per TRIGGER entity, in text order.

    An entity belongs to the sentence (:func:`araevent.data.text.sentences`) its start falls in;
    one that starts in the whitespace between two sentences joins the one before it, and a text
    with no sentence (only whitespace) counts as one sentence. Arguments of each kind are ordered
    by distance to the trigger; ties put the argument before the trigger first, then go by start.
    Labels other than TRIGGER, ACTOR, PLACE and DATE are ignored. Raises ``ValueError`` for an
    entity whose offsets or text do not match ``text``.
    """
    ranges = sentences(text) or [(0, len(text))]
    starts = [start for start, _ in ranges]
    triggers: list[SpanLike] = []
    arguments: defaultdict[int, list[SpanLike]] = defaultdict(list)
    for entity in entities:
        if entity.label != TRIGGER and entity.label not in ARGUMENT_LABELS:
            continue
        if not 0 <= entity.start < entity.end <= len(text) or (
            text[entity.start : entity.end] != entity.text
        ):
            raise ValueError(
                f"{entity.label} entity [{entity.start}, {entity.end}) {entity.text!r} does not "
                f"match the text (of length {len(text)}) it is said to come from"
            )
        if entity.label == TRIGGER:
            triggers.append(entity)
        else:
            arguments[_sentence_index(starts, entity.start)].append(entity)

    records: list[EventRecord] = []
    sentence_texts: dict[int, str] = {}
    for trigger in sorted(triggers, key=lambda e: (e.start, e.end)):
        index = _sentence_index(starts, trigger.start)
        sentence_start, sentence_end = ranges[index]
        if index not in sentence_texts:  # one string shared by the sentence's records
            sentence_texts[index] = text[sentence_start:sentence_end]
        ranked = sorted(
            (_argument(entity, trigger) for entity in arguments.get(index, ())),
            key=lambda a: (a.distance, a.start >= trigger.start, a.start, a.end),
        )
        records.append(
            EventRecord(
                trigger=Trigger(
                    trigger.start, trigger.end, trigger.text, trigger.core, float(trigger.score)
                ),
                sentence_start=sentence_start,
                sentence_end=sentence_end,
                sentence_text=sentence_texts[index],
                actors=tuple(a for a in ranked if a.label == "ACTOR"),
                places=tuple(a for a in ranked if a.label == "PLACE"),
                dates=tuple(a for a in ranked if a.label == "DATE"),
            )
        )
    return records


def _sentence_index(starts: list[int], offset: int) -> int:
    """The last sentence starting at or before ``offset`` (the first one for earlier offsets)."""
    return max(bisect_right(starts, offset) - 1, 0)


def _argument(entity: SpanLike, trigger: SpanLike) -> Argument:
    distance = max(entity.start - trigger.end, trigger.start - entity.end, 0)
    return Argument(
        entity.start,
        entity.end,
        entity.label,
        entity.text,
        entity.core,
        float(entity.score),
        distance,
    )
