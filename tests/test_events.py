"""Event records from entities: arguments come from the trigger's sentence, nearest first."""

import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from araevent.data.text import sentences, strip_proclitics, words
from araevent.events import Argument, EventRecord, events_from_entities
from araevent.predictor import Entity

TWO_SENTENCES = (
    "قصفت الطائرات التركية مواقع في الرقة يوم الأحد. وفي دمشق، اعتقلت قوات الأمن ناشطين."
)


def entity(text: str, surface: str, label: str, after: str = "", score: float = 0.9) -> Entity:
    """The entity for the first ``surface`` in ``text`` at or after the first ``after``."""
    start = text.index(surface, text.index(after) if after else 0)
    end = start + len(surface)
    core = strip_proclitics(text, start, end)
    return Entity(start, end, label, surface, score, core.start, core.end, core.text)


def texts(arguments: tuple[Argument, ...]) -> list[str]:
    return [a.text for a in arguments]


def two_sentence_entities() -> list[Entity]:
    t = TWO_SENTENCES
    return [
        entity(t, "قصفت", "TRIGGER"),
        entity(t, "الطائرات التركية", "ACTOR"),
        entity(t, "الرقة", "PLACE"),
        entity(t, "يوم الأحد", "DATE"),
        entity(t, "دمشق", "PLACE"),
        entity(t, "اعتقلت", "TRIGGER"),
        entity(t, "قوات الأمن", "ACTOR"),
    ]


def test_each_trigger_gets_the_arguments_of_its_own_sentence() -> None:
    t = TWO_SENTENCES
    first, second = events_from_entities(t, two_sentence_entities())

    assert first.trigger.text == "قصفت"
    assert texts(first.actors) == ["الطائرات التركية"]
    assert texts(first.places) == ["الرقة"]
    assert texts(first.dates) == ["يوم الأحد"]
    assert t[first.sentence_start : first.sentence_end] == first.sentence_text
    assert first.sentence_text == "قصفت الطائرات التركية مواقع في الرقة يوم الأحد."

    assert second.trigger.text == "اعتقلت"
    assert texts(second.actors) == ["قوات الأمن"]
    assert texts(second.places) == ["دمشق"]  # not الرقة, which is in the first sentence
    assert second.dates == ()
    assert second.sentence_text == "وفي دمشق، اعتقلت قوات الأمن ناشطين."


def test_distance_is_the_gap_between_the_spans() -> None:
    t = TWO_SENTENCES
    first, second = events_from_entities(t, two_sentence_entities())
    trigger_end = t.index("قصفت") + len("قصفت")
    assert first.actors[0].distance == 1  # one space
    assert first.places[0].distance == t.index("الرقة") - trigger_end
    # an argument before the trigger: from its end to the trigger's start
    assert second.places[0].distance == t.index("اعتقلت") - (t.index("دمشق") + len("دمشق"))


def test_arguments_are_ordered_nearest_first() -> None:
    t = "قال الجيش السوري إن قوات النظام قصفت مواقع المعارضة في إدلب."
    records = events_from_entities(
        t,
        [
            entity(t, "الجيش السوري", "ACTOR"),
            entity(t, "قوات النظام", "ACTOR"),
            entity(t, "قصفت", "TRIGGER"),
            entity(t, "المعارضة", "ACTOR"),
        ],
    )
    (record,) = records
    assert texts(record.actors) == ["قوات النظام", "المعارضة", "الجيش السوري"]
    distances = [a.distance for a in record.actors]
    assert distances == sorted(distances)
    assert distances[0] == 1


def test_equal_distances_put_the_argument_before_the_trigger_first() -> None:
    t = "هاجمت قوات النظام وقصفت المعارضة بلدات ريف حلب."
    after = entity(t, "المعارضة", "ACTOR")
    before = entity(t, "قوات النظام", "ACTOR")
    trigger = entity(t, "وقصفت", "TRIGGER")
    (record,) = events_from_entities(t, [after, trigger, before])
    assert [a.distance for a in record.actors] == [1, 1]
    assert texts(record.actors) == ["قوات النظام", "المعارضة"]
    assert record.trigger.core == "وقصفت"  # a verb keeps its و without a vocabulary


def test_an_argument_serves_every_trigger_of_its_sentence() -> None:
    t = "اندلعت اشتباكات عنيفة ودخلت فصائل المعارضة إلى مدينة حماة."
    (clashes, entered) = events_from_entities(
        t,
        [
            entity(t, "اشتباكات", "TRIGGER"),
            entity(t, "دخلت", "TRIGGER"),
            entity(t, "فصائل المعارضة", "ACTOR"),
            entity(t, "حماة", "PLACE"),
        ],
    )
    assert (clashes.trigger.text, entered.trigger.text) == ("اشتباكات", "دخلت")
    for record in (clashes, entered):
        assert texts(record.actors) == ["فصائل المعارضة"]
        assert texts(record.places) == ["حماة"]
    assert clashes.actors[0].distance > entered.actors[0].distance


def test_a_trigger_without_arguments_has_empty_lists() -> None:
    t = "وسيطر مقاتلو التنظيم على البلدة. ثم انسحبوا."
    (record,) = events_from_entities(
        t, [entity(t, "مقاتلو التنظيم", "ACTOR"), entity(t, "انسحبوا", "TRIGGER")]
    )
    assert record.trigger.text == "انسحبوا"
    assert (record.actors, record.places, record.dates) == ((), (), ())
    assert record.to_dict()["actors"] == []


def test_no_trigger_means_no_record() -> None:
    t = TWO_SENTENCES
    arguments = [e for e in two_sentence_entities() if e.label != "TRIGGER"]
    assert events_from_entities(t, arguments) == []
    assert events_from_entities(t, []) == []
    assert events_from_entities("", []) == []


def test_other_labels_are_ignored() -> None:
    t = "أعلنت وزارة الدفاع الروسية أن طائراتها قصفت مواقع في حلب."
    (record,) = events_from_entities(
        t,
        [
            entity(t, "قصفت", "TRIGGER"),
            entity(t, "وزارة الدفاع الروسية", "ORG"),
            entity(t, "حلب", "PLACE"),
        ],
    )
    assert (record.actors, texts(record.places)) == ((), ["حلب"])


def test_records_follow_text_order_whatever_the_input_order() -> None:
    t = TWO_SENTENCES
    in_order = events_from_entities(t, two_sentence_entities())
    shuffled = two_sentence_entities()
    random.Random(0).shuffle(shuffled)
    assert events_from_entities(t, list(reversed(shuffled))) == in_order
    assert events_from_entities(t, shuffled) == in_order
    assert [r.trigger.start for r in in_order] == sorted(r.trigger.start for r in in_order)


def test_to_dict_is_json_and_every_span_points_into_the_text() -> None:
    t = TWO_SENTENCES
    for record in events_from_entities(t, two_sentence_entities()):
        data = json.loads(json.dumps(record.to_dict(), ensure_ascii=False))
        assert list(data) == ["trigger", "sentence", "actors", "places", "dates"]
        sentence = data["sentence"]
        assert t[sentence["start"] : sentence["end"]] == sentence["text"]
        items = [data["trigger"], *data["actors"], *data["places"], *data["dates"]]
        for item in items:
            assert t[item["start"] : item["end"]] == item["text"]
        for argument in items[1:]:
            assert set(argument) == {"start", "end", "label", "text", "core", "score", "distance"}


def test_lines_without_punctuation_are_sentences_and_one_line_is_the_whole_text() -> None:
    t = "قصف الطيران الروسي ريف إدلب\nاشتباكات بين الجيش والمعارضة في درعا"
    first, second = events_from_entities(
        t,
        [
            entity(t, "قصف", "TRIGGER"),
            entity(t, "إدلب", "PLACE"),
            entity(t, "اشتباكات", "TRIGGER"),
            entity(t, "الجيش", "ACTOR"),
            entity(t, "والمعارضة", "ACTOR"),
            entity(t, "درعا", "PLACE"),
        ],
    )
    assert (texts(first.places), first.actors) == (["إدلب"], ())
    assert texts(second.places) == ["درعا"]
    assert [a.core for a in second.actors] == ["الجيش", "المعارضة"]

    line = "قصف الطيران الروسي ريف إدلب"
    (record,) = events_from_entities(
        line, [entity(line, "قصف", "TRIGGER"), entity(line, "إدلب", "PLACE")]
    )
    assert (record.sentence_start, record.sentence_end) == (0, len(line))


def test_entities_that_do_not_match_the_text_are_rejected() -> None:
    t = TWO_SENTENCES
    wrong = Entity(0, 4, "TRIGGER", "دخلت", 0.9, 0, 4, "دخلت")
    with pytest.raises(ValueError, match="does not match"):
        events_from_entities(t, [wrong])
    outside = Entity(len(t), len(t) + 4, "PLACE", "", 0.9, len(t), len(t) + 4, "")
    with pytest.raises(ValueError, match="does not match"):
        events_from_entities(t, [outside])


def test_a_long_document_keeps_every_sentence_apart() -> None:
    sentence = "قصفت الطائرات التركية مواقع في الرقة يوم الأحد."
    t = " ".join([sentence] * 5000)
    spans = [("قصفت", "TRIGGER"), ("الطائرات التركية", "ACTOR"), ("الرقة", "PLACE")]
    entities = []
    for offset, _ in sentences(t):
        for surface, label in spans:
            start = t.index(surface, offset)
            entities.append(Entity(start, start + len(surface), label, surface, 0.9, 0, 0, ""))
    records = events_from_entities(t, entities)
    assert len(records) == 5000
    assert all(len(r.actors) == len(r.places) == 1 and r.dates == () for r in records)
    assert all(r.sentence_start <= r.places[0].start < r.sentence_end for r in records)


PROPERTY_TEXT = "\n".join([TWO_SENTENCES, "اشتباكات عنيفة في ريف حماة! دخلت القوات البلدة؟ لا"])
PROPERTY_WORDS = words(PROPERTY_TEXT)


@given(
    st.lists(
        st.tuples(
            st.integers(0, len(PROPERTY_WORDS) - 1),
            st.sampled_from(["ACTOR", "PLACE", "DATE", "TRIGGER", "MISC"]),
        ),
        unique_by=lambda pair: pair[0],
    )
)
def test_records_only_ever_hold_same_sentence_arguments_nearest_first(
    picks: list[tuple[int, str]],
) -> None:
    t = PROPERTY_TEXT
    entities = []
    for index, label in picks:
        start, end = PROPERTY_WORDS[index]
        entities.append(Entity(start, end, label, t[start:end], 0.5, start, end, t[start:end]))
    records = events_from_entities(t, entities)

    assert len(records) == sum(label == "TRIGGER" for _, label in picks)
    assert [r.trigger.start for r in records] == sorted(r.trigger.start for r in records)
    for record in records:
        check_record(t, record)


def check_record(text: str, record: EventRecord) -> None:
    assert (record.sentence_start, record.sentence_end) in sentences(text)
    assert record.sentence_start <= record.trigger.start < record.sentence_end
    for kind, label in ((record.actors, "ACTOR"), (record.places, "PLACE"), (record.dates, "DATE")):
        assert all(a.label == label for a in kind)
        assert all(record.sentence_start <= a.start < record.sentence_end for a in kind)
        assert [a.distance for a in kind] == sorted(a.distance for a in kind)
